import Nabla

/// Mirrors each image left to right with probability `probability` (independently per image), like
/// torchvision's `RandomHorizontalFlip`. Inputs and outputs are `N×C×H×W`.
///
/// ```swift
/// let flipped = RandomHorizontalFlip(probability: 0.5).apply(images, generator: RandomGenerator(seed: 3))
/// ```
public struct RandomHorizontalFlip: BatchTransform {
    public let probability: Float

    public init(probability: Float = 0.5) {
        precondition((0...1).contains(probability), "RandomHorizontalFlip: probability \(probability) is outside [0, 1]")
        self.probability = probability
    }

    public var isRandom: Bool { true }

    public func apply(_ inputs: Tensor, generator: RandomGenerator) -> Tensor {
        let (count, channels, height, width) = imageGeometry(inputs, "RandomHorizontalFlip")
        // Draw every decision first: one number per image whatever the outcome, so the stream stays aligned.
        let flips = (0..<count).map { _ in generator.nextUnitFloat() < probability }
        let imageSize = channels * height * width
        return transformBuffers(inputs, outputShape: inputs.shape) { source, destination in
            for image in 0..<count {
                let from = source + image * imageSize, to = destination + image * imageSize
                if !flips[image] { to.update(from: from, count: imageSize); continue }
                for row in 0..<(channels * height) {
                    let rowFrom = from + row * width, rowTo = to + row * width
                    for column in 0..<width { rowTo[column] = rowFrom[width - 1 - column] }
                }
            }
        }
    }
}
