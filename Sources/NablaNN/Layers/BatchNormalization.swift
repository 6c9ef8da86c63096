import Nabla

/// What `BatchNorm1d` and `BatchNorm2d` share (PyTorch's `_BatchNorm`); they differ only in the input
/// ranks they accept, so use one of them.
///
/// - Training mode: each channel is normalised by the batch mean and the biased batch variance; the running
///   statistics move towards the batch's, `running = (1 − momentum)·running + momentum·batch`, with the
///   *unbiased* batch variance for `runningVariance`, and `numBatchesTracked` counts the batches. With
///   `momentum: nil` the running statistics are the cumulative average over all batches seen
///   (momentum 1/numBatchesTracked), as PyTorch's `momentum=None`.
/// - Evaluation mode: the running statistics are used, so the output of a sample does not depend on the
///   rest of its batch.
///
/// Parameters `weight` (ones) and `bias` (zeros) of shape (featureCount), absent without `affine`. Buffers
/// `running_mean` (zeros), `running_var` (ones) and `num_batches_tracked` (a scalar float tensor holding
/// the count, where PyTorch stores an int64; checkpoints convert exactly up to 2²⁴ batches).
public class BatchNormalization: Module {
    public let weight: Tensor?
    public let bias: Tensor?
    @Buffer public private(set) var runningMean: Tensor
    @Buffer public private(set) var runningVariance: Tensor
    @Buffer public private(set) var numBatchesTracked: Tensor
    /// The weight of each new batch in the running statistics; nil for a cumulative average.
    public let momentum: Float?
    public let epsilon: Float

    public override class var stateKeyOverrides: [String: String] { ["runningVariance": "running_var"] }

    init(layer: String, featureCount: Int, epsilon: Float, momentum: Float?, affine: Bool) {
        precondition(featureCount > 0, "\(layer): featureCount must be positive, got \(featureCount)")
        precondition(momentum.map { (0...1).contains($0) } ?? true, "\(layer): momentum \(momentum!) must lie in [0, 1]")
        weight = affine ? Tensor.ones([featureCount]) : nil
        bias = affine ? Tensor.zeros([featureCount]) : nil
        runningMean = Tensor.zeros([featureCount])
        runningVariance = Tensor.ones([featureCount])
        numBatchesTracked = Tensor.zeros([])
        self.momentum = momentum
        self.epsilon = epsilon
        super.init()
    }

    public var featureCount: Int { runningMean.shape[0] }

    func normalize(_ input: Tensor, layer: String) -> Tensor {
        var factor = momentum ?? 0
        if isTraining {
            let perChannel = input.count / featureCount
            precondition(perChannel > 1,
                         "\(layer): expected more than 1 value per channel in training mode, got input \(input.shape)")
            withoutGradients { numBatchesTracked.assign(numBatchesTracked + 1) }
            if momentum == nil { factor = 1 / numBatchesTracked.item }
        }
        return batchNorm(input, runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias,
                         training: isTraining, momentum: factor, epsilon: epsilon)
    }
}

/// Batch normalisation of features (N, C) or of sequences (N, C, L), like PyTorch's `nn.BatchNorm1d`;
/// see `BatchNormalization` for training and evaluation behaviour.
///
/// Shapes: input (N, featureCount) or (N, featureCount, L) → the same shape. Parameters `weight` (ones)
/// and `bias` (zeros); buffers `running_mean`, `running_var`, `num_batches_tracked`.
///
/// ```swift
/// let norm = BatchNorm1d(featureCount: 64)
/// let y = norm(Tensor.ones([32, 64]))   // training mode: batch statistics, running statistics updated
/// norm.eval()                           // now the running statistics are used
/// ```
public final class BatchNorm1d: BatchNormalization, Layer {
    public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true) {
        super.init(layer: "BatchNorm1d", featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition((input.rank == 2 || input.rank == 3) && input.shape[1] == featureCount,
                     "BatchNorm1d: expected input (N, \(featureCount)) or (N, \(featureCount), L), got \(input.shape)")
        return normalize(input, layer: "BatchNorm1d")
    }
}

/// Batch normalisation of image channels, like PyTorch's `nn.BatchNorm2d`: each channel is normalised over
/// the batch and all positions; see `BatchNormalization` for training and evaluation behaviour.
///
/// Shapes: input (N, featureCount, H, W) → the same shape. Parameters `weight` (ones) and `bias` (zeros);
/// buffers `running_mean`, `running_var`, `num_batches_tracked`.
///
/// ```swift
/// let model = Sequential(Conv2d(inputChannels: 3, outputChannels: 16, kernelSize: 3, padding: 1, generator: generator),
///                        BatchNorm2d(featureCount: 16), ReLU())
/// model.stateKeys()   // ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"]
/// ```
public final class BatchNorm2d: BatchNormalization, Layer {
    public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true) {
        super.init(layer: "BatchNorm2d", featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: affine)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == featureCount,
                     "BatchNorm2d: expected input (N, \(featureCount), H, W), got \(input.shape)")
        return normalize(input, layer: "BatchNorm2d")
    }
}
