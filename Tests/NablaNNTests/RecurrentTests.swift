import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

// RNN, LSTM and GRU beyond the PyTorch reference values: parameter names, gradients by finite
// differences (every layer and direction), the two halves of a bidirectional output, initial and final
// states, layouts, and dropout between layers.

extension NablaNNSuite {
    @Suite struct RecurrentTests {
        /// A (batch, time, features) input drawn from `seed`.
        static func sequence(_ shape: [Int], seed: UInt64 = 3) -> Tensor { RandomGenerator(seed: seed).normal(shape) }

        @Test func parameterKeysFollowPyTorch() {
            let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true, generator: RandomGenerator(seed: 0))
            let layer = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
            let expected = ["_l0", "_l0_reverse", "_l1", "_l1_reverse"].flatMap { suffix in layer.map { $0 + suffix } }
            #expect(lstm.stateKeys() == expected)
            #expect(lstm.namedParameters().map(\.name) == expected)
            let shapes = Dictionary(uniqueKeysWithValues: lstm.namedParameters().map { ($0.name, $0.tensor.shape) })
            #expect(shapes["weight_ih_l0"] == [16, 3] && shapes["weight_hh_l0"] == [16, 4] && shapes["weight_ih_l1_reverse"] == [16, 8])
            #expect(lstm.parameters().allSatisfy { $0.requiresGrad })
            // U(−1/√H, 1/√H) with H = 4.
            #expect(lstm.parameters().allSatisfy { $0.scalars.allSatisfy { Swift.abs($0) <= 0.5 } })

            let gru = GRU(inputSize: 2, hiddenSize: 3, bias: false, generator: RandomGenerator(seed: 0))
            #expect(gru.stateKeys() == ["weight_ih_l0", "weight_hh_l0"])
            #expect(RNN(inputSize: 2, hiddenSize: 3, generator: RandomGenerator(seed: 0)).parameterCount() == 3 * 2 + 3 * 3 + 3 + 3)

            // Inside a model the names nest like any child's.
            final class Tagger: Module {
                let encoder = GRU(inputSize: 2, hiddenSize: 3, generator: RandomGenerator(seed: 1))
            }
            #expect(Tagger().stateKeys().first == "encoder.weight_ih_l0")
        }

        @Test func gradientsMatchFiniteDifferences() {
            let generator = RandomGenerator(seed: 11)
            let input = Self.sequence([2, 3, 3])
            let lstm = LSTM(inputSize: 3, hiddenSize: 2, layerCount: 2, batchFirst: true, bidirectional: true, generator: generator)
            // Output sequence and both final states, so every path is weighted.
            SequenceGradientCheck.check("LSTM", module: lstm, inputs: [input]) { inputs in
                let (output, state) = lstm(inputs[0])
                return Tensor.concat([output.flattened(), state.hidden.flattened(), state.cell.flattened()])
            }
            let gru = GRU(inputSize: 3, hiddenSize: 2, layerCount: 2, batchFirst: true, bidirectional: true, generator: generator)
            SequenceGradientCheck.check("GRU", module: gru, inputs: [input]) { inputs in
                let (output, hidden) = gru(inputs[0])
                return Tensor.concat([output.flattened(), hidden.flattened()])
            }
            let rnn = RNN(inputSize: 3, hiddenSize: 2, layerCount: 2, batchFirst: true, bidirectional: true, generator: generator)
            SequenceGradientCheck.check("RNN", module: rnn, inputs: [input]) { inputs in
                let (output, hidden) = rnn(inputs[0])
                return Tensor.concat([output.flattened(), hidden.flattened()])
            }
        }

        @Test func gradientsReachTheInitialState() {
            let lstm = LSTM(inputSize: 2, hiddenSize: 3, generator: RandomGenerator(seed: 5))
            let input = Self.sequence([4, 2, 2])   // time-major
            let hidden = Self.sequence([1, 2, 3], seed: 8), cell = Self.sequence([1, 2, 3], seed: 9)
            SequenceGradientCheck.check("LSTM initial state", module: lstm, inputs: [input, hidden, cell]) { inputs in
                lstm(inputs[0], initialState: LSTM.State(hidden: inputs[1], cell: inputs[2])).output
            }
        }

        /// RNN with ReLU is checked step by step against its formula (finite differences would straddle the kink).
        @Test func reluNetworkFollowsItsFormula() {
            let rnn = RNN(inputSize: 3, hiddenSize: 4, nonlinearity: .relu, generator: RandomGenerator(seed: 2))
            let input = Self.sequence([5, 2, 3])
            let weights = rnn.layerWeights[0][0]
            var hidden = Tensor.zeros([2, 4])
            var expected: [Tensor] = []
            for time in 0..<5 {
                let x = input.sliced(axis: 0, start: time, end: time + 1).squeezed(axis: 0)
                hidden = (linear(x, weight: weights.inputWeight, bias: weights.inputBias)
                          + linear(hidden, weight: weights.hiddenWeight, bias: weights.hiddenBias)).relu()
                expected.append(hidden)
            }
            let (output, final) = rnn(input)
            expectClose(output, Tensor.stack(expected), "RNN relu output", tolerance: .exact)
            expectClose(final, hidden.unsqueezed(axis: 0), "RNN relu final hidden", tolerance: .exact)
            #expect(output.scalars.allSatisfy { $0 >= 0 })
        }

        /// The forward half is a one-directional network with the forward weights; the reverse half is a
        /// one-directional network with the reverse weights run on the reversed sequence.
        @Test func bidirectionalHalvesAreTheTwoDirections() throws {
            let generator = RandomGenerator(seed: 4)
            let both = LSTM(inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true, generator: generator)
            let forward = LSTM(inputSize: 3, hiddenSize: 4, batchFirst: true, generator: generator)
            let backward = LSTM(inputSize: 3, hiddenSize: 4, batchFirst: true, generator: generator)
            let state = both.stateDictionary()
            try forward.loadStateDictionary(state.filter { !$0.key.hasSuffix("_reverse") })
            try backward.loadStateDictionary(Dictionary(uniqueKeysWithValues: state.filter { $0.key.hasSuffix("_reverse") }
                .map { (String($0.key.dropLast("_reverse".count)), $0.value) }))

            let input = Self.sequence([2, 5, 3])
            let reversed = input.indexSelected(axis: 1, indices: IntTensor([4, 3, 2, 1, 0]))
            let (output, final) = both(input)
            let (forwardOutput, forwardFinal) = forward(input)
            let (backwardOutput, backwardFinal) = backward(reversed)
            #expect(output.shape == [2, 5, 8])
            expectClose(output.sliced(axis: 2, start: 0, end: 4), forwardOutput, "forward half", tolerance: .exact)
            expectClose(output.sliced(axis: 2, start: 4, end: 8), backwardOutput.indexSelected(axis: 1, indices: IntTensor([4, 3, 2, 1, 0])),
                        "reverse half", tolerance: .exact)
            expectClose(final.hidden, Tensor.concat([forwardFinal.hidden, backwardFinal.hidden]), "final hidden", tolerance: .exact)
            expectClose(final.cell, Tensor.concat([forwardFinal.cell, backwardFinal.cell]), "final cell", tolerance: .exact)
            // The final state of the reverse direction is its output at the first step.
            expectClose(final.hidden.sliced(axis: 0, start: 1, end: 2).squeezed(axis: 0),
                        output.sliced(axis: 1, start: 0, end: 1).sliced(axis: 2, start: 4, end: 8).squeezed(axis: 1),
                        "reverse final state is the first step", tolerance: .exact)
        }

        /// Running a sequence in two pieces, handing the final state on, equals running it whole.
        @Test func initialStateContinuesASequence() {
            let generator = RandomGenerator(seed: 6)
            let input = Self.sequence([6, 2, 3])   // time-major
            let first = input.sliced(axis: 0, start: 0, end: 4), second = input.sliced(axis: 0, start: 4)

            let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: generator)
            let (whole, wholeState) = lstm(input)
            let (head, headState) = lstm(first)
            let (tail, tailState) = lstm(second, initialState: headState)
            expectClose(Tensor.concat([head, tail]), whole, "LSTM in two pieces", tolerance: .exact)
            expectClose(tailState.hidden, wholeState.hidden, "LSTM final hidden", tolerance: .exact)
            expectClose(tailState.cell, wholeState.cell, "LSTM final cell", tolerance: .exact)

            for network in [GRU(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: generator) as RecurrentNetwork,
                            RNN(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: generator)] {
                func run(_ x: Tensor, _ hidden: Tensor?) -> (output: Tensor, hidden: Tensor) {
                    if let gru = network as? GRU { return gru(x, initialHidden: hidden) }
                    return (network as! RNN)(x, initialHidden: hidden)
                }
                let (whole, wholeHidden) = run(input, nil)
                let (head, headHidden) = run(first, nil)
                let (tail, tailHidden) = run(second, headHidden)
                expectClose(Tensor.concat([head, tail]), whole, "\(type(of: network)) in two pieces", tolerance: .exact)
                expectClose(tailHidden, wholeHidden, "\(type(of: network)) final hidden", tolerance: .exact)
            }

            // An explicit zero state is the default.
            let zeros = LSTM.State(hidden: Tensor.zeros([2, 2, 4]), cell: Tensor.zeros([2, 2, 4]))
            expectClose(lstm(input, initialState: zeros).output, whole, "explicit zero state", tolerance: .exact)
        }

        @Test func layoutsAgree() throws {
            let gru = GRU(inputSize: 3, hiddenSize: 4, bidirectional: true, generator: RandomGenerator(seed: 7))
            let timeMajor = Self.sequence([5, 2, 3])
            let (output, hidden) = gru(timeMajor)
            #expect(output.shape == [5, 2, 8] && hidden.shape == [2, 2, 4])

            let batchFirst = GRU(inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true, generator: RandomGenerator(seed: 0))
            try batchFirst.loadStateDictionary(gru.stateDictionary())
            let (batchOutput, batchHidden) = batchFirst(timeMajor.transposed(0, 1))
            #expect(batchOutput.shape == [2, 5, 8])
            expectClose(batchOutput.transposed(0, 1), output, "batch-first output", tolerance: .exact)
            expectClose(batchHidden, hidden, "batch-first hidden (always layers first)", tolerance: .exact)

            // Unbatched: (time, features) and a state without the batch axis.
            let single = timeMajor.sliced(axis: 1, start: 1, end: 2).squeezed(axis: 1)
            let (singleOutput, singleHidden) = gru(single)
            #expect(singleOutput.shape == [5, 8] && singleHidden.shape == [2, 4])
            expectClose(singleOutput, output.sliced(axis: 1, start: 1, end: 2).squeezed(axis: 1), "unbatched output", tolerance: .exact)
        }

        @Test func dropoutActsBetweenLayersInTrainingOnly() throws {
            let input = Self.sequence([4, 3, 3])
            let withDropout = LSTM(inputSize: 3, hiddenSize: 5, layerCount: 2, dropout: 0.5, generator: RandomGenerator(seed: 9))
            let without = LSTM(inputSize: 3, hiddenSize: 5, layerCount: 2, generator: RandomGenerator(seed: 0))
            try without.loadStateDictionary(withDropout.stateDictionary())
            let reference = without(input).output

            let trained = withDropout(input).output
            #expect(trained.scalars != reference.scalars, "dropout changed nothing in training mode")
            withDropout.eval()
            expectClose(withDropout(input).output, reference, "evaluation mode ignores dropout", tolerance: .exact)

            // A single layer has no layer after it to drop into: dropout changes nothing (as in PyTorch).
            let single = LSTM(inputSize: 3, hiddenSize: 5, dropout: 0.5, generator: RandomGenerator(seed: 9))
            let singleReference = LSTM(inputSize: 3, hiddenSize: 5, generator: RandomGenerator(seed: 0))
            try singleReference.loadStateDictionary(single.stateDictionary())
            expectClose(single(input).output, singleReference(input).output, "one layer, no dropout", tolerance: .exact)
        }

        @Test func wrongInputNamesTheLayerAndShapes() async throws {
            let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lstm = LSTM(inputSize: 3, hiddenSize: 4, batchFirst: true, generator: RandomGenerator(seed: 0))
                _ = lstm(Tensor.ones([2, 5, 7]))
            }
            let message = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(message.contains("LSTM") && message.contains("(batch, sequence, 3)") && message.contains("[2, 5, 7]"), "\(message)")

            let state = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let gru = GRU(inputSize: 3, hiddenSize: 4, generator: RandomGenerator(seed: 0))
                _ = gru(Tensor.ones([5, 2, 3]), initialHidden: Tensor.zeros([1, 3, 4]))
            }
            let stateMessage = String(decoding: state.standardErrorContent, as: UTF8.self)
            #expect(stateMessage.contains("GRU") && stateMessage.contains("[1, 2, 4]") && stateMessage.contains("[1, 3, 4]"), "\(stateMessage)")
        }
    }
}
