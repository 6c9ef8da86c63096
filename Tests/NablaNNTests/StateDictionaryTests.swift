import Nabla
@testable import NablaNN
import Testing

// Module bookkeeping with real layers: PyTorch's state-dictionary keys for nested models and containers,
// loading in strict and non-strict modes, shape errors, freezing, parameter counting and modes.

/// A model in the shape of a small PyTorch CNN: `features` (conv, batch norm, relu, pool), a list of
/// extra blocks, a dictionary of heads and an optional part that is absent.
private final class Classifier: Module, Layer {
    let features: Sequential
    let blocks: ModuleList<any Layer>
    let heads: ModuleDictionary<Linear>
    let auxiliary: Linear? = nil

    init(generator: RandomGenerator) {
        features = Sequential(
            Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, generator: generator),
            BatchNorm2d(featureCount: 2), ReLU(), MaxPool2d(kernelSize: 2),
            Sequential(Flatten(), Linear(inputSize: 8, outputSize: 4, generator: generator)))
        blocks = ModuleList([Linear(inputSize: 4, outputSize: 4, generator: generator), Tanh(), LayerNorm(normalizedShape: [4])])
        heads = ["label": Linear(inputSize: 4, outputSize: 3, generator: generator),
                 "box": Linear(inputSize: 4, outputSize: 2, bias: false, generator: generator)]
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        let hidden = blocks.reduce(features(input)) { value, block in block(value) }
        return heads["label"]!(hidden)
    }
}

/// PyTorch's `state_dict().keys()` for the same model built from nn.Sequential, nn.ModuleList and
/// nn.ModuleDict (parameters, then buffers, then children, each container in its own order).
private let classifierKeys = [
    "features.0.weight", "features.0.bias",
    "features.1.weight", "features.1.bias", "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
    "features.4.1.weight", "features.4.1.bias",
    "blocks.0.weight", "blocks.0.bias", "blocks.2.weight", "blocks.2.bias",
    "heads.label.weight", "heads.label.bias", "heads.box.weight",
]

extension NablaNNSuite {
    @Suite struct StateDictionaryTests {
        @Test func keysMatchPyTorchForNestedModels() {
            let model = Classifier(generator: RandomGenerator(seed: 71))
            #expect(model.stateKeys() == classifierKeys)
            #expect(Set(model.stateDictionary().keys) == Set(classifierKeys))
            #expect(model.namedBuffers().map(\.name) == ["features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked"])
            #expect(model.namedParameters().count == classifierKeys.count - 3)
            #expect(model(Tensor.zeros([2, 1, 4, 4])).shape == [2, 3])

            // The sequential in the brief's example: a conv and a batch norm at the top level.
            let plain = Sequential(Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3, generator: RandomGenerator(seed: 0)),
                                   BatchNorm2d(featureCount: 4))
            #expect(plain.stateKeys() == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"])
        }

        @Test func parameterCounting() {
            let model = Classifier(generator: RandomGenerator(seed: 72))
            let expected = (2 * 9 + 2) + (2 + 2) + (8 * 4 + 4) + (4 * 4 + 4) + (4 + 4) + (4 * 3 + 3) + (4 * 2)
            #expect(model.parameterCount() == expected)
            model.features.freeze()
            #expect(model.parameterCount(trainableOnly: true) == expected - (2 * 9 + 2) - (2 + 2) - (8 * 4 + 4))
        }

        @Test func roundTripCopiesEveryValueInPlace() throws {
            let source = Classifier(generator: RandomGenerator(seed: 73))
            let target = Classifier(generator: RandomGenerator(seed: 74))
            _ = source(RandomGenerator(seed: 1).normal([4, 1, 4, 4]))   // move the running statistics
            let before = target.stateDictionary()
            let report = try target.loadStateDictionary(source.stateDictionary())
            #expect(report.missingKeys.isEmpty && report.unexpectedKeys.isEmpty)
            // Copied into the same tensors, so an optimiser holding them sees the new values.
            for (key, tensor) in target.stateDictionary() {
                #expect(tensor === before[key], "\(key) was replaced, not copied into")
                #expect(tensor.scalars == source.stateDictionary()[key]!.scalars, "\(key)")
            }
            source.eval(); target.eval()
            let input = RandomGenerator(seed: 2).normal([3, 1, 4, 4])
            #expect(source(input).scalars == target(input).scalars)
        }

        @Test func strictLoadingRejectsMissingAndUnexpectedKeys() throws {
            let model = Classifier(generator: RandomGenerator(seed: 75))
            var state = Classifier(generator: RandomGenerator(seed: 76)).stateDictionary()
            state["features.1.running_var"] = nil
            state["heads.extra.weight"] = Tensor.zeros([1])
            let mean = model.features[1] as! BatchNorm2d
            let originalMean = mean.runningMean.scalars
            #expect(throws: StateLoadError.keysDoNotMatch(StateLoadReport(missingKeys: ["features.1.running_var"],
                                                                         unexpectedKeys: ["heads.extra.weight"]))) {
                try model.loadStateDictionary(state)
            }
            // A failed strict load changes nothing.
            #expect(mean.runningMean.scalars == originalMean)

            // Non-strict: the matching keys load, the rest are reported.
            let report = try model.loadStateDictionary(state, strict: false)
            #expect(report.missingKeys == ["features.1.running_var"])
            #expect(report.unexpectedKeys == ["heads.extra.weight"])
            #expect(mean.runningMean.scalars == state["features.1.running_mean"]!.scalars)
            #expect(mean.runningVariance.scalars == [1, 1])
        }

        @Test func shapeMismatchThrowsNamingTheKey() {
            let model = Classifier(generator: RandomGenerator(seed: 77))
            var state = model.stateDictionary()
            state["blocks.0.weight"] = Tensor.zeros([4, 5])
            do {
                try model.loadStateDictionary(state, strict: false)
                Issue.record("a [4, 5] tensor loaded into a [4, 4] parameter")
            } catch let error as StateLoadError {
                #expect(error == .shapeMismatch(key: "blocks.0.weight", expected: [4, 4], found: [4, 5]))
                #expect(error.description.contains("blocks.0.weight") && error.description.contains("[4, 5]"))
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }

        @Test func freezingExcludesParametersAndStopsGradients() {
            let model = Classifier(generator: RandomGenerator(seed: 78))
            model.features.freeze()
            let frozen = model.features.parameters()
            #expect(!frozen.isEmpty && frozen.allSatisfy { !$0.requiresGrad })
            let trainable = model.trainableParameters()
            #expect(trainable.count == model.parameters().count - frozen.count)
            #expect(!trainable.contains { candidate in frozen.contains { $0 === candidate } })

            model(RandomGenerator(seed: 3).normal([2, 1, 4, 4])).sum().backward()
            #expect(frozen.allSatisfy { $0.grad == nil })
            let label = model.heads["label"]!
            #expect(label.weight.grad != nil && model.blocks[0].parameters().allSatisfy { $0.grad != nil })

            model.unfreeze()
            #expect(model.trainableParameters().count == model.parameters().count)
            model.zeroGradients()
            #expect(model.parameters().allSatisfy { $0.grad == nil })
        }

        @Test func trainAndEvalReachEveryDescendant() {
            let model = Classifier(generator: RandomGenerator(seed: 79))
            #expect(model.namedModules().allSatisfy { $0.module.isTraining })
            model.eval()
            let modules = model.namedModules()
            #expect(modules.allSatisfy { !$0.module.isTraining })
            // Containers' children are reached too: list entries and dictionary entries by key.
            #expect(modules.contains { $0.name == "blocks.2" } && modules.contains { $0.name == "heads.box" })
            #expect(modules.contains { $0.name == "features.4.0" })
            model.train()
            #expect(modules.allSatisfy { $0.module.isTraining })
        }
    }

    @Suite struct ContainerTests {
        let generator = RandomGenerator(seed: 81)

        @Test func moduleListEditing() {
            let list = ModuleList<Linear>()
            #expect(list.isEmpty && list.stateKeys().isEmpty)
            list.append(Linear(inputSize: 2, outputSize: 2, generator: generator))
            list.append(contentsOf: [Linear(inputSize: 2, outputSize: 3, bias: false, generator: generator)])
            list.insert(Linear(inputSize: 1, outputSize: 2, bias: false, generator: generator), at: 0)
            #expect(list.stateKeys() == ["0.weight", "1.weight", "1.bias", "2.weight"])
            #expect(list.map(\.outputSize) == [2, 2, 3])
            list.remove(at: 1)
            #expect(list.stateKeys() == ["0.weight", "1.weight"])
            list[1] = Linear(inputSize: 2, outputSize: 5, generator: generator)
            #expect(list.stateKeys() == ["0.weight", "1.weight", "1.bias"])
            #expect(list.reduce(Tensor.ones([1, 1])) { value, layer in layer(value) }.shape == [1, 5])
        }

        @Test func moduleDictionaryKeepsInsertionOrder() {
            let heads = ModuleDictionary<any Layer>()
            heads["zeta"] = Linear(inputSize: 2, outputSize: 1, generator: generator)
            heads["alpha"] = ReLU()
            heads["mid"] = BatchNorm1d(featureCount: 2)
            #expect(heads.keys == ["zeta", "alpha", "mid"])
            #expect(heads.stateKeys() == ["zeta.weight", "zeta.bias", "mid.weight", "mid.bias", "mid.running_mean",
                                          "mid.running_var", "mid.num_batches_tracked"])
            // Replacing keeps the position; removing drops the key.
            heads["zeta"] = Linear(inputSize: 2, outputSize: 1, bias: false, generator: generator)
            heads["alpha"] = nil
            #expect(heads.keys == ["zeta", "mid"] && heads.count == 2)
            #expect(heads.stateKeys().first == "zeta.weight" && !heads.stateKeys().contains("zeta.bias"))
            #expect(heads.values.count == 2 && heads["alpha"] == nil)
        }

        /// A plain `[String: Module]` property is discovered too, by sorted key (a Swift dictionary has no
        /// order), so its parameters are never silently left out of training or checkpoints.
        @Test func plainDictionaryPropertiesAreDiscoveredBySortedKey() {
            final class Heads: Module {
                let byName: [String: Linear]
                init(generator: RandomGenerator) {
                    byName = ["b": Linear(inputSize: 1, outputSize: 1, generator: generator),
                              "a": Linear(inputSize: 1, outputSize: 1, bias: false, generator: generator)]
                }
            }
            #expect(Heads(generator: generator).stateKeys() == ["by_name.a.weight", "by_name.b.weight", "by_name.b.bias"])
        }

        @Test func invalidDictionaryKeysStop() async {
            await #expect(processExitsWith: .failure) {
                let heads = ModuleDictionary<ReLU>()
                heads["with.dot"] = ReLU()
            }
        }
    }
}
