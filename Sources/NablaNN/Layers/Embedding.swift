import Nabla

/// A lookup table of learned vectors, one per index (word, token, item), like PyTorch's `nn.Embedding`.
///
/// Shapes: indices of any shape → (indices.shape…, embeddingSize). Parameter `weight`
/// (embeddingCount, embeddingSize), initialised N(0, 1) as in PyTorch.
///
/// With `paddingIndex`, that row starts as zeros and receives no gradient, so padding tokens stay at zero
/// while training (a negative index counts from the end, as in PyTorch).
///
/// Indices are usually an `IntTensor`; the `Layer` form takes whole numbers stored in a float tensor, so
/// an embedding can open a `Sequential`.
///
/// ```swift
/// let embed = Embedding(embeddingCount: 1000, embeddingSize: 64, paddingIndex: 0, generator: RandomGenerator(seed: 0))
/// let vectors = embed(IntTensor([5, 0, 42], shape: [1, 3]))   // shape [1, 3, 64]; vectors for 0 are zero
/// ```
public final class Embedding: Module, Layer {
    public let weight: Tensor
    /// The row kept at zero and out of training, normalised to 0..<embeddingCount.
    public let paddingIndex: Int?

    public init(embeddingCount: Int, embeddingSize: Int, paddingIndex: Int? = nil, generator: RandomGenerator) {
        precondition(embeddingCount > 0 && embeddingSize > 0,
                     "Embedding: embeddingCount \(embeddingCount) and embeddingSize \(embeddingSize) must be positive")
        if let paddingIndex {
            precondition((-embeddingCount..<embeddingCount).contains(paddingIndex),
                         "Embedding: paddingIndex \(paddingIndex) must lie in -\(embeddingCount)..<\(embeddingCount)")
        }
        let resolvedPadding = paddingIndex.map { $0 < 0 ? $0 + embeddingCount : $0 }
        var values = generator.normal([embeddingCount, embeddingSize]).scalars
        if let row = resolvedPadding {
            for column in 0..<embeddingSize { values[row * embeddingSize + column] = 0 }
        }
        weight = Tensor(values, shape: [embeddingCount, embeddingSize])
        self.paddingIndex = resolvedPadding
    }

    public var embeddingCount: Int { weight.shape[0] }
    public var embeddingSize: Int { weight.shape[1] }

    public func callAsFunction(_ indices: IntTensor) -> Tensor {
        if let outside = indices.scalars.first(where: { !(0..<embeddingCount).contains($0) }) {
            preconditionFailure("Embedding: expected indices in 0..<\(embeddingCount), got \(outside) in indices of shape \(indices.shape)")
        }
        let rows = embedding(indices, weight: weight)
        guard let paddingIndex, rows.requiresGrad, indices.scalars.contains(paddingIndex) else { return rows }
        // Padding positions read the table's values but pass no gradient back to their row.
        let isPadding = Tensor(indices.scalars.map { $0 == paddingIndex ? 1 : 0 }, shape: indices.shape + [1])
        return `where`(isPadding, rows.detached(), rows)
    }

    /// Indices stored as whole numbers in a float tensor (e.g. the first layer of a `Sequential`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let values = input.scalars
        if let fractional = values.first(where: { $0 != $0.rounded() }) {
            preconditionFailure("Embedding: expected whole-number indices, got \(fractional) in input of shape \(input.shape)")
        }
        return self(IntTensor(values.map { Int($0) }, shape: input.shape))
    }
}
