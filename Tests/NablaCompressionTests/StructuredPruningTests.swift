import Nabla
import NablaCompression
import NablaNN
import Testing

@Suite struct StructuredPruningTests {
    func network(_ generator: RandomGenerator) -> Sequential {
        Sequential(Conv2d(inputChannels: 2, outputChannels: 8, kernelSize: 3, padding: 1, generator: generator), BatchNorm2d(featureCount: 8), ReLU(),
                   MaxPool2d(kernelSize: 2),
                   Conv2d(inputChannels: 8, outputChannels: 6, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                   Flatten(), Linear(inputSize: 6 * 4 * 4, outputSize: 10, generator: generator), ReLU(),
                   Linear(inputSize: 10, outputSize: 3, generator: generator))
    }

    @Test func rebuiltLayersComputeWhatTheMaskedOriginalComputes() throws {
        let generator = RandomGenerator(seed: 7)
        let model = network(generator)
        // Non-trivial running statistics, so the batch norm's surgery is tested too.
        model.train()
        _ = model(generator.normal([4, 2, 8, 8]))
        model.eval()
        let plan = try StructuredPruning.plan(model, sparsity: 0.5)
        #expect(plan.keys.sorted() == [0, 4, 7])
        #expect(plan[0]!.count == 4 && plan[4]!.count == 3 && plan[7]!.count == 5)
        let smaller = StructuredPruning.rebuilt(model, plan: plan)
        smaller.eval()
        StructuredPruning.mask(model, plan: plan)
        let input = generator.normal([3, 2, 8, 8])
        let expected = model(input).scalars, actual = smaller(input).scalars
        #expect(expected.count == actual.count)
        for index in expected.indices { #expect(abs(expected[index] - actual[index]) < 1e-4) }
        #expect(smaller.parameterCount() < model.parameterCount() / 2 + 100)
    }

    @Test func badSparsityIsRefused() {
        let model = network(RandomGenerator(seed: 8))
        #expect(throws: CompressionError.sparsityOutOfRange(1)) { try StructuredPruning.plan(model, sparsity: 1) }
        #expect(throws: CompressionError.sparsityOutOfRange(-0.5)) { try StructuredPruning.plan(model, sparsity: -0.5) }
    }
}
