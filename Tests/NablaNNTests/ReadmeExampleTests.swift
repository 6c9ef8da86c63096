import Nabla
import NablaNN
import NablaOptim
import Testing

// The README's example, run as written, so the first code a new user copies keeps working.

@Suite struct ReadmeExampleTests {
    @Test func trainingStepAndGradientsOfGradients() {
        let generator = RandomGenerator(seed: 42)
        let model = Sequential(Linear(inputSize: 4, outputSize: 16, generator: generator), ReLU(),
                               Linear(inputSize: 16, outputSize: 3, generator: generator))
        let optimizer = Adam(model.parameters(), configuration: .init(learningRate: 1e-3))
        let inputs = generator.normal([8, 4]), labels = IntTensor([0, 1, 2, 0, 1, 2, 0, 1])
        let before = model.parameters().map(\.scalars)
        optimizer.zeroGradients()
        let loss = crossEntropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
        #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(zip(before, model.parameters().map(\.scalars)).allSatisfy { $0 != $1 })

        let v = Tensor([1, 2, 3], requiresGrad: true)
        let first = gradients(of: (v * v * v).sum(), withRespectTo: [v], createGraph: true)[0]
        let second = gradients(of: first.sum(), withRespectTo: [v])[0]
        #expect(first.scalars == [3, 12, 27])
        #expect(second.scalars == [6, 12, 18])
    }
}
