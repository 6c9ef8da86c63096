import Nabla
import NablaNN

/// GPT's multi-head causal self-attention (nanoGPT's `CausalSelfAttention`):
///
///     q, k, v = split(c_attn(x))                   (each (B, heads, T, E/heads))
///     y = softmax(q·kᵀ/√(E/heads), causal) · v      (position t attends to positions ≤ t)
///     output = dropout(c_proj(concat heads(y)))
///
/// With a key/value cache layer, the keys and values of earlier positions come from the cache and this
/// call's are appended to it; the new queries attend to every cached position and causally among
/// themselves, so a step with one new token costs one row of attention instead of the whole prefix.
///
/// Shapes: x (B, T, E) → (B, T, E). Parameters `c_attn.weight` (3E, E), `c_attn.bias` (3E),
/// `c_proj.weight` (E, E), `c_proj.bias` (E).
public final class CausalSelfAttention: Module {
    public let inputProjection: Linear
    public let outputProjection: Linear
    public let headCount: Int
    public let attentionDropout: Dropout
    public let residualDropout: Dropout

    public override class var stateKeyOverrides: [String: String] { ["inputProjection": "c_attn", "outputProjection": "c_proj"] }

    public init(_ configuration: GPTConfiguration, generator: RandomGenerator) {
        let e = configuration.embeddingSize
        inputProjection = Linear(inputSize: e, outputSize: 3 * e, bias: configuration.bias, generator: generator)
        outputProjection = Linear(inputSize: e, outputSize: e, bias: configuration.bias, generator: generator)
        headCount = configuration.headCount
        attentionDropout = Dropout(probability: configuration.dropout, generator: generator)
        residualDropout = Dropout(probability: configuration.dropout, generator: generator)
        super.init()
    }

    public func callAsFunction(_ x: Tensor, cache: KeyValueCache.Layer? = nil) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == outputProjection.inputSize,
                     "CausalSelfAttention: expected x (batch, length, \(outputProjection.inputSize)), got \(x.shape)")
        let (batch, length, e) = (x.shape[0], x.shape[1], x.shape[2])
        let headSize = e / headCount
        // (B·T, 3E) → (3, B, heads, T, E/heads): one permute for the three.
        let qkv = inputProjection(x.reshaped([batch * length, e]))
            .reshaped([batch, length, 3, headCount, headSize]).permuted([2, 0, 3, 1, 4])
        let query = qkv.sliced(axis: 0, start: 0, end: 1).squeezed(axis: 0)
        var key = qkv.sliced(axis: 0, start: 1, end: 2).squeezed(axis: 0)
        var value = qkv.sliced(axis: 0, start: 2, end: 3).squeezed(axis: 0)
        let past = cache?.keys?.shape[2] ?? 0
        if let cache {
            if let pastKeys = cache.keys, let pastValues = cache.values {
                key = Tensor.concat([pastKeys, key], axis: 2)
                value = Tensor.concat([pastValues, value], axis: 2)
            }
            cache.keys = key
            cache.values = value
        }
        let attended: Tensor
        if isTraining && attentionDropout.probability > 0 {
            var scores = matmul(query, key.transposed()) * (1 / Float(headSize).squareRoot())
            scores = `where`(Self.blocked(queries: length, past: past), Tensor(scalar: -.infinity), scores)
            attended = matmul(attentionDropout(scores.softmax(axis: -1)), value)
        } else if past == 0 {
            attended = causalAttention(query: query, key: key, value: value)
        } else if length == 1 {
            // One new token sees every cached position: no mask.
            attended = scaledDotProductAttention(query: query, key: key, value: value)
        } else {
            attended = scaledDotProductAttention(query: query, key: key, value: value,
                                                 allowed: 1 - Self.blocked(queries: length, past: past))
        }
        let merged = attended.permuted([0, 2, 1, 3]).reshaped([batch * length, e])
        return residualDropout(outputProjection(merged)).reshaped([batch, length, e])
    }

    /// 1 where query i (at position past + i) may not see key j (j > past + i): (queries, past + queries).
    static func blocked(queries: Int, past: Int) -> Tensor {
        let keys = past + queries
        var values = [Float](repeating: 0, count: queries * keys)
        for row in 0..<queries { for column in (past + row + 1)..<Swift.max(keys, past + row + 1) { values[row * keys + column] = 1 } }
        return Tensor(values, shape: [queries, keys])
    }
}

/// The keys and values a GPT has computed for the tokens it has read, one entry per layer, so that
/// generation feeds only the new token at each step.
///
/// ```swift
/// let cache = model.makeCache()
/// var logits = model.logits(prompt, cache: cache)          // reads the prompt, fills the cache
/// logits = model.logits(IntTensor([next], shape: [1, 1]), cache: cache)   // one position of work per layer
/// ```
public final class KeyValueCache {
    /// One layer's keys and values: (B, heads, cached length, E/heads) each.
    public final class Layer {
        public internal(set) var keys: Tensor?
        public internal(set) var values: Tensor?
    }

    public let layers: [Layer]
    /// How many positions are cached.
    public internal(set) var length = 0
    /// The batch size of the cached sequences, once known.
    public internal(set) var batch: Int?

    public init(layerCount: Int) {
        layers = (0..<layerCount).map { _ in Layer() }
    }

    /// Forgets every cached position.
    public func reset() {
        for layer in layers { layer.keys = nil; layer.values = nil }
        length = 0
        batch = nil
    }
}

/// Causal scaled dot-product attention over (B, heads, T, E/heads) queries, keys and values, the same
/// function as `scaledDotProductAttention(..., isCausal: true)` in fewer passes: the −∞ above the diagonal
/// is added to the scores (every row keeps its diagonal, so no row is fully blocked and no guard is needed).
func causalAttention(query: Tensor, key: Tensor, value: Tensor) -> Tensor {
    let length = query.shape[query.rank - 2], headSize = query.shape[query.rank - 1]
    let scores = matmul(query, key.transposed()) * (1 / Float(headSize).squareRoot()) + Transformer.causalMask(size: length)
    return matmul(scores.softmax(axis: -1), value)
}
