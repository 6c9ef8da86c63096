import Nabla
@testable import NablaNN
import NablaOptim
import Testing

// Parameters are trainable by default: a user's module with a plain tensor property trains with no
// opt-in, tensors assigned later or made without gradients become trainable when discovered, and
// freezing is explicit and survives loading, re-discovery and mode switches.

/// A user-defined module that never mentions gradients: y = Σ weight·x + offset.
private final class Scaler: Module {
    let weight = Tensor([1, 2, 3])
    let offset = withoutGradients { Tensor(scalar: 0.5) }
    /// Assigned after construction, as a user might attach an extra parameter.
    var extra: Tensor? = nil

    func callAsFunction(_ input: Tensor) -> Tensor { (weight * input).sum() + offset }
}

extension NablaNNSuite {
    @Suite struct TrainableParameterTests {
        @Test func plainTensorPropertyTrainsWithoutOptIn() {
            let model = Scaler()
            // No call to parameters() before the forward pass: construction alone made them trainable.
            let input = Tensor([4, 5, 6])
            model(input).backward()
            // d/dweight Σ weight·x = x; d/doffset = 1.
            #expect(model.weight.grad?.scalars == [4, 5, 6])
            #expect(model.offset.grad?.scalars == [1])

            let optimizer = SGD(model.parameters(), configuration: .init(learningRate: 0.1))
            optimizer.step()
            let expected: [Float] = [1 - 0.4, 2 - 0.5, 3 - 0.6]
            #expect(zip(model.weight.scalars, expected).allSatisfy { abs($0 - $1) < 1e-6 })
            #expect(abs(model.offset.scalars[0] - 0.4) < 1e-6)
        }

        @Test func tensorAssignedLaterIsTrainableOnceDiscovered() {
            let model = Scaler()
            let late = withoutGradients { Tensor([7, 8]) }
            model.extra = late
            #expect(!late.requiresGrad)
            #expect(model.namedParameters().map(\.name) == ["weight", "offset", "extra"])
            #expect(late.requiresGrad && model.trainableParameters().count == 3)
        }

        @Test func frozenParametersStayFrozenAfterLoadingAndModeSwitches() throws {
            let generator = RandomGenerator(seed: 5)
            let model = Sequential(Linear(inputSize: 3, outputSize: 4, generator: generator), ReLU(),
                                   Linear(inputSize: 4, outputSize: 2, generator: generator))
            let first = model.layers[0] as! Linear, last = model.layers[2] as! Linear
            first.freeze()
            last.bias!.requiresGrad = false   // one parameter frozen by hand

            let source = Sequential(Linear(inputSize: 3, outputSize: 4, generator: generator), ReLU(),
                                    Linear(inputSize: 4, outputSize: 2, generator: generator))
            try model.loadStateDictionary(source.stateDictionary())
            #expect(first.weight.scalars == (source.layers[0] as! Linear).weight.scalars)
            model.eval()
            model.train()

            let frozen = [first.weight, first.bias!, last.bias!]
            #expect(frozen.allSatisfy { !$0.requiresGrad } && last.weight.requiresGrad)
            #expect(model.trainableParameters().count == 1 && model.trainableParameters()[0] === last.weight)
            model(generator.normal([5, 3])).sum().backward()
            #expect(frozen.allSatisfy { $0.grad == nil } && last.weight.grad != nil)

            model.unfreeze()
            #expect(model.parameters().allSatisfy { $0.requiresGrad })
        }

        @Test func layersNeedNoOptIn() {
            let generator = RandomGenerator(seed: 6)
            let layers: [Module] = [
                Linear(inputSize: 2, outputSize: 2, generator: generator), Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, generator: generator),
                BatchNorm2d(featureCount: 2), LayerNorm(normalizedShape: [3]), Embedding(embeddingCount: 4, embeddingSize: 2, generator: generator),
                LSTM(inputSize: 2, hiddenSize: 3, generator: generator),
            ]
            for layer in layers {
                #expect(!layer.parameters().isEmpty && layer.parameters().allSatisfy { $0.requiresGrad }, "\(type(of: layer))")
                #expect(layer.namedBuffers().allSatisfy { !$0.tensor.requiresGrad }, "\(type(of: layer)) buffers")
            }
        }
    }
}
