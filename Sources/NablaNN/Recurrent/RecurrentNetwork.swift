import Nabla

/// The parameters of one layer in one direction of a recurrent network, as PyTorch stores them.
///
/// With G gates (RNN 1, GRU 3, LSTM 4) and hidden size H, `inputWeight` is (G·H, input features of the
/// layer), `hiddenWeight` is (G·H, H), and the biases are (G·H). The gates are stacked in PyTorch's
/// order along the first axis (LSTM: input, forget, cell, output; GRU: reset, update, new). The tensors
/// are the live parameters: assign into them for a custom initialisation (orthogonal `hiddenWeight`,
/// forget-gate bias 1, ...).
public struct RecurrentLayerWeights {
    /// `weight_ih_l{k}`: multiplies the layer's input.
    public let inputWeight: Tensor
    /// `weight_hh_l{k}`: multiplies the previous hidden state.
    public let hiddenWeight: Tensor
    /// `bias_ih_l{k}`.
    public let inputBias: Tensor?
    /// `bias_hh_l{k}`.
    public let hiddenBias: Tensor?
}

/// What RNN, LSTM and GRU share, like PyTorch's `RNNBase`: the stack of layers and directions, the
/// parameter names, batch-first handling, dropout between layers and the loop over time.
///
/// Parameter keys are PyTorch's: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then the
/// same with `_reverse` for the backward direction of a bidirectional layer, then `..._l1` for the
/// second layer. Every parameter is initialised U(−1/√H, 1/√H) as in PyTorch.
///
/// Efficiency: the input projection `x·W_ihᵀ + b` of a layer is one matrix product over all time steps
/// ([time·batch, features]); only `h·W_hhᵀ` runs inside the loop over time, and LSTM and GRU run that
/// loop as one fused operation with its own backward pass (`usesFusedKernels`).
public class RecurrentNetwork: Module {
    public let inputSize: Int
    public let hiddenSize: Int
    public let layerCount: Int
    public let isBidirectional: Bool
    /// Whether inputs and outputs are (batch, time, features) instead of PyTorch's default (time, batch, features).
    public let batchFirst: Bool
    /// The probability of zeroing an element of each layer's output except the last, in training mode.
    public let dropoutProbability: Float
    /// The weights by layer, then direction (forward, then reverse when bidirectional).
    public let layerWeights: [[RecurrentLayerWeights]]
    /// Draws the dropout masks between layers.
    let generator: RandomGenerator
    /// How many gate blocks of `hiddenSize` rows the weights hold.
    let gateCount: Int
    /// Whether LSTM and GRU run each layer and direction as one fused operation (`lstmSequence`,
    /// `gruSequence`: several times faster) rather than composed step by step from tensor operations.
    /// Set it to false for gradients of gradients, which only the composed form records.
    public var usesFusedKernels = true

    public var directionCount: Int { isBidirectional ? 2 : 1 }

    init(gateCount: Int, inputSize: Int, hiddenSize: Int, layerCount: Int, bias: Bool, batchFirst: Bool,
         dropout: Float, bidirectional: Bool, generator: RandomGenerator) {
        let name = "\(Self.self)"
        precondition(inputSize > 0 && hiddenSize > 0 && layerCount > 0,
                     "\(name): inputSize \(inputSize), hiddenSize \(hiddenSize) and layerCount \(layerCount) must be positive")
        precondition((0...1).contains(dropout), "\(name): dropout \(dropout) is outside [0, 1]")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.isBidirectional = bidirectional
        self.batchFirst = batchFirst
        self.dropoutProbability = dropout
        self.generator = generator
        self.gateCount = gateCount
        let bound = 1 / Float(hiddenSize).squareRoot()
        let rows = gateCount * hiddenSize
        func draw(_ shape: [Int]) -> Tensor { Initialization.uniform(shape, bound: bound, generator: generator) }
        // Drawn in PyTorch's parameter order: layer by layer, forward before reverse, w_ih, w_hh, b_ih, b_hh.
        layerWeights = (0..<layerCount).map { layer in
            let features = layer == 0 ? inputSize : hiddenSize * (bidirectional ? 2 : 1)
            return (0..<(bidirectional ? 2 : 1)).map { _ in
                let inputWeight = draw([rows, features])
                let hiddenWeight = draw([rows, hiddenSize])
                return RecurrentLayerWeights(inputWeight: inputWeight, hiddenWeight: hiddenWeight,
                                             inputBias: bias ? draw([rows]) : nil, hiddenBias: bias ? draw([rows]) : nil)
            }
        }
        super.init()
    }

    /// Names the weights as PyTorch does; Swift properties cannot carry names like `weight_ih_l1_reverse`,
    /// so this adds them to whatever reflection finds.
    override func members() -> [Member] {
        var result = super.members()
        for (layer, directions) in layerWeights.enumerated() {
            for (direction, weights) in directions.enumerated() {
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                result.append(Member(key: "weight_ih" + suffix, kind: .parameter(weights.inputWeight)))
                result.append(Member(key: "weight_hh" + suffix, kind: .parameter(weights.hiddenWeight)))
                if let bias = weights.inputBias { result.append(Member(key: "bias_ih" + suffix, kind: .parameter(bias))) }
                if let bias = weights.hiddenBias { result.append(Member(key: "bias_hh" + suffix, kind: .parameter(bias))) }
            }
        }
        return result
    }

    /// One step of a cell: (input projection at this step (batch, G·H), state tensors (batch, H) each,
    /// weights) → the new state tensors, the first being the hidden state that is output.
    typealias CellStep = (_ inputProjection: Tensor, _ state: [Tensor], _ weights: RecurrentLayerWeights) -> [Tensor]

    /// A whole direction of one layer at once: (input projection (time, batch, G·H), initial states
    /// (batch, H) each, weights, mask (time, batch) or nil, reverse) → the hidden state at every step
    /// (time, batch, H) and the final states; at a padded step the state must carry over unchanged.
    typealias SequenceRun = (_ projection: Tensor, _ initialStates: [Tensor], _ weights: RecurrentLayerWeights,
                             _ mask: Tensor?, _ reverse: Bool) -> (outputs: Tensor, finalStates: [Tensor])

    /// Runs every layer and direction over the sequence.
    ///
    /// - `initialStates`: one tensor per kind of state (hidden; hidden and cell for LSTM), each
    ///   (layers·directions, batch, H), or (layers·directions, H) for an unbatched input; nil for zeros.
    /// - `foldHiddenBias`: add `bias_hh` to the input projection once instead of at every step (valid when
    ///   the cell only ever adds it to the input projection, as RNN and LSTM do; GRU does not).
    /// - `lengths`: each batch element's number of real steps (1...time); the steps after them are padding,
    ///   which changes neither the final states nor the real steps' outputs (a reverse direction starts at
    ///   each element's last real step), and whose outputs are zero, as PyTorch's packed sequences give.
    /// - `sequence`: the fused form of the loop, used when `usesFusedKernels` is set.
    /// - Returns the output sequence (time, batch, directions·H) in the caller's layout, and the final
    ///   states stacked like the initial ones.
    func run(_ input: Tensor, initialStates: [Tensor?], stateNames: [String], foldHiddenBias: Bool, lengths: [Int]? = nil,
             sequence: SequenceRun? = nil, step: CellStep) -> (output: Tensor, finalStates: [Tensor]) {
        let name = "\(Self.self)"
        let layout = batchFirst ? "(batch, sequence, \(inputSize))" : "(sequence, batch, \(inputSize))"
        precondition((input.rank == 3 || input.rank == 2) && input.shape.last == inputSize,
                     "\(name): expected input \(layout) or unbatched (sequence, \(inputSize)), got \(input.shape)")
        let isBatched = input.rank == 3
        // Work time-major: (time, batch, features). An unbatched input is (time, features) in either layout.
        let timeMajor = isBatched ? (batchFirst ? input.transposed(0, 1) : input) : input.unsqueezed(axis: 1)
        let (length, batch) = (timeMajor.shape[0], timeMajor.shape[1])
        precondition(length > 0, "\(name): the input sequence \(input.shape) is empty")
        let stackCount = layerCount * directionCount
        let stateShape = isBatched ? [stackCount, batch, hiddenSize] : [stackCount, hiddenSize]
        let initial: [Tensor?] = zip(initialStates, stateNames).map { state, stateName in
            guard let state else { return nil }
            precondition(state.shape == stateShape,
                         "\(name): expected initial \(stateName) state \(stateShape) (layers·directions, \(isBatched ? "batch, " : "")hidden), got \(state.shape)")
            return isBatched ? state : state.unsqueezed(axis: 1)
        }

        let mask = lengths.map { lengths -> Tensor in
            precondition(isBatched && lengths.count == batch && lengths.allSatisfy({ (1...length).contains($0) }),
                         "\(name): lengths \(lengths) must give one length in 1...\(length) for each of the \(batch) sequences of a batched input \(input.shape)")
            return Tensor((0..<length).flatMap { time in lengths.map { time < $0 ? Float(1) : 0 } }, shape: [length, batch])
        }
        let maskSteps = mask.map { timeSteps($0.unsqueezed(axis: 2)) }
        var layerInput = timeMajor
        var finalStates = [[Tensor]](repeating: [], count: stateNames.count)
        for (layer, directions) in layerWeights.enumerated() {
            let features = layerInput.shape[2]
            let flatInput = layerInput.reshaped([length * batch, features])
            var directionOutputs: [Tensor] = []
            for (direction, weights) in directions.enumerated() {
                var bias = weights.inputBias
                if foldHiddenBias, let hiddenBias = weights.hiddenBias { bias = bias.map { $0 + hiddenBias } ?? hiddenBias }
                let projection = linear(flatInput, weight: weights.inputWeight, bias: bias)
                    .reshaped([length, batch, gateCount * hiddenSize])
                let stackIndex = layer * directionCount + direction
                var state = initial.map { initialState in
                    initialState.map { $0.sliced(axis: 0, start: stackIndex, end: stackIndex + 1).squeezed(axis: 0) }
                        ?? Tensor.zeros([batch, hiddenSize])
                }
                var sequenceOutput: Tensor
                if usesFusedKernels, let sequence {
                    let result = sequence(projection, state, weights, mask, direction == 1)
                    (sequenceOutput, state) = (result.outputs, result.finalStates)
                } else {
                    let steps = timeSteps(projection)
                    var outputs = [Tensor?](repeating: nil, count: length)
                    for time in direction == 0 ? Array(0..<length) : Array((0..<length).reversed()) {
                        let next = step(steps[time], state, weights)
                        // Padding keeps the state: new·m + old·(1 − m).
                        state = maskSteps.map { keep in zip(next, state).map { $1 + (($0 - $1) * keep[time]) } } ?? next
                        outputs[time] = state[0]
                    }
                    sequenceOutput = Tensor.stack(outputs.map { $0! }, axis: 0)
                }
                if let mask { sequenceOutput = sequenceOutput * mask.unsqueezed(axis: 2) }
                directionOutputs.append(sequenceOutput)
                for kind in state.indices { finalStates[kind].append(state[kind]) }
            }
            layerInput = directionOutputs.count == 1 ? directionOutputs[0] : Tensor.concat(directionOutputs, axis: 2)
            if isTraining && dropoutProbability > 0 && layer < layerCount - 1 {
                layerInput = invertedDropout(layerInput, probability: dropoutProbability, generator: generator)
            }
        }
        let output = isBatched ? (batchFirst ? layerInput.transposed(0, 1) : layerInput) : layerInput.squeezed(axis: 1)
        let states = finalStates.map { pieces -> Tensor in
            let stacked = Tensor.stack(pieces, axis: 0)
            return isBatched ? stacked : stacked.squeezed(axis: 1)
        }
        return (output, states)
    }
}

/// The steps of a (time, ...) tensor as `time` tensors of shape (...), sharing its storage.
///
/// Why halves: the gradient of a slice is a zero tensor of the whole sliced tensor with the slice's
/// gradient copied in, so cutting T steps straight from the sequence costs T full-size tensors (O(T²))
/// in the backward pass. Cutting in halves, then halves of halves, costs O(T log T).
func timeSteps(_ sequence: Tensor) -> [Tensor] {
    let length = sequence.shape[0]
    if length == 1 { return [sequence.squeezed(axis: 0)] }
    let half = length / 2
    return timeSteps(sequence.sliced(axis: 0, start: 0, end: half)) + timeSteps(sequence.sliced(axis: 0, start: half))
}
