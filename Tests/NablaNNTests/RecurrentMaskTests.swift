import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

// Padded batches with lengths (packed sequences), and the fused LSTM/GRU operations against the composed
// form step by step: values, gradients by finite differences, and hidden sizes that are not a multiple
// of the kernels' 16-lane vectors.

extension NablaNNSuite {
    @Suite struct RecurrentMaskTests {
        /// Runs `network` (LSTM, GRU or RNN) and returns its output and final states, flattened for comparison.
        static func run(_ network: RecurrentNetwork, _ input: Tensor, lengths: [Int]? = nil) -> (output: Tensor, states: [Tensor]) {
            switch network {
            case let lstm as LSTM:
                let (output, state) = lstm(input, lengths: lengths)
                return (output, [state.hidden, state.cell])
            case let gru as GRU:
                let (output, hidden) = gru(input, lengths: lengths)
                return (output, [hidden])
            default:
                let (output, hidden) = (network as! RNN)(input, lengths: lengths)
                return (output, [hidden])
            }
        }

        static func networks(hidden: Int, seed: UInt64) -> [RecurrentNetwork] {
            let generator = RandomGenerator(seed: seed)
            return [LSTM(inputSize: 3, hiddenSize: hidden, layerCount: 2, batchFirst: true, bidirectional: true, generator: generator),
                    GRU(inputSize: 3, hiddenSize: hidden, layerCount: 2, batchFirst: true, bidirectional: true, generator: generator),
                    RNN(inputSize: 3, hiddenSize: hidden, layerCount: 2, batchFirst: true, bidirectional: true, generator: generator)]
        }

        /// Each sequence of a padded batch gives, at its real steps and in its final states, what it gives
        /// alone and unpadded; whatever fills the padding changes nothing, and the padded outputs are zero.
        @Test(arguments: [true, false]) func paddingChangesNothing(fused: Bool) {
            let lengths = [5, 3, 1]
            let padded = RandomGenerator(seed: 21).normal([3, 5, 3])
            let otherPadding = padded.withUnsafeBufferPointer { Array($0) }
            var changed = otherPadding
            for (row, length) in lengths.enumerated() where length < 5 {
                for index in (row * 15 + length * 3)..<((row + 1) * 15) { changed[index] = 100 + Float(index) }
            }
            for network in Self.networks(hidden: 20, seed: 3) {
                network.usesFusedKernels = fused
                let name = "\(type(of: network)) fused \(fused)"
                let (output, states) = Self.run(network, padded, lengths: lengths)
                let (changedOutput, changedStates) = Self.run(network, Tensor(changed, shape: [3, 5, 3]), lengths: lengths)
                expectClose(changedOutput, output, "\(name): output with other padding", tolerance: .exact)
                for (state, changedState) in zip(states, changedStates) {
                    expectClose(changedState, state, "\(name): final state with other padding", tolerance: .exact)
                }
                for (row, length) in lengths.enumerated() {
                    let alone = padded.sliced(axis: 0, start: row, end: row + 1).sliced(axis: 1, start: 0, end: length)
                    let (aloneOutput, aloneStates) = Self.run(network, alone)
                    let rowOutput = output.sliced(axis: 0, start: row, end: row + 1)
                    expectClose(rowOutput.sliced(axis: 1, start: 0, end: length), aloneOutput, "\(name): sequence \(row) output",
                                tolerance: .golden)
                    if length < 5 {
                        #expect(rowOutput.sliced(axis: 1, start: length).scalars.allSatisfy { $0 == 0 }, "\(name): padded outputs are zero")
                    }
                    for (state, aloneState) in zip(states, aloneStates) {
                        expectClose(state.sliced(axis: 1, start: row, end: row + 1), aloneState, "\(name): sequence \(row) final state",
                                    tolerance: .golden)
                    }
                }
            }
        }

        /// The fused operations give the composed form's values and gradients, with and without padding,
        /// for a hidden size of 20 (one full 16-lane block and a short one).
        @Test func fusedMatchesComposed() {
            let input = RandomGenerator(seed: 5).normal([4, 6, 3])
            for lengths in [nil, [6, 2, 4, 1]] as [[Int]?] {
                for network in Self.networks(hidden: 20, seed: 8).dropLast() {
                    let name = "\(type(of: network)) lengths \(lengths.map { "\($0)" } ?? "none")"
                    var results: [(values: [Tensor], gradients: [Tensor])] = []
                    for fused in [true, false] {
                        network.usesFusedKernels = fused
                        network.zeroGradients()
                        let leaf = Tensor(input.scalars, shape: input.shape, requiresGrad: true)
                        let (output, states) = Self.run(network, leaf, lengths: lengths)
                        let weights = RandomGenerator(seed: 9).normal([output.count + states.map(\.count).reduce(0, +)])
                        (Tensor.concat([output.flattened()] + states.map { $0.flattened() }) * weights).sum().backward()
                        results.append(([output] + states, [leaf.grad!] + network.parameters().map { $0.grad! }))
                    }
                    for (fused, composed) in zip(results[0].values, results[1].values) {
                        expectClose(fused, composed, "\(name): value", tolerance: .golden)
                    }
                    for (fused, composed) in zip(results[0].gradients, results[1].gradients) {
                        expectClose(fused, composed, "\(name): gradient", tolerance: .golden)
                    }
                }
            }
        }

        @Test func paddedGradientsMatchFiniteDifferences() {
            let input = RandomGenerator(seed: 12).normal([3, 4, 3])
            for network in Self.networks(hidden: 2, seed: 13) {
                SequenceGradientCheck.check("\(type(of: network)) with lengths", module: network, inputs: [input]) { inputs in
                    let (output, states) = Self.run(network, inputs[0], lengths: [4, 2, 3])
                    return Tensor.concat([output.flattened()] + states.map { $0.flattened() })
                }
            }
        }

        @Test func wrongLengthsNameTheLayer() async throws {
            let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let lstm = LSTM(inputSize: 3, hiddenSize: 4, batchFirst: true, generator: RandomGenerator(seed: 0))
                _ = lstm(Tensor.ones([2, 5, 3]), lengths: [5, 6])
            }
            let message = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(message.contains("LSTM") && message.contains("lengths [5, 6]") && message.contains("1...5"), "\(message)")
        }
    }
}
