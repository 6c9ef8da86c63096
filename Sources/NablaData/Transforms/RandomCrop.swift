import Nabla

/// Pads each image with `padding` zeros on every side, then cuts a `height×width` window at a random
/// position (independently per image), like torchvision's `RandomCrop(size, padding=p)`. The default
/// window is the input's size, so the result is the image shifted by up to `padding` pixels.
///
/// The padding is never materialised: each output pixel reads the input or is zero.
///
/// ```swift
/// let shifted = RandomCrop(padding: 4).apply(images, generator: RandomGenerator(seed: 3))  // same shape
/// let smaller = RandomCrop(height: 24, width: 24).apply(images, generator: generator)      // N×C×24×24
/// ```
public struct RandomCrop: BatchTransform {
    /// The output size; nil keeps the input's.
    public let height: Int?
    public let width: Int?
    public let padding: Int

    public init(height: Int? = nil, width: Int? = nil, padding: Int = 0) {
        precondition(padding >= 0, "RandomCrop: padding \(padding) is negative")
        precondition((height ?? 1) > 0 && (width ?? 1) > 0, "RandomCrop: size \(height ?? 0)×\(width ?? 0) is not positive")
        self.height = height
        self.width = width
        self.padding = padding
    }

    public var isRandom: Bool { true }

    public func apply(_ inputs: Tensor, generator: RandomGenerator) -> Tensor {
        let (count, channels, inputHeight, inputWidth) = imageGeometry(inputs, "RandomCrop")
        let outputHeight = height ?? inputHeight, outputWidth = width ?? inputWidth
        let paddedHeight = inputHeight + 2 * padding, paddedWidth = inputWidth + 2 * padding
        precondition(outputHeight <= paddedHeight && outputWidth <= paddedWidth,
                     "RandomCrop: a \(outputHeight)×\(outputWidth) window does not fit \(inputHeight)×\(inputWidth) images padded by \(padding)")
        // Window corners in padded coordinates, drawn before any copying (two draws per image).
        let corners = (0..<count).map { _ in
            (top: generator.integer(in: 0..<(paddedHeight - outputHeight + 1)),
             left: generator.integer(in: 0..<(paddedWidth - outputWidth + 1)))
        }
        return transformBuffers(inputs, outputShape: [count, channels, outputHeight, outputWidth]) { source, destination in
            for image in 0..<count {
                // The input row and column of output (0, 0); the overlap of window and image is copied row
                // by row, the rest stays zero from allocation.
                let rowShift = corners[image].top - padding, columnShift = corners[image].left - padding
                let firstColumn = max(0, -columnShift), endColumn = min(outputWidth, inputWidth - columnShift)
                guard firstColumn < endColumn else { continue }
                for channel in 0..<channels {
                    let plane = image * channels + channel
                    let from = source + plane * inputHeight * inputWidth
                    let to = destination + plane * outputHeight * outputWidth
                    for row in max(0, -rowShift)..<max(max(0, -rowShift), min(outputHeight, inputHeight - rowShift)) {
                        (to + row * outputWidth + firstColumn)
                            .update(from: from + (row + rowShift) * inputWidth + firstColumn + columnShift, count: endColumn - firstColumn)
                    }
                }
            }
        }
    }
}
