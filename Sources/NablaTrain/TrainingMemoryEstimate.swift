import Nabla
import NablaData
import NablaNN

/// The memory one training step of a model needs for a batch size, estimated before any batch of that
/// size is allocated, and checked against `MemoryBudget` (issue 12: a batch of 60,000 CNN inputs needed
/// about 16 GB of activations and grew until the kernel killed the process).
///
/// The estimate comes from a dry pass: the model's forward pass on batches of one and two examples,
/// recorded but not differentiated, whose graph (`GraphMemory`) gives the bytes per example of
/// - the activations kept for backward,
/// - the gradient the backward pass makes for each of them (kept until it ends),
/// plus, not growing with the batch, the column buffers of the largest convolution (one per core), the
/// parameters' gradients and up to two optimiser-state copies (Adam's), and the input batch with its
/// transformed copy. Activations grow linearly with the batch, so two points extrapolate exactly.
///
/// The dry pass runs in evaluation mode, so no running statistic moves and no random stream is drawn
/// from (a run stays bit-for-bit what it was); dropout's masks, which only training records, are left
/// out — a few percent of a network's activations.
///
/// ```swift
/// let estimate = TrainingMemoryEstimate(model: model, examples: data.batch(at: [0, 1]).inputs)
/// try estimate.check(batchSize: 60_000, settingName: "batch_size")   // MemoryLimitError past the limit
/// ```
public struct TrainingMemoryEstimate: Sendable {
    /// Bytes that do not grow with the batch (beyond one example).
    public let fixedBytes: Int
    /// Bytes each further example adds.
    public let bytesPerExample: Int
    /// The convolution column buffers per worker, which grow with the batch until every core has one.
    let scratchPerWorker: Int

    /// Measures `model` on the first one and two rows of `examples` (inputs of at least one example,
    /// passed through `transform` as training would), in evaluation mode; the model's training mode is
    /// put back afterwards.
    public init(model: any Layer, examples: Tensor, transform: ((Tensor) -> Tensor)? = nil) {
        precondition(examples.rank >= 1 && examples.shape[0] >= 1, "TrainingMemoryEstimate: needs at least one example, got shape \(examples.shape)")
        let modes = model.namedModules().map { ($0.module, $0.module.isTraining) }
        model.eval()
        // Modules come parent first, so putting each one's mode back (which sets its children's too) ends
        // with every module as it was.
        defer { for (module, training) in modes { training ? module.train() : module.eval() } }
        func measure(_ count: Int) -> (GraphMemory, inputBytes: Int) {
            let rows = (0..<count).map { $0 % examples.shape[0] }
            let inputs = gatherRows(examples.detached(), rows)
            let prepared = transform?(inputs) ?? inputs
            // A scalar from the output, so the graph is rooted as a loss would be.
            let memory = GraphMemory(of: model(prepared).sum())
            return (memory, inputs.count * MemoryLayout<Float>.stride * (transform == nil ? 1 : 2))
        }
        let (one, inputOne) = measure(1), (two, inputTwo) = measure(2)
        func perExample(_ first: Int, _ second: Int) -> Int { Swift.max(second - first, 0) }
        let growing = perExample(one.activationBytes, two.activationBytes) + perExample(one.gradientBytes, two.gradientBytes)
            + perExample(inputOne, inputTwo)
        bytesPerExample = growing
        scratchPerWorker = one.scratchBytes
        // What one example needs beyond the per-example share, plus the parameters' gradients and two
        // optimiser-state copies (Adam's moments; SGD with momentum keeps one).
        let oneExample = one.activationBytes + one.gradientBytes + inputOne
        fixedBytes = Swift.max(oneExample - growing, 0) + 3 * one.parameterBytes
    }

    /// The estimated bytes of one training step on `batchSize` examples (saturating, never overflowing).
    public func bytes(batchSize: Int) -> Int {
        let workers = Swift.min(Parallelism.cores, Swift.max(batchSize, 1))
        let growing = MemoryBudget.bytes(batchSize, elementBytes: bytesPerExample)
        let scratch = MemoryBudget.bytes(workers, elementBytes: scratchPerWorker)
        let total = growing.addingReportingOverflow(fixedBytes)
        guard !total.overflow, growing != .max else { return .max }
        let withScratch = total.partialValue.addingReportingOverflow(scratch)
        return withScratch.overflow ? .max : withScratch.partialValue
    }

    /// The largest batch whose step fits in `limit` bytes (0 when not even one example does).
    public func largestBatch(fitting limit: Int) -> Int {
        let room = limit - fixedBytes - Parallelism.cores * scratchPerWorker
        guard room > 0 else { return 0 }
        return bytesPerExample == 0 ? Int.max : room / bytesPerExample
    }

    /// Throws `MemoryLimitError` when a step on `batchSize` examples needs more than the memory limit,
    /// naming the estimate, the limit, `settingName` (what the user changes) and the largest batch that fits.
    /// `requestedBatchSize` is what the user asked for when it is more than the examples there are.
    public func check(batchSize: Int, requestedBatchSize: Int? = nil, settingName: String = "batch_size", model description: String = "the model") throws {
        let estimate = bytes(batchSize: batchSize)
        let limit = MemoryBudget.limit
        let fitting = largestBatch(fitting: limit)
        let advice = fitting >= 1
            ? "lower \(settingName) (at most about \(fitting) fits in the limit)"
            : "use a smaller model (not even one example fits in the limit)"
        try MemoryBudget.check(bytes: estimate,
                               for: "a training step of \(description) with \(settingName) \(requestedBatchSize ?? batchSize)"
                                   + (requestedBatchSize.map { $0 != batchSize ? " (batches of \(batchSize), all the training examples)" : "" } ?? "")
                                   + " (activations kept for backward, their gradients, "
                                   + "convolution column buffers, parameter gradients and optimiser state)",
                               remedy: advice)
    }
}
