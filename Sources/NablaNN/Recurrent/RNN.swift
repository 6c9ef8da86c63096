import Nabla

/// An Elman recurrent network with a tanh or ReLU non-linearity, like PyTorch's `nn.RNN`:
///
///     hₜ = tanh(xₜ·W_ihᵀ + b_ih + hₜ₋₁·W_hhᵀ + b_hh)
///
/// Multi-layer (each layer reads the previous layer's output sequence), optionally bidirectional (a
/// second pass runs from the last step to the first; both outputs are concatenated on the feature axis).
///
/// Shapes (L time steps, N batch, D = 2 when bidirectional, else 1, H = `hiddenSize`):
/// - input (L, N, inputSize), or (N, L, inputSize) with `batchFirst`, or unbatched (L, inputSize);
/// - initial hidden state (layers·D, N, H) (unbatched: (layers·D, H)); zeros when nil;
/// - output (L, N, D·H) (batch-first: (N, L, D·H)): the last layer's hidden state at every step;
/// - final hidden state (layers·D, N, H), ordered layer 0 forward, layer 0 reverse, layer 1 forward, ...
///
/// Parameters `weight_ih_l{k}` (H, in), `weight_hh_l{k}` (H, H), `bias_ih_l{k}`, `bias_hh_l{k}` (H),
/// and `..._reverse` for the backward direction, all initialised U(−1/√H, 1/√H) as in PyTorch.
/// `dropout` zeroes elements of every layer's output except the last's, in training mode only.
///
/// ```swift
/// let rnn = RNN(inputSize: 3, hiddenSize: 8, layerCount: 2, batchFirst: true, generator: RandomGenerator(seed: 0))
/// let (output, hidden) = rnn(Tensor.ones([4, 10, 3]))   // output [4, 10, 8], hidden [2, 4, 8]
/// ```
public final class RNN: RecurrentNetwork {
    public enum Nonlinearity: Sendable { case tanh, relu }

    public let nonlinearity: Nonlinearity

    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, nonlinearity: Nonlinearity = .tanh,
                bias: Bool = true, batchFirst: Bool = false, dropout: Float = 0, bidirectional: Bool = false,
                generator: RandomGenerator) {
        self.nonlinearity = nonlinearity
        super.init(gateCount: 1, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, generator: generator)
    }

    /// The output sequence and the final hidden state; `initialHidden` defaults to zeros. `lengths`
    /// gives each sequence's real length in a padded batch (see `RecurrentNetwork`).
    public func callAsFunction(_ input: Tensor, initialHidden: Tensor? = nil, lengths: [Int]? = nil) -> (output: Tensor, hidden: Tensor) {
        let nonlinearity = nonlinearity
        let result = run(input, initialStates: [initialHidden], stateNames: ["hidden"], foldHiddenBias: true,
                         lengths: lengths) { projection, state, weights in
            let preActivation = projection + linear(state[0], weight: weights.hiddenWeight)
            return [nonlinearity == .tanh ? preActivation.tanh() : preActivation.relu()]
        }
        return (result.output, result.finalStates[0])
    }
}
