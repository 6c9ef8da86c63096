import Nabla

/// A change applied to a whole batch of inputs, e.g. normalisation or random augmentation.
///
/// A transform returns a new tensor and leaves its input alone. Random transforms draw only from the
/// generator they are given, so a batch's augmentation repeats exactly for the same generator state;
/// `DataLoader` hands each batch its own generator seeded from the epoch, which also makes results the
/// same with and without prefetching.
///
/// ```swift
/// let augment: [any BatchTransform] = [RandomCrop(padding: 2), RandomHorizontalFlip(),
///                                      Normalize(mean: [0.286], standardDeviation: [0.353])]
/// let loader = DataLoader(training, batchSize: 64, transforms: augment, generator: RandomGenerator(seed: 1))
/// ```
public protocol BatchTransform {
    /// Whether `apply` draws random numbers (a loader then needs a generator).
    var isRandom: Bool { get }
    /// The transformed batch.
    func apply(_ inputs: Tensor, generator: RandomGenerator) -> Tensor
}

/// Images as `N×C×H×W`; other ranks are a programming error that stops with the transform's name.
func imageGeometry(_ inputs: Tensor, _ transform: String) -> (count: Int, channels: Int, height: Int, width: Int) {
    precondition(inputs.rank == 4, "\(transform): expects images of shape N×C×H×W, got \(inputs.shape)")
    return (inputs.shape[0], inputs.shape[1], inputs.shape[2], inputs.shape[3])
}

/// Runs `body` with the input's contiguous elements and a fresh output of `shape` to fill completely.
func transformBuffers(_ inputs: Tensor, outputShape: [Int],
                      _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
    let output = Tensor.zeros(outputShape)
    inputs.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { destination in
            guard let from = source.baseAddress, let to = destination.baseAddress else { return }
            body(from, to)
        }
    }
    return output
}
