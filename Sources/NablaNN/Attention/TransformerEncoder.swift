import Nabla

/// One Transformer encoder layer, like PyTorch's `nn.TransformerEncoderLayer`: self-attention and a
/// feed-forward block, each with a residual connection and layer normalisation.
///
///     post-norm (default):  x = norm1(x + dropout1(selfAttention(x)))
///                           x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
///     normFirst:            x = x + dropout1(selfAttention(norm1(x)))
///                           x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))
///
/// Shapes: input (S, N, E), or (N, S, E) with `batchFirst`, or unbatched (S, E) → the same shape, with
/// E = `modelDimension`. `mask` and `keyPaddingMask` are those of `MultiheadAttention` (a padding mask
/// marks keys to ignore with 1).
///
/// Parameters (PyTorch's keys): `self_attn.*` (see `MultiheadAttention`), `linear1` (F, E) and `linear2`
/// (E, F) with F = `feedforwardDimension`, initialised as `Linear`; `norm1`, `norm2` (weight ones, bias
/// zeros). `dropout` applies to the attention weights, the hidden feed-forward activations and both
/// residual branches, in training mode.
///
/// ```swift
/// let layer = TransformerEncoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, batchFirst: true,
///                                     generator: RandomGenerator(seed: 0))
/// let y = layer(Tensor.ones([4, 5, 8]), mask: .causal)   // [4, 5, 8]
/// ```
public final class TransformerEncoderLayer: Module, Layer {
    public let selfAttention: MultiheadAttention
    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let activation: TransformerActivation
    /// Whether each block normalises its input (pre-norm) instead of the residual sum (post-norm).
    public let normFirst: Bool

    public override class var stateKeyOverrides: [String: String] { ["selfAttention": "self_attn"] }

    public var modelDimension: Int { selfAttention.embedDimension }
    public var batchFirst: Bool { selfAttention.batchFirst }

    public init(modelDimension: Int, headCount: Int, feedforwardDimension: Int = 2048, dropout: Float = 0.1,
                activation: TransformerActivation = .relu, layerNormEpsilon: Float = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, generator: RandomGenerator) {
        selfAttention = MultiheadAttention(embedDimension: modelDimension, headCount: headCount, dropout: dropout,
                                           bias: bias, batchFirst: batchFirst, generator: generator)
        linear1 = Linear(inputSize: modelDimension, outputSize: feedforwardDimension, bias: bias, generator: generator)
        self.dropout = Dropout(probability: dropout, generator: generator)
        linear2 = Linear(inputSize: feedforwardDimension, outputSize: modelDimension, bias: bias, generator: generator)
        norm1 = LayerNorm(normalizedShape: [modelDimension], epsilon: layerNormEpsilon, bias: bias)
        norm2 = LayerNorm(normalizedShape: [modelDimension], epsilon: layerNormEpsilon, bias: bias)
        dropout1 = Dropout(probability: dropout, generator: generator)
        dropout2 = Dropout(probability: dropout, generator: generator)
        self.activation = activation
        self.normFirst = normFirst
    }

    public func callAsFunction(_ source: Tensor) -> Tensor { self(source, mask: nil, keyPaddingMask: nil) }

    public func callAsFunction(_ source: Tensor, mask: AttentionMask? = nil, keyPaddingMask: Tensor? = nil) -> Tensor {
        checkTransformerSequence(source, "input", layer: "TransformerEncoderLayer", modelDimension: modelDimension, batchFirst: batchFirst)
        func attentionBlock(_ x: Tensor) -> Tensor {
            dropout1(selfAttention(query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, mask: mask, needWeights: false).output)
        }
        func feedforwardBlock(_ x: Tensor) -> Tensor { dropout2(linear2(dropout(activation(linear1(x))))) }
        var x = source
        if normFirst {
            x = x + attentionBlock(norm1(x))
            x = x + feedforwardBlock(norm2(x))
        } else {
            x = norm1(x + attentionBlock(x))
            x = norm2(x + feedforwardBlock(x))
        }
        return x
    }
}

/// A stack of Transformer encoder layers with an optional final normalisation, like PyTorch's
/// `nn.TransformerEncoder`. Keys: `layers.0.self_attn.in_proj_weight`, …, `norm.weight`, `norm.bias`.
///
/// Shapes: as `TransformerEncoderLayer`. The same `mask` and `keyPaddingMask` reach every layer.
///
/// Unlike PyTorch, which deep-copies one layer (so all layers start with equal weights), each layer here
/// is built by `makeLayer` and drawn independently; loading a state dictionary makes the two agree.
///
/// ```swift
/// let generator = RandomGenerator(seed: 0)
/// let encoder = TransformerEncoder(layerCount: 2, norm: LayerNorm(normalizedShape: [8])) { _ in
///     TransformerEncoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, batchFirst: true, generator: generator)
/// }
/// let memory = encoder(Tensor.ones([4, 5, 8]))   // [4, 5, 8]
/// ```
public final class TransformerEncoder: Module, Layer {
    public let layers: [TransformerEncoderLayer]
    public let norm: LayerNorm?

    public init(layers: [TransformerEncoderLayer], norm: LayerNorm? = nil) {
        precondition(!layers.isEmpty, "TransformerEncoder: needs at least one layer")
        self.layers = layers
        self.norm = norm
    }

    public convenience init(layerCount: Int, norm: LayerNorm? = nil, makeLayer: (Int) -> TransformerEncoderLayer) {
        self.init(layers: (0..<layerCount).map(makeLayer), norm: norm)
    }

    public func callAsFunction(_ source: Tensor) -> Tensor { self(source, mask: nil, keyPaddingMask: nil) }

    public func callAsFunction(_ source: Tensor, mask: AttentionMask? = nil, keyPaddingMask: Tensor? = nil) -> Tensor {
        let encoded = layers.reduce(source) { x, layer in layer(x, mask: mask, keyPaddingMask: keyPaddingMask) }
        return norm.map { $0(encoded) } ?? encoded
    }
}
