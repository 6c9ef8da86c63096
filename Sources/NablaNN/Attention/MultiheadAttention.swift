import Nabla

/// Multi-head attention, like PyTorch's `nn.MultiheadAttention`:
///
///     Q = query·W_qᵀ + b_q,  K = key·W_kᵀ + b_k,  V = value·W_vᵀ + b_v      (W_q, W_k, W_v stacked in in_proj_weight)
///     headᵢ = softmax(Qᵢ·Kᵢᵀ / √(E/heads) + mask) · Vᵢ                       (Qᵢ: the i-th E/heads features)
///     output = concat(head₁ … head_h) · W_oᵀ + b_o                          (out_proj)
///
/// Shapes (L queries, S keys, N batch, E = `embedDimension`):
/// - query (L, N, E), key and value (S, N, E); with `batchFirst` (N, L, E) and (N, S, E); unbatched
///   (L, E) and (S, E). Keys and values have E features too (PyTorch's `kdim`/`vdim` are not supported).
/// - `keyPaddingMask` (N, S) (unbatched: (S)): 1 marks a key to ignore (padding), PyTorch's True.
/// - `mask`: see `AttentionMask`; (L, S) or (N·heads, L, S).
/// - output like query; weights (N, L, S) averaged over heads, or (N, heads, L, S) (unbatched without N).
///
/// Parameters, PyTorch's names and initialisation: `in_proj_weight` (3E, E) Xavier-uniform,
/// `in_proj_bias` (3E) zeros, `out_proj.weight` (E, E) U(−1/√E, 1/√E), `out_proj.bias` (E) zeros.
/// In training mode `dropout` zeroes attention weights (the returned weights are those after dropout, as
/// PyTorch's). A query whose keys are all masked gets zero weights and a zero output (PyTorch's
/// `need_weights=False` path; its `need_weights=True` path gives NaN there).
///
/// ```swift
/// let attention = MultiheadAttention(embedDimension: 8, headCount: 2, batchFirst: true, generator: RandomGenerator(seed: 0))
/// let x = Tensor.ones([4, 5, 8])
/// let (output, weights) = attention(query: x, key: x, value: x)   // [4, 5, 8] and [4, 5, 5]
/// ```
public final class MultiheadAttention: Module {
    public let inputProjectionWeight: Tensor
    public let inputProjectionBias: Tensor?
    public let outputProjection: Linear
    public let embedDimension: Int
    public let headCount: Int
    /// The probability of zeroing an attention weight in training mode.
    public let dropoutProbability: Float
    public let batchFirst: Bool
    /// Draws the dropout masks.
    let generator: RandomGenerator

    public override class var stateKeyOverrides: [String: String] {
        ["inputProjectionWeight": "in_proj_weight", "inputProjectionBias": "in_proj_bias", "outputProjection": "out_proj"]
    }

    public var headDimension: Int { embedDimension / headCount }

    public init(embedDimension: Int, headCount: Int, dropout: Float = 0, bias: Bool = true, batchFirst: Bool = false,
                generator: RandomGenerator) {
        precondition(embedDimension > 0 && headCount > 0 && embedDimension % headCount == 0,
                     "MultiheadAttention: embedDimension \(embedDimension) must be a positive multiple of headCount \(headCount)")
        precondition((0...1).contains(dropout), "MultiheadAttention: dropout \(dropout) is outside [0, 1]")
        self.embedDimension = embedDimension
        self.headCount = headCount
        self.dropoutProbability = dropout
        self.batchFirst = batchFirst
        self.generator = generator
        outputProjection = Linear(inputSize: embedDimension, outputSize: embedDimension, bias: bias, generator: generator)
        outputProjection.bias?.assign(Tensor.zeros([embedDimension]))
        inputProjectionWeight = Initialization.xavierUniform([3 * embedDimension, embedDimension], generator: generator)
        inputProjectionBias = bias ? Tensor.zeros([3 * embedDimension]) : nil
        super.init()
    }

    /// Attends from `query` to `key`/`value`; returns the output and, with `needWeights`, the attention
    /// weights (averaged over heads unless `averageWeights` is false).
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor? = nil,
                               mask: AttentionMask? = nil, needWeights: Bool = true,
                               averageWeights: Bool = true) -> (output: Tensor, weights: Tensor?) {
        let isBatched = query.rank == 3
        checkShapes(query: query, key: key, value: value)
        // Work batch-first: (N, L, E).
        func batchMajor(_ x: Tensor) -> Tensor { isBatched ? (batchFirst ? x : x.transposed(0, 1)) : x.unsqueezed(axis: 0) }
        let (q, k, v) = (batchMajor(query), batchMajor(key), batchMajor(value))
        let (batch, queries, keys) = (q.shape[0], q.shape[1], k.shape[1])
        let e = embedDimension

        let projected: [Tensor]
        if query === key && key === value {
            // Self-attention: one product with the packed weight instead of three.
            projected = project(q, weight: inputProjectionWeight, bias: inputProjectionBias).split(sizes: [e, e, e], axis: 2)
        } else {
            projected = [q, k, v].enumerated().map { index, x in
                project(x, weight: inputProjectionWeight.sliced(axis: 0, start: index * e, end: (index + 1) * e),
                        bias: inputProjectionBias?.sliced(axis: 0, start: index * e, end: (index + 1) * e))
            }
        }
        // (N, length, E) → (N, heads, length, E/heads).
        let heads = projected.map { $0.reshaped([batch, $0.shape[1], headCount, headDimension]).permuted([0, 2, 1, 3]) }

        var scores = matmul(heads[0], heads[1].transposed()) * (1 / Float(headDimension).squareRoot())
        let (additive, blocked) = resolveMasks(mask, keyPaddingMask: keyPaddingMask, batch: batch, queries: queries,
                                               keys: keys, isBatched: isBatched)
        if let additive { scores = scores + additive }
        if let blocked { scores = `where`(blocked, Tensor(scalar: -.infinity), scores) }
        var weights: Tensor
        if additive == nil && blocked == nil {
            weights = scores.softmax(axis: -1)
        } else {
            // A query with every key blocked would give 0/0: give it finite scores, then zero weights.
            let rowMaximum = withoutGradients { scores.max(axes: [-1], keepDims: true) }
            let live = rowMaximum .> -Float.infinity
            weights = `where`(live, scores, Tensor(scalar: 0)).softmax(axis: -1) * live
        }
        if isTraining && dropoutProbability > 0 {
            weights = invertedDropout(weights, probability: dropoutProbability, generator: generator)
        }
        let attended = matmul(weights, heads[2]).permuted([0, 2, 1, 3]).reshaped([batch * queries, e])
        var output = outputProjection(attended).reshaped([batch, queries, e])
        output = isBatched ? (batchFirst ? output : output.transposed(0, 1)) : output.squeezed(axis: 0)

        guard needWeights else { return (output, nil) }
        var returned = averageWeights ? weights.mean(axis: 1) : weights
        if !isBatched { returned = returned.squeezed(axis: 0) }
        return (output, returned)
    }

    /// `x·Wᵀ + b` for x (N, length, E), as one matrix product over (N·length, E) so that the weight
    /// gradient is one product too.
    private func project(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        linear(x.reshaped([x.shape[0] * x.shape[1], embedDimension]), weight: weight, bias: bias)
            .reshaped([x.shape[0], x.shape[1], weight.shape[0]])
    }

    private func checkShapes(query: Tensor, key: Tensor, value: Tensor) {
        let e = embedDimension
        let layout = batchFirst ? "(batch, length, \(e))" : "(length, batch, \(e))"
        for (name, tensor) in [("query", query), ("key", key), ("value", value)] {
            precondition((tensor.rank == 3 || tensor.rank == 2) && tensor.rank == query.rank && tensor.shape.last == e,
                         "MultiheadAttention: expected \(name) \(layout) or unbatched (length, \(e)), all of one rank, got \(name) \(tensor.shape) with query \(query.shape)")
        }
        let batchAxis = batchFirst ? 0 : 1, lengthAxis = query.rank == 3 ? 1 - batchAxis : 0
        precondition(key.shape[lengthAxis] == value.shape[lengthAxis] && (query.rank == 2 ||
                     (key.shape[batchAxis] == query.shape[batchAxis] && value.shape[batchAxis] == query.shape[batchAxis])),
                     "MultiheadAttention: expected key and value of one length and query, key, value of one batch size, got query \(query.shape), key \(key.shape), value \(value.shape)")
    }

    /// The masks as an additive float tensor and a 0/1 blocked tensor, each broadcastable to the
    /// scores (N, heads, L, S), or nil where there is none.
    private func resolveMasks(_ mask: AttentionMask?, keyPaddingMask: Tensor?, batch: Int, queries: Int, keys: Int,
                              isBatched: Bool) -> (additive: Tensor?, blocked: Tensor?) {
        func fitted(_ tensor: Tensor) -> Tensor {
            let stacked = isBatched ? [batch * headCount, queries, keys] : [headCount, queries, keys]
            precondition(tensor.shape == [queries, keys] || tensor.shape == stacked,
                         "MultiheadAttention: expected attention mask (L, S) \([queries, keys]) or (\(isBatched ? "batch·heads" : "heads"), L, S) \(stacked), got \(tensor.shape)")
            return tensor.rank == 2 ? tensor : tensor.reshaped([batch, headCount, queries, keys])
        }
        var additive: Tensor? = nil, blocked: Tensor? = nil
        switch mask {
        case .allowed(let allowed)?: blocked = fitted(allowed) .== 0
        case .blocked(let masked)?: blocked = fitted(masked) .!= 0
        case .additive(let added)?: additive = fitted(added)
        case .causal?: blocked = Transformer.causalBlocked(queries: queries, keys: keys)
        case nil: break
        }
        if let keyPaddingMask {
            let expected = isBatched ? [batch, keys] : [keys]
            precondition(keyPaddingMask.shape == expected,
                         "MultiheadAttention: expected key padding mask \(isBatched ? "(batch, S)" : "(S)") \(expected), got \(keyPaddingMask.shape)")
            let padding = (keyPaddingMask .!= 0).reshaped([batch, 1, 1, keys])
            blocked = blocked.map { maximum($0, padding) } ?? padding
        }
        return (additive, blocked)
    }
}
