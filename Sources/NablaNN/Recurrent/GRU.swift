import Nabla

/// A gated recurrent unit network, like PyTorch's `nn.GRU`. At each step, with gates in PyTorch's order
/// (reset, update, new) stacked in the weights:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)
///     z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// Note that the reset gate multiplies `W_hn h + b_hn`, bias included (PyTorch's and cuDNN's form, not
/// the original paper's r ⊙ h inside the product). Multi-layer and optionally bidirectional as `RNN`.
///
/// Shapes (L time steps, N batch, D = 2 when bidirectional, else 1, H = `hiddenSize`):
/// - input (L, N, inputSize), or (N, L, inputSize) with `batchFirst`, or unbatched (L, inputSize);
/// - initial hidden state (layers·D, N, H) (unbatched: (layers·D, H)); zeros when nil;
/// - output (L, N, D·H) (batch-first: (N, L, D·H)); final hidden state (layers·D, N, H).
///
/// Parameters `weight_ih_l{k}` (3H, in), `weight_hh_l{k}` (3H, H), `bias_ih_l{k}`, `bias_hh_l{k}` (3H),
/// and `..._reverse`, all initialised U(−1/√H, 1/√H) as in PyTorch. `dropout` acts between layers in
/// training mode.
///
/// ```swift
/// let gru = GRU(inputSize: 3, hiddenSize: 8, bidirectional: true, generator: RandomGenerator(seed: 0))
/// let (output, hidden) = gru(Tensor.ones([10, 4, 3]))   // output [10, 4, 16], hidden [2, 4, 8]
/// ```
public final class GRU: RecurrentNetwork {
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false, generator: RandomGenerator) {
        super.init(gateCount: 3, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, generator: generator)
    }

    /// The output sequence and the final hidden state; `initialHidden` defaults to zeros. `lengths`
    /// gives each sequence's real length in a padded batch (see `RecurrentNetwork`).
    public func callAsFunction(_ input: Tensor, initialHidden: Tensor? = nil, lengths: [Int]? = nil) -> (output: Tensor, hidden: Tensor) {
        let size = hiddenSize
        // b_hn sits inside r ⊙ (...), so bias_hh cannot be folded into the input projection.
        let result = run(input, initialStates: [initialHidden], stateNames: ["hidden"], foldHiddenBias: false, lengths: lengths,
                         sequence: { projection, state, weights, mask, reverse in
            let steps = gruSequence(projection: projection, hiddenWeight: weights.hiddenWeight, hiddenBias: weights.hiddenBias,
                                    initialHidden: state[0], mask: mask, reverse: reverse)
            return (steps, [steps.sliced(axis: 0, start: reverse ? 0 : steps.shape[0] - 1, end: reverse ? 1 : steps.shape[0]).squeezed(axis: 0)])
        }) { projection, state, weights in
            let hidden = state[0]
            let fromInput = projection.split(sizes: [size, size, size], axis: 1)
            let fromHidden = linear(hidden, weight: weights.hiddenWeight, bias: weights.hiddenBias).split(sizes: [size, size, size], axis: 1)
            let reset = (fromInput[0] + fromHidden[0]).sigmoid()
            let update = (fromInput[1] + fromHidden[1]).sigmoid()
            let candidate = (fromInput[2] + reset * fromHidden[2]).tanh()
            // (1 − z) ⊙ n + z ⊙ h, written with one product fewer.
            return [candidate + update * (hidden - candidate)]
        }
        return (result.output, result.finalStates[0])
    }
}
