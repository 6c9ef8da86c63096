import Nabla

/// Subtracts a mean and divides by a standard deviation per channel: `(x − mean[c]) / std[c]`, like
/// torchvision's `Normalize`. Inputs are `N×C×…` (images `N×C×H×W`, or tables `N×F` with one entry per
/// feature); one mean and deviation apply to every channel.
///
/// ```swift
/// let normalize = Normalize(mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation])
/// let standardised = normalize.apply(images, generator: generator)
/// ```
public struct Normalize: BatchTransform {
    public let mean: [Float]
    public let standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(!mean.isEmpty && mean.count == standardDeviation.count,
                     "Normalize: \(mean.count) means and \(standardDeviation.count) standard deviations")
        precondition(standardDeviation.allSatisfy { $0 > 0 && $0.isFinite }, "Normalize: standard deviations must be positive, got \(standardDeviation)")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    public var isRandom: Bool { false }

    public func apply(_ inputs: Tensor, generator: RandomGenerator) -> Tensor {
        precondition(inputs.rank >= 2, "Normalize: expects N×C×… inputs, got \(inputs.shape)")
        let count = inputs.shape[0], channels = inputs.shape[1]
        precondition(mean.count == 1 || mean.count == channels,
                     "Normalize: \(mean.count) means for \(channels) channels of inputs \(inputs.shape)")
        let planeSize = inputs.shape.dropFirst(2).reduce(1, *)
        // Multiplying by the reciprocal would differ from PyTorch in the last bit; divide as it does.
        let means = mean.count == 1 ? [Float](repeating: mean[0], count: channels) : mean
        let deviations = standardDeviation.count == 1 ? [Float](repeating: standardDeviation[0], count: channels) : standardDeviation
        return transformBuffers(inputs, outputShape: inputs.shape) { source, destination in
            for plane in 0..<(count * channels) {
                let channel = plane % channels
                let shift = means[channel], scale = deviations[channel]
                let from = source + plane * planeSize, to = destination + plane * planeSize
                for index in 0..<planeSize { to[index] = (from[index] - shift) / scale }
            }
        }
    }
}
