import Foundation
import Nabla
@testable import NablaNN
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
            let golden = try ModuleGolden.case(layer.rawValue)
            let module = layer.make()
            // Strict: the layer must have exactly PyTorch's keys, buffers included.
            try module.loadStateDictionary(golden.state())
            if golden.isTraining { module.train() } else { module.eval() }

            let input = golden.input.tensor(requiresGrad: true)
            let output = module(input)
            var errors = ["output": expectClose(output, golden.output.tensor(), "\(golden) output")]
            output.backward(gradient: golden.gradientOfOutput.tensor())
            errors["grad_input"] = expectClose(input.grad, golden.gradientOfInput.tensor(), "\(golden) input gradient")

            let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.tensor) })
            #expect(Set(parameters.keys) == Set(golden.parameterGradients.keys), "\(golden): parameter names")
            for (name, expected) in golden.parameterGradients.sorted(by: { $0.key < $1.key }) {
                errors["grad \(name)"] = expectClose(parameters[name]?.grad, expected.tensor(), "\(golden) gradient of \(name)")
            }
            let buffers = Dictionary(uniqueKeysWithValues: module.namedBuffers().map { ($0.name, $0.tensor) })
            for (name, expected) in golden.buffersAfter.sorted(by: { $0.key < $1.key }) {
                errors["buffer \(name)"] = expectClose(buffers[name], expected.tensor(), "\(golden) buffer \(name) after the pass")
            }
            let summary = errors.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2e", $0.value))" }
            print("golden \(golden.name) (\(golden.torch)): max |error| \(summary.joined(separator: ", "))")
        }
    }
}
