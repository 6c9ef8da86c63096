import Nabla
import NablaCompression
import NablaNN
import Testing

@Suite struct SummaryTests {
    @Test func fashionCNNSummaryCountsShapesParametersAndMultiplyAdds() {
        let generator = RandomGenerator(seed: 0)
        let model = Sequential(Conv2d(inputChannels: 1, outputChannels: 32, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                               MaxPool2d(kernelSize: 2),
                               Conv2d(inputChannels: 32, outputChannels: 64, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                               MaxPool2d(kernelSize: 2), Flatten(),
                               Linear(inputSize: 64 * 7 * 7, outputSize: 128, generator: generator), ReLU(),
                               Linear(inputSize: 128, outputSize: 10, generator: generator))
        let summary = model.summary(inputShape: [1, 1, 28, 28])
        #expect(summary.rows.count == 10)
        #expect(summary.rows.map(\.outputShape) == [[1, 32, 28, 28], [1, 32, 28, 28], [1, 32, 14, 14], [1, 64, 14, 14], [1, 64, 14, 14],
                                                     [1, 64, 7, 7], [1, 3136], [1, 128], [1, 128], [1, 10]])
        #expect(summary.rows.map(\.parameters) == [320, 0, 0, 18_496, 0, 0, 0, 401_536, 0, 1_290])
        #expect(summary.totalParameters == 421_642)
        // torchinfo's figure for this network: 32·28²·9 + 64·14²·288 + 3136·128 + 128·10.
        #expect(summary.totalMultiplyAdds == 225_792 + 3_612_672 + 401_408 + 1_280)
        let text = summary.description
        #expect(text.contains("Total parameters: 421,642") && text.contains("[1, 64, 7, 7]"))
        #expect(model.isTraining)
    }
}
