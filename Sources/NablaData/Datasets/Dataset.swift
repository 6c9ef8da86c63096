import Nabla

/// One mini-batch: inputs with the examples along the first axis, and one class label per example.
public typealias Batch = (inputs: Tensor, labels: IntTensor)

/// A collection of labelled examples that hands out batches by index: the labelled-classification case
/// of `ExampleSource` (whose other kinds are sequences, pairs, unlabelled examples).
///
/// A data set gathers a whole batch at once (one `memcpy` per example out of a contiguous tensor) rather
/// than building a tensor per example, which is what makes loading cheap next to training. `DataLoader`
/// decides which indices form each batch.
///
/// Batches may be requested from a background thread (see `DataLoader`'s prefetching), so `batch(at:)`
/// must only read shared state.
///
/// ```swift
/// let data = TensorDataset(features: Tensor.zeros([100, 3]), labels: IntTensor([Int](repeating: 0, count: 100)))
/// let (inputs, labels) = data.batch(at: [4, 2, 7])   // inputs 3×3, labels [0, 0, 0]
/// ```
public protocol Dataset: ExampleSource where Batch == (inputs: Tensor, labels: IntTensor) {
    /// The number of examples.
    var count: Int { get }
    /// The shape of one example's inputs, e.g. `[1, 28, 28]` for a grey image.
    var exampleShape: [Int] { get }
    /// Every example's label, in order (used by stratified splits and class counts).
    var labels: IntTensor { get }
    /// The examples at `indices` (each in `0..<count`, repeats allowed): inputs of shape
    /// `[indices.count] + exampleShape` and their labels.
    func batch(at indices: [Int]) -> (inputs: Tensor, labels: IntTensor)
}

/// A data set held in memory as one features tensor (examples along axis 0) and one label per example.
///
/// ```swift
/// let features = Tensor([0, 0, 1, 1, 2, 2], shape: [3, 2])
/// let data = TensorDataset(features: features, labels: IntTensor([0, 1, 0]))
/// data.batch(at: [2, 0]).inputs    // [[2, 2], [0, 0]]
/// ```
public struct TensorDataset: Dataset {
    /// The features, contiguous, `[count] + exampleShape`.
    public let features: Tensor
    public let labels: IntTensor

    /// `features` has one example per row of axis 0 and `labels` one integer per example; a mismatch is a
    /// programming error and stops the program with both sizes.
    public init(features: Tensor, labels: IntTensor) {
        precondition(features.rank >= 1, "TensorDataset: features need an example axis, got a scalar")
        precondition(labels.rank == 1 && labels.count == features.shape[0],
                     "TensorDataset: \(features.shape[0]) examples of features (shape \(features.shape)) but labels of shape \(labels.shape)")
        // Detached and contiguous once, so every batch is plain row copies.
        self.features = features.detached().contiguous()
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var exampleShape: [Int] { Array(features.shape.dropFirst()) }

    public func batch(at indices: [Int]) -> Batch {
        (gatherRows(features, indices), IntTensor(indices.map { index in
            precondition(index >= 0 && index < labels.count, "TensorDataset.batch: index \(index) is outside 0..<\(labels.count)")
            return labels.scalars[index]
        }))
    }
}

/// The rows of a contiguous tensor at `indices` along axis 0, copied with one `memcpy` each.
public func gatherRows(_ source: Tensor, _ indices: [Int]) -> Tensor {
    precondition(source.rank >= 1, "gatherRows: needs a tensor with an example axis, got a scalar")
    let contiguousSource = source.contiguous()
    let rowShape = Array(contiguousSource.shape.dropFirst())
    let rowCount = contiguousSource.shape[0]
    let rowSize = rowShape.reduce(1, *)
    let result = Tensor.zeros([indices.count] + rowShape)
    contiguousSource.withUnsafeBufferPointer { input in
        result.withUnsafeMutableBufferPointer { output in
            guard rowSize > 0, let from = input.baseAddress, let to = output.baseAddress else { return }
            for (position, index) in indices.enumerated() {
                precondition(index >= 0 && index < rowCount, "gatherRows: index \(index) is outside 0..<\(rowCount)")
                (to + position * rowSize).update(from: from + index * rowSize, count: rowSize)
            }
        }
    }
    return result
}

extension Dataset {
    /// The number of examples of each class, indexed by label (`classCount` entries; labels outside
    /// `0..<classCount` are not counted).
    public func examplesPerClass(classCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels.scalars where label >= 0 && label < classCount { counts[label] += 1 }
        return counts
    }

    /// All examples as one batch, in order (e.g. to evaluate a small test set in one go). Throws
    /// `MemoryLimitError` when the batch (4 bytes a float input, 8 an index and a label per example) would
    /// exceed `MemoryBudget.limit`: a whole large data set is one allocation, checked before it is made.
    public func all() throws -> Batch {
        let inputBytes = MemoryBudget.bytes(count, exampleShape.reduce(1) { MemoryBudget.bytes($0, $1, elementBytes: 1) }, elementBytes: 4)
        let bookkeeping = MemoryBudget.bytes(count, elementBytes: 3 * 8)
        let total = inputBytes.addingReportingOverflow(bookkeeping)
        try MemoryBudget.check(bytes: total.overflow ? .max : total.partialValue,
                               for: "all \(count) examples of shape \(exampleShape) as one batch",
                               remedy: "take the data in batches (DataLoader, or batch(at:) over ranges of indices)")
        return batch(at: Array(0..<count))
    }
}
