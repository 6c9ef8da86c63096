import Nabla

/// A long short-term memory network, like PyTorch's `nn.LSTM`. At each step, with gates in PyTorch's
/// order (input, forget, cell, output) stacked in the weights:
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
///
/// Multi-layer and optionally bidirectional as `RNN`.
///
/// Shapes (L time steps, N batch, D = 2 when bidirectional, else 1, H = `hiddenSize`):
/// - input (L, N, inputSize), or (N, L, inputSize) with `batchFirst`, or unbatched (L, inputSize);
/// - initial state: hidden and cell, each (layers·D, N, H) (unbatched: (layers·D, H)); zeros when nil;
/// - output (L, N, D·H) (batch-first: (N, L, D·H)): the last layer's hidden state at every step;
/// - final state: hidden and cell, each (layers·D, N, H), ordered layer 0 forward, layer 0 reverse, ...
///
/// Parameters `weight_ih_l{k}` (4H, in), `weight_hh_l{k}` (4H, H), `bias_ih_l{k}`, `bias_hh_l{k}` (4H),
/// and `..._reverse`, all initialised U(−1/√H, 1/√H) as in PyTorch. `dropout` acts between layers in
/// training mode. Not supported: PyTorch's `proj_size`.
///
/// ```swift
/// let lstm = LSTM(inputSize: 3, hiddenSize: 8, batchFirst: true, generator: RandomGenerator(seed: 0))
/// let (output, state) = lstm(Tensor.ones([4, 10, 3]))   // output [4, 10, 8], state.hidden [1, 4, 8]
/// let (next, _) = lstm(Tensor.ones([4, 1, 3]), initialState: state)   // carry the state on
/// ```
public final class LSTM: RecurrentNetwork {
    /// The hidden and cell states of every layer and direction, each (layers·directions, batch, hidden).
    public struct State {
        public var hidden: Tensor
        public var cell: Tensor
        public init(hidden: Tensor, cell: Tensor) {
            self.hidden = hidden
            self.cell = cell
        }
    }

    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false, generator: RandomGenerator) {
        super.init(gateCount: 4, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, generator: generator)
    }

    /// The output sequence and the final hidden and cell states; `initialState` defaults to zeros.
    /// `lengths` gives each sequence's real length in a padded batch (see `RecurrentNetwork`).
    public func callAsFunction(_ input: Tensor, initialState: State? = nil, lengths: [Int]? = nil) -> (output: Tensor, state: State) {
        let size = hiddenSize
        let result = run(input, initialStates: [initialState?.hidden, initialState?.cell], stateNames: ["hidden", "cell"],
                         foldHiddenBias: true, lengths: lengths, sequence: { projection, state, weights, mask, reverse in
            let steps = lstmSequence(projection: projection, hiddenWeight: weights.hiddenWeight, initialHidden: state[0],
                                     initialCell: state[1], mask: mask, reverse: reverse)
            let last = steps.sliced(axis: 0, start: reverse ? 0 : steps.shape[0] - 1, end: reverse ? 1 : steps.shape[0]).squeezed(axis: 0)
            return (steps.sliced(axis: 2, start: 0, end: size),
                    [last.sliced(axis: 1, start: 0, end: size), last.sliced(axis: 1, start: size)])
        }) { projection, state, weights in
            let gates = (projection + linear(state[0], weight: weights.hiddenWeight)).split(sizes: [size, size, size, size], axis: 1)
            let cell = gates[1].sigmoid() * state[1] + gates[0].sigmoid() * gates[2].tanh()
            return [gates[3].sigmoid() * cell.tanh(), cell]
        }
        return (result.output, State(hidden: result.finalStates[0], cell: result.finalStates[1]))
    }
}
