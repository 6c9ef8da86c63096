#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nabla

/// Rotates each image about its centre by an angle drawn uniformly from `degrees` (independently per
/// image), sampling bilinearly and filling with zeros outside the image, like torchvision's
/// `RandomRotation(degrees, interpolation=BILINEAR)`. Positive angles turn counter-clockwise as the
/// image is displayed (row 0 at the top). Inputs and outputs are `N×C×H×W`.
///
/// ```swift
/// let tilted = RandomRotation(degrees: 10).apply(images, generator: RandomGenerator(seed: 3))   // ±10°
/// ```
public struct RandomRotation: BatchTransform {
    public let degrees: ClosedRange<Float>

    /// Angles in `degrees` (e.g. `-15...15`).
    public init(degrees: ClosedRange<Float>) {
        precondition(degrees.lowerBound.isFinite && degrees.upperBound.isFinite, "RandomRotation: degrees \(degrees) must be finite")
        self.degrees = degrees
    }

    /// Angles in `-maximum...maximum`.
    public init(degrees maximum: Float) {
        precondition(maximum >= 0, "RandomRotation: maximum angle \(maximum) is negative")
        self.init(degrees: -maximum...maximum)
    }

    public var isRandom: Bool { true }

    public func apply(_ inputs: Tensor, generator: RandomGenerator) -> Tensor {
        let (count, channels, height, width) = imageGeometry(inputs, "RandomRotation")
        let angles = (0..<count).map { _ in
            degrees.lowerBound + (degrees.upperBound - degrees.lowerBound) * generator.nextUnitFloat()
        }
        return transformBuffers(inputs, outputShape: inputs.shape) { source, destination in
            for image in 0..<count {
                for channel in 0..<channels {
                    let plane = (image * channels + channel) * height * width
                    rotatePlane(source + plane, destination + plane, height: height, width: width, degrees: angles[image])
                }
            }
        }
    }
}

/// Fills one output plane by inverse mapping: each output pixel reads the source point that the rotation
/// carries onto it, bilinearly from the four neighbours (absent neighbours count as zero).
private func rotatePlane(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                         height: Int, width: Int, degrees: Float) {
    let radians = Double(degrees) * Double.pi / 180
    let cosine = Float(cos(radians)), sine = Float(sin(radians))
    let centreX = Float(width - 1) / 2, centreY = Float(height - 1) / 2
    @inline(__always) func pixel(_ row: Int, _ column: Int) -> Float {
        row >= 0 && row < height && column >= 0 && column < width ? source[row * width + column] : 0
    }
    for row in 0..<height {
        let y = Float(row) - centreY
        for column in 0..<width {
            let x = Float(column) - centreX
            // Counter-clockwise on screen by θ, with y pointing down, has inverse (x, y) ↦ (x cos θ − y sin θ, x sin θ + y cos θ).
            let sourceX = x * cosine - y * sine + centreX
            let sourceY = x * sine + y * cosine + centreY
            let left = sourceX.rounded(.down), top = sourceY.rounded(.down)
            let fractionX = sourceX - left, fractionY = sourceY - top
            // Points far outside would overflow Int conversion only for absurd sizes; clamp keeps it safe.
            let column0 = Int(max(-2, min(left, Float(width + 1)))), row0 = Int(max(-2, min(top, Float(height + 1))))
            let topLeft, topRight, bottomLeft, bottomRight: Float
            if row0 >= 0 && row0 + 1 < height && column0 >= 0 && column0 + 1 < width {
                // Inside: the common case reads the four neighbours without bounds tests.
                let corner = source + row0 * width + column0
                (topLeft, topRight, bottomLeft, bottomRight) = (corner[0], corner[1], corner[width], corner[width + 1])
            } else {
                (topLeft, topRight) = (pixel(row0, column0), pixel(row0, column0 + 1))
                (bottomLeft, bottomRight) = (pixel(row0 + 1, column0), pixel(row0 + 1, column0 + 1))
            }
            let upper = topLeft + (topRight - topLeft) * fractionX
            let lower = bottomLeft + (bottomRight - bottomLeft) * fractionX
            destination[row * width + column] = upper + (lower - upper) * fractionY
        }
    }
}
