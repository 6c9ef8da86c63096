import Nabla
import NablaOptim
import NablaTestSupport
import Testing

// An optimiser's step writes its parameters in place: it counts as a modification (so a graph recorded
// before the step cannot be differentiated with the new values), while the usual loop, which records
// a fresh graph each step, runs unhindered.
@Suite struct InPlaceStepTests {
    @Test(arguments: OptimizerBehaviourTests.families)
    func stepCountsAsAnInPlaceWrite(_ family: String) {
        let parameter = Tensor([1, -2, 3], requiresGrad: true)
        let optimizer = OptimizerBehaviourTests.make(family, [parameter])
        for step in 1...3 {
            optimizer.zeroGradients()
            let loss = (parameter * parameter).sum()
            loss.backward()
            let before = parameter.storage.version
            optimizer.step()
            #expect(parameter.storage.version == before + 1, "\(family) step \(step)")
        }
    }

    @Test func stepBetweenRecordingAndBackwardStopsBackward() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let parameter = Tensor([1, 2, 3], requiresGrad: true)
            let optimizer = SGD([parameter], configuration: .init(learningRate: 0.1))
            parameter.grad = Tensor([1, 1, 1])
            let loss = (parameter * parameter).sum()
            optimizer.step()
            loss.backward()
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("backward of multiply") && message.contains("modified in place"), "\(message)")
    }
}
