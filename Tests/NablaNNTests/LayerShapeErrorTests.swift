import Foundation
import Nabla
import NablaNN
import Testing

// A layer given the wrong input stops the program; these exit tests run each mistake in a child process
// and read what it printed: the message must name the layer, the expected shape and the actual shape.

/// Checks that a child process failed with a message containing every one of `parts`.
private func expectMessage(_ result: ExitTest.Result?, contains parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    guard let result else { return }   // #expect has already recorded that the process did not fail
    let message = String(decoding: result.standardErrorContent, as: UTF8.self)
    for part in parts {
        #expect(message.contains(part), "message lacks \"\(part)\": \(message)", sourceLocation: sourceLocation)
    }
}

extension NablaNNSuite {
    @Suite struct LayerShapeErrorTests {
        @Test func convolutionsNameTheLayerAndBothShapes() async {
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let conv = Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 3, generator: RandomGenerator(seed: 0))
                _ = conv(Tensor.zeros([2, 4, 8, 8]))
            }, contains: ["Conv2d", "(N, 3, H, W)", "[2, 4, 8, 8]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let conv = Conv2d(inputChannels: 1, outputChannels: 1, kernelSize: 5, generator: RandomGenerator(seed: 0))
                _ = conv(Tensor.zeros([1, 1, 3, 3]))
            }, contains: ["Conv2d", "[1, 1, 3, 3]", "smaller than the kernel (5, 5)"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let conv = Conv1d(inputChannels: 2, outputChannels: 2, kernelSize: 3, generator: RandomGenerator(seed: 0))
                _ = conv(Tensor.zeros([2, 10]))
            }, contains: ["Conv1d", "(N, 2, L)", "[2, 10]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let up = ConvTranspose2d(inputChannels: 4, outputChannels: 2, kernelSize: 2, generator: RandomGenerator(seed: 0))
                _ = up(Tensor.zeros([1, 2, 3, 3]))
            }, contains: ["ConvTranspose2d", "(N, 4, H, W)", "[1, 2, 3, 3]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Conv2d(inputChannels: 1, outputChannels: 1, kernelSize: 3, stride: 2, padding: .same, generator: RandomGenerator(seed: 0))
            }, contains: ["Conv2d", "padding .same", "stride 1"])
        }

        @Test func poolingAndResizingNameTheLayerAndBothShapes() async {
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = MaxPool2d(kernelSize: 2)(Tensor.zeros([3, 8, 8]))
            }, contains: ["MaxPool2d", "(N, C, H, W)", "[3, 8, 8]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = AvgPool2d(kernelSize: 4)(Tensor.zeros([1, 1, 2, 8]))
            }, contains: ["AvgPool2d", "[1, 1, 2, 8]", "kernel (4, 4)"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = AdaptiveAvgPool2d(outputSize: 1)(Tensor.zeros([4, 5]))
            }, contains: ["AdaptiveAvgPool2d", "(N, C, H, W)", "[4, 5]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Upsample(scaleFactor: 2)(Tensor.zeros([1, 2, 3]))
            }, contains: ["Upsample", "(N, C, H, W)", "[1, 2, 3]"])
        }

        @Test func normalisationNamesTheLayerAndBothShapes() async {
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = BatchNorm2d(featureCount: 3)(Tensor.zeros([2, 4, 5, 5]))
            }, contains: ["BatchNorm2d", "(N, 3, H, W)", "[2, 4, 5, 5]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = BatchNorm1d(featureCount: 3)(Tensor.zeros([2, 3, 4, 4]))
            }, contains: ["BatchNorm1d", "(N, 3)", "(N, 3, L)", "[2, 3, 4, 4]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = BatchNorm1d(featureCount: 3)(Tensor.zeros([1, 3]))   // one value per channel in training
            }, contains: ["BatchNorm1d", "more than 1 value per channel", "[1, 3]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LayerNorm(normalizedShape: [4, 5])(Tensor.zeros([2, 5, 4]))
            }, contains: ["LayerNorm", "(…, 4, 5)", "[2, 5, 4]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = GroupNorm(groupCount: 2, channelCount: 6)(Tensor.zeros([2, 4, 3]))
            }, contains: ["GroupNorm", "(N, 6, …)", "[2, 4, 3]"])
        }

        @Test func otherLayersNameTheLayerAndBothShapes() async {
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Linear(inputSize: 4, outputSize: 2, generator: RandomGenerator(seed: 0))(Tensor.zeros([3, 5]))
            }, contains: ["Linear", "(…, 4)", "[3, 5]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Maxout(inputSize: 4, outputSize: 2, pieceCount: 3, generator: RandomGenerator(seed: 0))(Tensor.zeros([3, 5]))
            }, contains: ["Maxout", "(…, 4)", "[3, 5]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let embedding = Embedding(embeddingCount: 10, embeddingSize: 2, generator: RandomGenerator(seed: 0))
                _ = embedding(IntTensor([3, 10], shape: [1, 2]))
            }, contains: ["Embedding", "0..<10", "10", "[1, 2]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Flatten(startAxis: 2)(Tensor.zeros([4, 5]))
            }, contains: ["Flatten", "axes 2 through -1", "[4, 5]"])
            expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Softmax(axis: 2)(Tensor.zeros([4, 5]))
            }, contains: ["Softmax", "axis 2", "[4, 5]"])
        }
    }
}
