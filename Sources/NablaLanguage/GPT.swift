import Nabla
import NablaNN

/// The size of a GPT: nanoGPT's `GPTConfig`.
public struct GPTConfiguration: Equatable, Sendable {
    public var vocabularySize: Int
    /// The longest sequence the model reads (nanoGPT's `block_size`): the rows of the position table.
    public var contextLength: Int
    public var layerCount: Int
    public var headCount: Int
    public var embeddingSize: Int
    public var dropout: Float
    /// Whether the linear layers and layer norms have biases.
    public var bias: Bool
    /// Whether the output layer reuses the token embedding table (`lm_head.weight = wte.weight`).
    public var tiesWeights: Bool

    public init(vocabularySize: Int, contextLength: Int = 64, layerCount: Int = 4, headCount: Int = 4,
                embeddingSize: Int = 128, dropout: Float = 0, bias: Bool = true, tiesWeights: Bool = true) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.layerCount = layerCount
        self.headCount = headCount
        self.embeddingSize = embeddingSize
        self.dropout = dropout
        self.bias = bias
        self.tiesWeights = tiesWeights
    }

    func validate() {
        precondition(vocabularySize > 0 && contextLength > 0 && layerCount > 0 && headCount > 0,
                     "GPT: vocabularySize \(vocabularySize), contextLength \(contextLength), layerCount \(layerCount) and headCount \(headCount) must be positive")
        precondition(embeddingSize > 0 && embeddingSize % headCount == 0,
                     "GPT: embeddingSize \(embeddingSize) must be a positive multiple of headCount \(headCount)")
        precondition((0..<1).contains(dropout), "GPT: dropout \(dropout) is outside [0, 1)")
    }
}

/// A decoder-only Transformer language model (GPT-2's layout, as Karpathy's nanoGPT):
///
///     x = wte[tokens] + wpe[positions]
///     x = x + attn(ln_1(x)),  x = x + mlp(ln_2(x))        for each block (pre-norm)
///     logits = ln_f(x) · wteᵀ                              (or lm_head(ln_f(x)) without weight tying)
///
/// Attention is causal: position t sees positions ≤ t only. The MLP is Linear(E, 4E) → GELU → Linear(4E, E).
///
/// Shapes: tokens (B, T) with T ≤ `contextLength` → logits (B, T, vocabularySize).
///
/// Parameters, nanoGPT's names without its `transformer.` prefix (`wte.weight`, `wpe.weight`,
/// `h.0.ln_1.weight`, `h.0.attn.c_attn.weight`, `h.0.attn.c_proj.weight`, `h.0.mlp.c_fc.weight`,
/// `h.0.mlp.c_proj.weight`, `ln_f.weight`, `lm_head.weight` without tying) and initialisation: every
/// linear and embedding weight N(0, 0.02²), the residual projections (`c_proj`) N(0, (0.02/√(2·layers))²),
/// biases zero, layer norms ones and zeros.
///
/// ```swift
/// let model = GPT(GPTConfiguration(vocabularySize: 100), generator: RandomGenerator(seed: 0))
/// let logits = model(IntTensor([1, 2, 3], shape: [1, 3]))   // (1, 3, 100)
/// let loss = model.loss(inputs, targets)                     // mean cross-entropy over every position
/// ```
public final class GPT: Module {
    public let configuration: GPTConfiguration
    public let tokenEmbedding: Embedding
    public let positionEmbedding: Embedding
    public let blocks: [GPTBlock]
    public let finalNorm: LayerNorm
    /// The output layer when the weights are not tied.
    public let head: Linear?

    public override class var stateKeyOverrides: [String: String] {
        ["tokenEmbedding": "wte", "positionEmbedding": "wpe", "blocks": "h", "finalNorm": "ln_f", "head": "lm_head"]
    }

    public init(_ configuration: GPTConfiguration, generator: RandomGenerator) {
        configuration.validate()
        self.configuration = configuration
        let e = configuration.embeddingSize
        tokenEmbedding = Embedding(embeddingCount: configuration.vocabularySize, embeddingSize: e, generator: generator)
        positionEmbedding = Embedding(embeddingCount: configuration.contextLength, embeddingSize: e, generator: generator)
        blocks = (0..<configuration.layerCount).map { _ in GPTBlock(configuration, generator: generator) }
        finalNorm = LayerNorm(normalizedShape: [e], bias: configuration.bias)
        head = configuration.tiesWeights ? nil
            : Linear(inputSize: e, outputSize: configuration.vocabularySize, bias: false, generator: generator)
        super.init()
        // nanoGPT's _init_weights, then its scaled residual projections.
        for (name, parameter) in namedParameters() {
            if name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name.hasSuffix("ln_f.weight") {
                continue
            } else if name.hasSuffix(".bias") {
                parameter.assign(Tensor.zeros(parameter.shape))
            } else {
                let deviation: Float = name.hasSuffix("c_proj.weight") ? 0.02 / Float(2 * configuration.layerCount).squareRoot() : 0.02
                parameter.assign(generator.normal(parameter.shape, standardDeviation: deviation))
            }
        }
    }

    /// The logits of the next token at every position: tokens (B, T) → (B, T, vocabularySize).
    public func callAsFunction(_ tokens: IntTensor) -> Tensor {
        logits(tokens, cache: nil)
    }

    /// The logits for `tokens`, which continue the sequence held in `cache` (empty: the sequence starts
    /// here); the cache then holds these tokens too. tokens (B, T) with cached + T ≤ `contextLength`.
    public func logits(_ tokens: IntTensor, cache: KeyValueCache?) -> Tensor {
        precondition(tokens.rank == 2 && tokens.shape[1] > 0, "GPT: expected tokens (batch, length), got shape \(tokens.shape)")
        let (batch, length) = (tokens.shape[0], tokens.shape[1])
        let past = cache?.length ?? 0
        precondition(past + length <= configuration.contextLength,
                     "GPT: \(past) cached + \(length) new tokens exceed the context length \(configuration.contextLength)")
        if let cache {
            precondition(cache.layers.count == blocks.count && (cache.batch == nil || cache.batch == batch),
                         "GPT: the cache holds \(cache.layers.count) layers of batch \(cache.batch ?? batch), the model has \(blocks.count) layers and the tokens batch \(batch)")
        }
        let positions = IntTensor(Array(past..<(past + length)))
        var x = tokenEmbedding(tokens) + positionEmbedding(positions)
        for (index, block) in blocks.enumerated() {
            x = block(x, cache: cache?.layers[index])
        }
        cache?.length = past + length
        cache?.batch = batch
        let rows = finalNorm(x).reshaped([batch * length, configuration.embeddingSize])
        let logits = head.map { $0(rows) } ?? matmul(rows, tokenEmbedding.weight.transposed())
        return logits.reshaped([batch, length, configuration.vocabularySize])
    }

    /// The mean cross-entropy of predicting `targets` (B, T) from `inputs` (B, T).
    public func loss(_ inputs: IntTensor, _ targets: IntTensor) -> Tensor {
        precondition(inputs.shape == targets.shape, "GPT.loss: inputs \(inputs.shape) and targets \(targets.shape) differ")
        let logits = self(inputs)
        return crossEntropy(logits.reshaped([-1, configuration.vocabularySize]), targets.reshaped([-1]))
    }

    /// An empty key/value cache for this model.
    public func makeCache() -> KeyValueCache { KeyValueCache(layerCount: blocks.count) }
}

/// One pre-norm Transformer block of a GPT: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
public final class GPTBlock: Module {
    public let norm1: LayerNorm
    public let attention: CausalSelfAttention
    public let norm2: LayerNorm
    public let mlp: GPTMLP

    public override class var stateKeyOverrides: [String: String] {
        ["norm1": "ln_1", "attention": "attn", "norm2": "ln_2"]
    }

    public init(_ configuration: GPTConfiguration, generator: RandomGenerator) {
        let e = configuration.embeddingSize
        norm1 = LayerNorm(normalizedShape: [e], bias: configuration.bias)
        attention = CausalSelfAttention(configuration, generator: generator)
        norm2 = LayerNorm(normalizedShape: [e], bias: configuration.bias)
        mlp = GPTMLP(configuration, generator: generator)
        super.init()
    }

    /// x (B, T, E) → (B, T, E).
    public func callAsFunction(_ x: Tensor, cache: KeyValueCache.Layer? = nil) -> Tensor {
        let attended = x + attention(norm1(x), cache: cache)
        return attended + mlp(norm2(attended))
    }
}

/// A GPT block's feed-forward part: Linear(E, 4E) → GELU → Linear(4E, E) → dropout.
public final class GPTMLP: Module {
    public let expand: Linear
    public let project: Linear
    public let dropout: Dropout

    public override class var stateKeyOverrides: [String: String] { ["expand": "c_fc", "project": "c_proj"] }

    public init(_ configuration: GPTConfiguration, generator: RandomGenerator) {
        let e = configuration.embeddingSize
        expand = Linear(inputSize: e, outputSize: 4 * e, bias: configuration.bias, generator: generator)
        project = Linear(inputSize: 4 * e, outputSize: e, bias: configuration.bias, generator: generator)
        dropout = Dropout(probability: configuration.dropout, generator: generator)
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let shape = x.shape
        let rows = x.reshaped([-1, shape[shape.count - 1]])
        return dropout(project(expand(rows).gelu())).reshaped(shape)
    }
}
