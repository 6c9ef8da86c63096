import Nabla
@testable import NablaNN
import Testing

private final class Block: Module, Layer {
    let first: Linear
    let second: Linear
    @Buffer var runningTotal = Tensor.zeros([2])
    let width = 3

    init(generator: RandomGenerator) {
        first = Linear(inputSize: 3, outputSize: 4, generator: generator)
        second = Linear(inputSize: 4, outputSize: 2, bias: false, generator: generator)
    }

    func callAsFunction(_ input: Tensor) -> Tensor { second(first(input).relu()) }
}

@Test func parameterNamesFollowPyTorch() {
    let generator = RandomGenerator(seed: 1)
    let model = Sequential(Block(generator: generator), Linear(inputSize: 2, outputSize: 1, generator: generator))
    #expect(model.namedParameters().map(\.name) == ["0.first.weight", "0.first.bias", "0.second.weight", "1.weight", "1.bias"])
    #expect(model.namedBuffers().map(\.name) == ["0.running_total"])
    #expect(model.stateKeys() == ["0.first.weight", "0.first.bias", "0.second.weight", "0.running_total", "1.weight", "1.bias"])
    #expect(model.parameterCount() == 12 + 4 + 8 + 2 + 1)
    #expect(model(Tensor.ones([5, 3])).shape == [5, 1])
    model.eval()
    #expect(model.namedModules().allSatisfy { !$0.module.isTraining })
}
