import Foundation
import Nabla
import NablaData

/// How an attack's gradient passes through a defence that has none of its own (JPEG, bit-depth
/// reduction, median smoothing).
public enum DefenceGradient: String, Sendable {
    /// The transformation's own gradient: zero almost everywhere for a rounding, so a gradient attack stalls
    /// and the defence looks strong (gradient masking).
    case own
    /// Backward pass differentiable approximation (BPDA, Athalye et al., 2018): forward through the
    /// transformation, backward as the identity, since each of these transformations keeps x ≈ g(x).
    case straightThrough = "bpda"
}

/// A preprocessing defence: a transformation of the images (N×C×H×W, pixels in [0, 1]) before the
/// classifier, meant to wash out an adversarial perturbation while keeping the picture.
public protocol InputDefence {
    /// A short name for tables ("jpeg-75", "bits-3").
    var name: String { get }
    /// Whether `transform` is recorded and has a useful gradient (smoothing by convolution, resizing).
    var isDifferentiable: Bool { get }
    /// Whether each call draws new random choices (an attack then averages gradients over draws: EOT).
    var isRandom: Bool { get }
    /// The transformed images, the same shape, pixels in [0, 1].
    func transform(_ images: Tensor) -> Tensor
}

/// JPEG compression at `quality` and back (Dziugaite et al., 2016; Guo et al., 2018), through libjpeg-turbo.
public struct JPEGDefence: InputDefence {
    public let quality: Int
    public init(quality: Int) {
        precondition((1...100).contains(quality), "JPEGDefence: quality \(quality) must lie in 1...100")
        self.quality = quality
    }
    public var name: String { "jpeg-\(quality)" }
    public var isDifferentiable: Bool { false }
    public var isRandom: Bool { false }

    public func transform(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4, "JPEGDefence: images must be N×C×H×W, got \(images.shape)")
        let squeezed = (0..<images.shape[0]).map { index -> Tensor in
            let image = images.sliced(axis: 0, start: index, end: index + 1).reshaped(Array(images.shape.dropFirst()))
            // Encoding 8-bit pixels of a valid size at a valid quality cannot fail but for lack of memory.
            guard let result = try? JPEG.roundTrip(image, quality: quality) else { preconditionFailure("JPEGDefence: libjpeg-turbo failed on image \(index)") }
            return result.reshaped([1] + result.shape)
        }
        return Tensor.concat(squeezed, axis: 0).contiguous()
    }
}

/// Bit-depth reduction (feature squeezing, Xu et al., 2018): each pixel rounded to one of 2^bits levels.
public struct BitDepthReduction: InputDefence {
    public let bits: Int
    public init(bits: Int) {
        precondition((1...8).contains(bits), "BitDepthReduction: bits \(bits) must lie in 1...8")
        self.bits = bits
    }
    public var name: String { "bits-\(bits)" }
    public var isDifferentiable: Bool { false }
    public var isRandom: Bool { false }

    public func transform(_ images: Tensor) -> Tensor {
        let levels = Float((1 << bits) - 1)
        return Tensor(images.contiguous().scalars.map { (min(max($0, 0), 1) * levels).rounded() / levels }, shape: images.shape)
    }
}

/// Median smoothing over a `size` × `size` window per channel (feature squeezing), edges mirrored as
/// scipy's `median_filter(mode="reflect")`: removes isolated spikes, keeps edges.
public struct MedianSmoothing: InputDefence {
    public let size: Int
    public init(size: Int) {
        precondition(size >= 1 && size % 2 == 1, "MedianSmoothing: window size \(size) must be odd and positive")
        self.size = size
    }
    public var name: String { "median-\(size)" }
    public var isDifferentiable: Bool { false }
    public var isRandom: Bool { false }

    public func transform(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4, "MedianSmoothing: images must be N×C×H×W, got \(images.shape)")
        let (height, width) = (images.shape[2], images.shape[3])
        let source = images.contiguous().scalars
        var result = [Float](repeating: 0, count: source.count)
        let radius = size / 2
        // scipy's "reflect": the edge pixel is repeated (… b a | a b c …).
        func reflect(_ index: Int, _ count: Int) -> Int {
            var position = index
            while position < 0 || position >= count { position = position < 0 ? -position - 1 : 2 * count - position - 1 }
            return position
        }
        var window = [Float](repeating: 0, count: size * size)
        for plane in 0..<(source.count / (height * width)) {
            let base = plane * height * width
            for y in 0..<height {
                for x in 0..<width {
                    var count = 0
                    for dy in -radius...radius {
                        for dx in -radius...radius {
                            window[count] = source[base + reflect(y + dy, height) * width + reflect(x + dx, width)]
                            count += 1
                        }
                    }
                    window.sort()
                    result[base + y * width + x] = window[window.count / 2]
                }
            }
        }
        return Tensor(result, shape: images.shape)
    }
}

/// Gaussian smoothing with standard deviation `sigma` (pixels), a convolution with a normalised kernel
/// of radius ⌈3σ⌉ and zero padding: differentiable, so gradient attacks go straight through it.
public struct GaussianSmoothing: InputDefence {
    public let sigma: Float
    public init(sigma: Float) {
        precondition(sigma > 0, "GaussianSmoothing: sigma \(sigma) must be positive")
        self.sigma = sigma
    }
    public var name: String { "gauss-\(sigma)" }
    public var isDifferentiable: Bool { true }
    public var isRandom: Bool { false }

    public func transform(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4, "GaussianSmoothing: images must be N×C×H×W, got \(images.shape)")
        let radius = Int((3 * sigma).rounded(.up))
        let taps = (-radius...radius).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = taps.reduce(0, +)
        let line = taps.map { $0 / total }
        let side = 2 * radius + 1
        let kernel = Tensor((0..<side * side).map { line[$0 / side] * line[$0 % side] }, shape: [1, 1, side, side])
        let (count, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        // Every channel smoothed alone: the channels become batch entries of one single-channel convolution.
        let planes = images.reshaped([count * channels, 1, height, width])
        return conv2d(planes, weight: kernel, padding: Size2(radius, radius)).reshaped(images.shape)
    }
}

/// Random resizing and padding (Xie et al., 2018): each call shrinks the images to a random side between
/// `smallestScale` × and the full side (bilinear) and pads them back at a random offset. Differentiable but
/// random: an attack averaging gradients over draws (EOT) sees through it.
public final class RandomResizePadding: InputDefence {
    public let smallestScale: Float
    let generator: RandomGenerator

    public init(smallestScale: Float = 0.8, generator: RandomGenerator) {
        precondition(smallestScale > 0 && smallestScale < 1, "RandomResizePadding: smallest scale \(smallestScale) must lie in (0, 1)")
        self.smallestScale = smallestScale
        self.generator = generator
    }
    public var name: String { "resize-pad-\(smallestScale)" }
    public var isDifferentiable: Bool { true }
    public var isRandom: Bool { true }

    public func transform(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4, "RandomResizePadding: images must be N×C×H×W, got \(images.shape)")
        let diversity = InputDiversity(resizeRate: smallestScale, probability: 1)
        return diversity.apply(images, diversity.draw(size: images.shape[2], width: images.shape[3], generator: generator))
    }
}

/// The defences by their short names.
public enum InputDefences {
    /// Reads a defence from its command-line name: jpeg-Q, bits-B, median-K, gauss-S, resize-pad-R.
    public static func named(_ text: String, generator: RandomGenerator) throws -> any InputDefence {
        let parts = text.split(separator: "-").map(String.init)
        func number(_ last: String) -> Double? { Double(last) }
        switch (parts.first, parts.count, parts.last.flatMap(number)) {
        case ("jpeg", 2, let value?) where (1...100).contains(value) && value == value.rounded(): return JPEGDefence(quality: Int(value))
        case ("bits", 2, let value?) where (1...8).contains(value) && value == value.rounded(): return BitDepthReduction(bits: Int(value))
        case ("median", 2, let value?) where value >= 1 && value == value.rounded() && Int(value) % 2 == 1: return MedianSmoothing(size: Int(value))
        case ("gauss", 2, let value?) where value > 0 && value <= 10: return GaussianSmoothing(sigma: Float(value))
        case ("resize", 3, let value?) where parts[1] == "pad" && value > 0 && value < 1:
            return RandomResizePadding(smallestScale: Float(value), generator: generator)
        default:
            throw TrustError("unknown defence '\(text)'; give jpeg-Q (Q in 1...100), bits-B (1...8), median-K (odd K), gauss-S (sigma in (0, 10]) or resize-pad-R (R in (0, 1))")
        }
    }
}
