import Nabla

/// One Transformer decoder layer, like PyTorch's `nn.TransformerDecoderLayer`: self-attention over the
/// target, cross-attention from the target to the encoder's output (`memory`), and a feed-forward block,
/// each with a residual connection and layer normalisation.
///
///     post-norm (default):  x = norm1(x + dropout1(selfAttention(x)))
///                           x = norm2(x + dropout2(crossAttention(x, memory)))
///                           x = norm3(x + dropout3(linear2(dropout(activation(linear1(x))))))
///     normFirst:            x = x + dropout1(selfAttention(norm1(x)))
///                           x = x + dropout2(crossAttention(norm2(x), memory))
///                           x = x + dropout3(linear2(dropout(activation(linear1(norm3(x))))))
///
/// Shapes: target (T, N, E) and memory (S, N, E), or (N, T, E) and (N, S, E) with `batchFirst`, or
/// unbatched (T, E) and (S, E); the output has the target's shape. Masks are those of
/// `MultiheadAttention`: `targetMask` (T, T) (usually `.causal`), `memoryMask` (T, S), and key padding
/// masks (N, T) and (N, S) with 1 marking keys to ignore.
///
/// Parameters (PyTorch's keys): `self_attn.*`, `multihead_attn.*` (cross-attention), `linear1`, `linear2`,
/// `norm1`, `norm2`, `norm3`, initialised as in `TransformerEncoderLayer`.
///
/// ```swift
/// let layer = TransformerDecoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, batchFirst: true,
///                                     generator: RandomGenerator(seed: 0))
/// let y = layer(Tensor.ones([4, 3, 8]), memory: Tensor.ones([4, 5, 8]), targetMask: .causal)   // [4, 3, 8]
/// ```
public final class TransformerDecoderLayer: Module {
    public let selfAttention: MultiheadAttention
    public let crossAttention: MultiheadAttention
    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let norm3: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let dropout3: Dropout
    public let activation: TransformerActivation
    /// Whether each block normalises its input (pre-norm) instead of the residual sum (post-norm).
    public let normFirst: Bool

    public override class var stateKeyOverrides: [String: String] {
        ["selfAttention": "self_attn", "crossAttention": "multihead_attn"]
    }

    public var modelDimension: Int { selfAttention.embedDimension }
    public var batchFirst: Bool { selfAttention.batchFirst }

    public init(modelDimension: Int, headCount: Int, feedforwardDimension: Int = 2048, dropout: Float = 0.1,
                activation: TransformerActivation = .relu, layerNormEpsilon: Float = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, generator: RandomGenerator) {
        func attention() -> MultiheadAttention {
            MultiheadAttention(embedDimension: modelDimension, headCount: headCount, dropout: dropout, bias: bias,
                               batchFirst: batchFirst, generator: generator)
        }
        func norm() -> LayerNorm { LayerNorm(normalizedShape: [modelDimension], epsilon: layerNormEpsilon, bias: bias) }
        selfAttention = attention()
        crossAttention = attention()
        linear1 = Linear(inputSize: modelDimension, outputSize: feedforwardDimension, bias: bias, generator: generator)
        self.dropout = Dropout(probability: dropout, generator: generator)
        linear2 = Linear(inputSize: feedforwardDimension, outputSize: modelDimension, bias: bias, generator: generator)
        norm1 = norm()
        norm2 = norm()
        norm3 = norm()
        dropout1 = Dropout(probability: dropout, generator: generator)
        dropout2 = Dropout(probability: dropout, generator: generator)
        dropout3 = Dropout(probability: dropout, generator: generator)
        self.activation = activation
        self.normFirst = normFirst
    }

    public func callAsFunction(_ target: Tensor, memory: Tensor, targetMask: AttentionMask? = nil,
                               memoryMask: AttentionMask? = nil, targetKeyPaddingMask: Tensor? = nil,
                               memoryKeyPaddingMask: Tensor? = nil) -> Tensor {
        let name = "TransformerDecoderLayer"
        checkTransformerSequence(target, "target", layer: name, modelDimension: modelDimension, batchFirst: batchFirst)
        checkTransformerSequence(memory, "memory", layer: name, modelDimension: modelDimension, batchFirst: batchFirst)
        precondition(memory.rank == target.rank && (target.rank == 2 || memory.shape[batchFirst ? 0 : 1] == target.shape[batchFirst ? 0 : 1]),
                     "\(name): expected target and memory of one batch size and rank, got target \(target.shape), memory \(memory.shape)")
        func selfAttentionBlock(_ x: Tensor) -> Tensor {
            dropout1(selfAttention(query: x, key: x, value: x, keyPaddingMask: targetKeyPaddingMask, mask: targetMask,
                                   needWeights: false).output)
        }
        func crossAttentionBlock(_ x: Tensor) -> Tensor {
            dropout2(crossAttention(query: x, key: memory, value: memory, keyPaddingMask: memoryKeyPaddingMask,
                                    mask: memoryMask, needWeights: false).output)
        }
        func feedforwardBlock(_ x: Tensor) -> Tensor { dropout3(linear2(dropout(activation(linear1(x))))) }
        var x = target
        if normFirst {
            x = x + selfAttentionBlock(norm1(x))
            x = x + crossAttentionBlock(norm2(x))
            x = x + feedforwardBlock(norm3(x))
        } else {
            x = norm1(x + selfAttentionBlock(x))
            x = norm2(x + crossAttentionBlock(x))
            x = norm3(x + feedforwardBlock(x))
        }
        return x
    }
}

/// A stack of Transformer decoder layers with an optional final normalisation, like PyTorch's
/// `nn.TransformerDecoder`. Keys: `layers.0.self_attn.in_proj_weight`, …, `norm.weight`, `norm.bias`.
///
/// Shapes and masks: as `TransformerDecoderLayer`; every layer reads the same `memory` and masks.
/// Each layer is built by `makeLayer` (PyTorch deep-copies one layer instead; see `TransformerEncoder`).
///
/// ```swift
/// let generator = RandomGenerator(seed: 0)
/// let decoder = TransformerDecoder(layerCount: 2) { _ in
///     TransformerDecoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, batchFirst: true, generator: generator)
/// }
/// let y = decoder(Tensor.ones([4, 3, 8]), memory: Tensor.ones([4, 5, 8]), targetMask: .causal)   // [4, 3, 8]
/// ```
public final class TransformerDecoder: Module {
    public let layers: [TransformerDecoderLayer]
    public let norm: LayerNorm?

    public init(layers: [TransformerDecoderLayer], norm: LayerNorm? = nil) {
        precondition(!layers.isEmpty, "TransformerDecoder: needs at least one layer")
        self.layers = layers
        self.norm = norm
    }

    public convenience init(layerCount: Int, norm: LayerNorm? = nil, makeLayer: (Int) -> TransformerDecoderLayer) {
        self.init(layers: (0..<layerCount).map(makeLayer), norm: norm)
    }

    public func callAsFunction(_ target: Tensor, memory: Tensor, targetMask: AttentionMask? = nil,
                               memoryMask: AttentionMask? = nil, targetKeyPaddingMask: Tensor? = nil,
                               memoryKeyPaddingMask: Tensor? = nil) -> Tensor {
        let decoded = layers.reduce(target) { x, layer in
            layer(x, memory: memory, targetMask: targetMask, memoryMask: memoryMask,
                  targetKeyPaddingMask: targetKeyPaddingMask, memoryKeyPaddingMask: memoryKeyPaddingMask)
        }
        return norm.map { $0(decoded) } ?? decoded
    }
}
