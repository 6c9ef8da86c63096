import Foundation
import Nabla

/// Adds the fixed sinusoidal position signal of "Attention Is All You Need" (Vaswani et al., 2017), as in
/// PyTorch's Transformer tutorial:
///
///     PE(pos, 2i)   = sin(pos / 10000^(2i/E))
///     PE(pos, 2i+1) = cos(pos / 10000^(2i/E))
///
/// Shapes: input (S, N, E), or (N, S, E) with `batchFirst`, or unbatched (S, E) → the same shape, with
/// S + `startPosition` ≤ `maximumLength`. No parameters; the table is recomputed, not saved (the
/// tutorial's persistent `pe` buffer is left out of the state dictionary: load its checkpoints with
/// `strict: false`). Add dropout after it with a `Dropout` layer if wanted.
///
/// ```swift
/// let positions = SinusoidalPositionalEncoding(embedDimension: 8, batchFirst: true)
/// let y = positions(Tensor.zeros([4, 5, 8]))   // row 0 of each sample: [0, 1, 0, 1, 0, 1, 0, 1]
/// ```
public final class SinusoidalPositionalEncoding: Module, Layer {
    public let embedDimension: Int
    public let maximumLength: Int
    public let batchFirst: Bool
    /// Held in a struct so that reflection does not take it for a parameter.
    private let storedTable: FixedTable

    private struct FixedTable { let values: Tensor }

    /// The (maximumLength, embedDimension) table of encodings.
    public var table: Tensor { storedTable.values }

    public init(embedDimension: Int, maximumLength: Int = 5000, batchFirst: Bool = false) {
        precondition(embedDimension > 0 && maximumLength > 0,
                     "SinusoidalPositionalEncoding: embedDimension \(embedDimension) and maximumLength \(maximumLength) must be positive")
        self.embedDimension = embedDimension
        self.maximumLength = maximumLength
        self.batchFirst = batchFirst
        var values = [Float](repeating: 0, count: maximumLength * embedDimension)
        for position in 0..<maximumLength {
            for pair in stride(from: 0, to: embedDimension, by: 2) {
                // In double precision: at position 5000 a float angle would be off in the third digit.
                let angle = Double(position) / Foundation.pow(10000, Double(pair) / Double(embedDimension))
                values[position * embedDimension + pair] = Float(Foundation.sin(angle))
                if pair + 1 < embedDimension { values[position * embedDimension + pair + 1] = Float(Foundation.cos(angle)) }
            }
        }
        storedTable = FixedTable(values: Tensor(values, shape: [maximumLength, embedDimension]))
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, startPosition: 0) }

    /// The input plus the encodings of positions `startPosition`, `startPosition + 1`, … (a start above
    /// zero continues a sequence, e.g. one generated token at a time).
    public func callAsFunction(_ input: Tensor, startPosition: Int) -> Tensor {
        addPositions(input, table: table, startPosition: startPosition, batchFirst: batchFirst,
                     layer: "SinusoidalPositionalEncoding")
    }
}

/// A learned position embedding: a trainable vector per position added to the input, as in BERT and
/// GPT-2 (in PyTorch, an `nn.Embedding(maximumLength, E)` indexed by position).
///
/// Shapes: input (S, N, E), or (N, S, E) with `batchFirst`, or unbatched (S, E) → the same shape, with
/// S + `startPosition` ≤ `maximumLength`. Parameter `weight` (maximumLength, E), initialised N(0, σ²) with
/// σ = `standardDeviation` (1 as `nn.Embedding`; GPT-2 uses 0.02).
///
/// ```swift
/// let positions = LearnedPositionalEmbedding(maximumLength: 128, embedDimension: 8, batchFirst: true,
///                                            generator: RandomGenerator(seed: 0))
/// let y = positions(Tensor.zeros([4, 5, 8]))   // each sample: weight rows 0..<5
/// ```
public final class LearnedPositionalEmbedding: Module, Layer {
    public let weight: Tensor
    public let batchFirst: Bool

    public var maximumLength: Int { weight.shape[0] }
    public var embedDimension: Int { weight.shape[1] }

    public init(maximumLength: Int, embedDimension: Int, batchFirst: Bool = false, standardDeviation: Float = 1,
                generator: RandomGenerator) {
        precondition(embedDimension > 0 && maximumLength > 0,
                     "LearnedPositionalEmbedding: embedDimension \(embedDimension) and maximumLength \(maximumLength) must be positive")
        weight = generator.normal([maximumLength, embedDimension], standardDeviation: standardDeviation)
        self.batchFirst = batchFirst
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, startPosition: 0) }

    /// The input plus the embeddings of positions `startPosition`, `startPosition + 1`, ….
    public func callAsFunction(_ input: Tensor, startPosition: Int) -> Tensor {
        addPositions(input, table: weight, startPosition: startPosition, batchFirst: batchFirst,
                     layer: "LearnedPositionalEmbedding")
    }
}

/// `input` plus rows `startPosition ..< startPosition + S` of `table`, lined up with the sequence axis.
private func addPositions(_ input: Tensor, table: Tensor, startPosition: Int, batchFirst: Bool, layer: String) -> Tensor {
    let (maximumLength, features) = (table.shape[0], table.shape[1])
    let layout = batchFirst ? "(batch, sequence, \(features))" : "(sequence, batch, \(features))"
    precondition((input.rank == 3 || input.rank == 2) && input.shape.last == features,
                 "\(layer): expected input \(layout) or unbatched (sequence, \(features)), got \(input.shape)")
    let length = input.shape[input.rank == 3 && batchFirst ? 1 : 0]
    precondition(startPosition >= 0 && startPosition + length <= maximumLength,
                 "\(layer): positions \(startPosition)..<\(startPosition + length) of input \(input.shape) exceed the maximum length \(maximumLength)")
    let rows = table.sliced(axis: 0, start: startPosition, end: startPosition + length)
    // Sequence-first batches need the rows as (S, 1, E) to broadcast over the batch axis.
    return input + (input.rank == 3 && !batchFirst ? rows.unsqueezed(axis: 1) : rows)
}
