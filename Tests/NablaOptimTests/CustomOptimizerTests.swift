import Nabla
import NablaOptim
import NablaTestSupport
import Testing

/// signSGD (Bernstein et al., 2018): θ ← θ − γ·sign(g). Written outside the module, as a user would:
/// a configuration, a state and one per-parameter update.
private final class SignDescent: OptimizerBase<SignDescentConfiguration, SignDescentState> {
    override func makeState(for parameter: Tensor, configuration: SignDescentConfiguration) -> SignDescentState { SignDescentState() }

    override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                         state: SignDescentState, configuration: SignDescentConfiguration) {
        state.steps += 1
        let rate = Float(configuration.learningRate)
        for index in parameter.indices {
            parameter[index] -= rate * (gradient[index] > 0 ? 1 : gradient[index] < 0 ? -1 : 0)
        }
    }
}

private struct SignDescentConfiguration: OptimizerConfiguration {
    var learningRate = 0.01
    func validate() { precondition(learningRate >= 0, "SignDescent: negative learning rate \(learningRate)") }
}

private final class SignDescentState {
    var steps = 0
}

@Suite struct CustomOptimizerTests {
    @Test func subclassOutsideTheModuleGetsGroupsStateAndSchedules() {
        let weight = Tensor([1, 2, 3], requiresGrad: true)
        let optimizer = SignDescent([weight], configuration: .init(learningRate: 0.5))
        let scheduler = LearningRateScheduler(optimizer, schedule: StepSchedule(stepSize: 1, gamma: 0.5))
        for _ in 0..<2 {
            weight.grad = Tensor([-3, 0, 0.1])
            optimizer.step()
            scheduler.step()
        }
        expectClose(weight, [1.75, 2, 2.25], "two sign steps at rates 0.5 and 0.25", tolerance: .exact)
        #expect(optimizer.state(for: weight)?.steps == 2)
        #expect(optimizer.scheduledMomenta == [nil], "no momentum to cycle")
    }
}
