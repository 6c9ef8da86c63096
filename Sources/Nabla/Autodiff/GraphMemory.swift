/// What a recorded graph holds in memory, and what its backward pass adds: the figures a memory
/// estimate of a training step is built from (see NablaTrain's `TrainingMemoryEstimate`).
///
/// Measured on a small batch and extrapolated, these give an honest estimate of a large batch before it
/// is allocated: activations grow with the batch, parameters do not.
///
/// ```swift
/// let loss = crossEntropy(model(inputs), labels)     // recorded, not yet differentiated
/// let memory = GraphMemory(of: loss)
/// memory.activationBytes                               // what the graph keeps for backward
/// ```
public struct GraphMemory: Equatable, Sendable {
    /// Bytes of every distinct storage the graph's recorded results view: what stays allocated until
    /// backward ends (views share a storage and count once).
    public var activationBytes: Int
    /// Bytes of the gradient the backward engine makes for every recorded result; it keeps each one
    /// until the pass ends, so they add up.
    public var gradientBytes: Int
    /// Bytes of the leaves that require gradients (parameters): already allocated, and each gets a
    /// gradient of its size.
    public var parameterBytes: Int
    /// The largest scratch one operation allocates while it runs and frees at its end: a convolution's
    /// column matrices (one per worker, C·kh·kw × Ho·Wo floats each), for its forward and its backward.
    public var scratchBytes: Int

    public init(activationBytes: Int, gradientBytes: Int, parameterBytes: Int, scratchBytes: Int) {
        self.activationBytes = activationBytes
        self.gradientBytes = gradientBytes
        self.parameterBytes = parameterBytes
        self.scratchBytes = scratchBytes
    }

    /// Walks the graph recorded up to `output` (nothing is computed or allocated).
    public init(of output: Tensor) {
        let floatBytes = MemoryLayout<Float>.stride
        var storages = Set<ObjectIdentifier>()
        var activations = 0, gradients = 0, parameters = 0, scratch = 0
        for tensor in BackwardEngine.topologicalOrder(from: output) {
            guard let node = tensor.node else {
                parameters += tensor.count * floatBytes
                continue
            }
            if storages.insert(ObjectIdentifier(tensor.storage)).inserted { activations += tensor.storage.count * floatBytes }
            gradients += tensor.count * floatBytes
            if node.name == "conv2d", node.inputs.count >= 2, node.inputs[0].rank == 4, node.inputs[1].rank == 4, tensor.rank == 4 {
                let weight = node.inputs[1].shape, columnRows = node.inputs[0].shape[1] * weight[2] * weight[3]
                let workers = Swift.min(Parallelism.cores, Swift.max(tensor.shape[0], 1))
                scratch = Swift.max(scratch, workers * columnRows * tensor.shape[2] * tensor.shape[3] * floatBytes)
            }
        }
        self.init(activationBytes: activations, gradientBytes: gradients, parameterBytes: parameters, scratchBytes: scratch)
    }
}
