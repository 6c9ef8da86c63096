import Foundation
import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

// Recurrent and attention layers against PyTorch (modules.json): load PyTorch's state_dict, run the
// layer on the same input, compare the output, then feed PyTorch's upstream gradient and compare the
// input gradient and every parameter gradient. Recurrent cases hold the full output sequence
// (batch_first, zero initial state). Tolerance: atol 1e-4 + rtol 1e-3 (float32 against float64).

extension NablaNNSuite {
    @Suite struct SequenceGoldenTests {
        enum SequenceGoldenCase: String, CaseIterable, Sendable {
            case lstm, lstmBidirectionalTwoLayers = "lstm_bidir_2layer", gru, rnnTanh = "rnn_tanh"
            case multiheadSelfAttention = "multihead_self_attention", transformerEncoderLayer = "transformer_encoder_layer"

            /// The layer PyTorch built (the case's `torch` field), as a module and a one-input forward pass.
            func make() -> (module: Module, forward: (Tensor) -> Tensor) {
                let generator = RandomGenerator(seed: 0)   // every weight is overwritten by the state dictionary
                switch self {
                case .lstm:
                    let lstm = LSTM(inputSize: 3, hiddenSize: 4, batchFirst: true, generator: generator)
                    return (lstm, { lstm($0).output })
                case .lstmBidirectionalTwoLayers:
                    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, batchFirst: true, bidirectional: true, generator: generator)
                    return (lstm, { lstm($0).output })
                case .gru:
                    let gru = GRU(inputSize: 3, hiddenSize: 4, batchFirst: true, generator: generator)
                    return (gru, { gru($0).output })
                case .rnnTanh:
                    let rnn = RNN(inputSize: 3, hiddenSize: 4, batchFirst: true, generator: generator)
                    return (rnn, { rnn($0).output })
                case .multiheadSelfAttention:
                    let attention = MultiheadAttention(embedDimension: 8, headCount: 2, batchFirst: true, generator: generator)
                    return (AttentionWrapper(attention), { attention(query: $0, key: $0, value: $0).output })
                case .transformerEncoderLayer:
                    let layer = TransformerEncoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, dropout: 0,
                                                        batchFirst: true, generator: generator)
                    return (layer, { layer($0) })
                }
            }
        }

        /// PyTorch's case wrapped the attention in a module under the name `attn`, so its keys are `attn.…`.
        final class AttentionWrapper: Module {
            let attn: MultiheadAttention
            init(_ attention: MultiheadAttention) { attn = attention }
        }

        @Test(arguments: SequenceGoldenCase.allCases)
        func matchesPyTorch(_ layer: SequenceGoldenCase) throws {
            let (module, forward) = layer.make()
            try expectMatchesModuleGolden(layer.rawValue, module: module, forward: forward)
        }
    }
}
