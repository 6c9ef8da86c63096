import Foundation
import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

// Layers against PyTorch (modules.json): load PyTorch's state_dict into the same layer, run it in the
// same mode, and compare the output, the input gradient for the given upstream gradient, every parameter
// gradient and the buffers after the pass (batch norm's running statistics). Tolerance: atol 1e-4 +
// rtol 1e-3 (float32 against PyTorch's float64).

extension NablaNNSuite {
    @Suite struct ModuleGoldenTests {
        /// The modules.json cases this target owns, with the layer PyTorch built (`torch` field).
        enum GoldenLayer: String, CaseIterable, Sendable {
            case linear, conv2d
            case batchNorm2dTrain = "batchnorm2d_train", batchNorm2dEval = "batchnorm2d_eval"
            case layerNorm = "layernorm", convTranspose2d = "conv_transpose2d"

            func make() -> any Layer {
                let generator = RandomGenerator(seed: 0)   // every weight is overwritten by the state dictionary
                switch self {
                case .linear: return Linear(inputSize: 4, outputSize: 3, generator: generator)
                case .conv2d: return Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: generator)
                case .batchNorm2dTrain, .batchNorm2dEval: return BatchNorm2d(featureCount: 3)
                case .layerNorm: return LayerNorm(normalizedShape: [4])
                case .convTranspose2d:
                    return ConvTranspose2d(inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1, generator: generator)
                }
            }
        }

        @Test(arguments: GoldenLayer.allCases)
        func matchesPyTorch(_ layer: GoldenLayer) throws {
            let module = layer.make()
            try expectMatchesModuleGolden(layer.rawValue, module: module, forward: { module($0) })
        }
    }
}
