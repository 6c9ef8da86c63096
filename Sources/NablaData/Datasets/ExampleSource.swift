import Nabla

/// A collection of examples of any kind that hands out whole batches by index: labelled images
/// (`Dataset`), token sequences padded to a batch with their masks (`SequenceDataset`), pairs of
/// examples (`PairedDataset`), unlabelled images (`UnlabelledDataset`), or a lab's own type.
///
/// Gathering a batch at once (rather than an example at a time) is what keeps loading cheap next to
/// training: each kind copies its examples into one batch with one copy per example. `BatchLoader`
/// decides which indices form each batch; batches may be requested from a background thread, so
/// `batch(at:)` must only read shared state.
///
/// ```swift
/// let sentences = SequenceDataset(sequences: [[5, 2, 9], [7, 1]], padding: 0)
/// let loader = BatchLoader(sentences, batchSize: 2, shuffle: true, generator: RandomGenerator(seed: 1))
/// for batch in loader { batch.tokens; batch.mask }   // 2×3 tokens, 2×3 mask (1 real, 0 padding)
/// ```
public protocol ExampleSource {
    associatedtype Batch
    /// The number of examples.
    var count: Int { get }
    /// The examples at `indices` (each in `0..<count`, repeats allowed), as one batch.
    func batch(at indices: [Int]) -> Batch
}

/// Unlabelled examples held as one tensor (examples along axis 0): images for an autoencoder, a VAE or
/// a GAN's real samples. A batch is the rows at the indices, one `memcpy` each.
public struct UnlabelledDataset: ExampleSource {
    public let features: Tensor

    public init(features: Tensor) {
        precondition(features.rank >= 1, "UnlabelledDataset: features need an example axis, got a scalar")
        self.features = features.detached().contiguous()
    }

    public var count: Int { features.shape[0] }
    public func batch(at indices: [Int]) -> Tensor { gatherRows(features, indices) }
}

/// A labelled data set's images without their labels (e.g. Fashion-MNIST for a generative model).
public struct InputsOnly<Base: Dataset>: ExampleSource {
    public let base: Base
    public init(_ base: Base) { self.base = base }
    public var count: Int { base.count }
    public func batch(at indices: [Int]) -> Tensor { base.batch(at: indices).inputs }
}

/// Two sources of the same length whose examples go together by index (inputs and targets of another
/// kind, two views of one image, a sentence and its translation).
public struct PairedDataset<First: ExampleSource, Second: ExampleSource>: ExampleSource {
    public let first: First
    public let second: Second

    /// Sources of different lengths are a programming error, stopped with both counts.
    public init(_ first: First, _ second: Second) {
        precondition(first.count == second.count, "PairedDataset: the first source has \(first.count) examples, the second \(second.count)")
        self.first = first
        self.second = second
    }

    public var count: Int { first.count }
    public func batch(at indices: [Int]) -> (First.Batch, Second.Batch) { (first.batch(at: indices), second.batch(at: indices)) }
}

/// Token sequences of different lengths; a batch pads them to its longest with `padding` and says which
/// positions are real.
public struct SequenceDataset: ExampleSource {
    /// A batch of sequences: `tokens` and `mask` are `[count, longest]`, `mask` 1 at real tokens and 0 at
    /// padding (multiply a per-token loss by it), `lengths` each sequence's own length.
    public struct Batch {
        public let tokens: IntTensor
        public let mask: Tensor
        public let lengths: [Int]
    }

    public let sequences: [[Int]]
    public let padding: Int

    public init(sequences: [[Int]], padding: Int = 0) {
        self.sequences = sequences
        self.padding = padding
    }

    public var count: Int { sequences.count }

    public func batch(at indices: [Int]) -> Batch {
        let chosen = indices.map { index in
            precondition(index >= 0 && index < sequences.count, "SequenceDataset.batch: index \(index) is outside 0..<\(sequences.count)")
            return sequences[index]
        }
        let longest = chosen.map(\.count).max() ?? 0
        var tokens = [Int](repeating: padding, count: chosen.count * longest)
        var mask = [Float](repeating: 0, count: chosen.count * longest)
        for (row, sequence) in chosen.enumerated() {
            for (column, token) in sequence.enumerated() {
                tokens[row * longest + column] = token
                mask[row * longest + column] = 1
            }
        }
        return Batch(tokens: IntTensor(tokens, shape: [chosen.count, longest]), mask: Tensor(mask, shape: [chosen.count, longest]),
                     lengths: chosen.map(\.count))
    }
}
