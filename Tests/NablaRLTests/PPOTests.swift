import Foundation
import Nabla
@testable import NablaRL
import Testing

/// PPO: the clipped objective and its gradient against values worked by hand, exact repetition with a
/// seed, clear errors, and learning on CartPole over a short run.
struct PPOTests {
    @Test func clippedSurrogateMatchesHandValues() {
        // Ratios 1.5, 0.5, 1.1 with advantages 2, −1, 3 and clip 0.2: min(3, 2.4) = 2.4, min(−0.5, −0.8) = −0.8,
        // min(3.3, 3.3) = 3.3, so the loss is −(2.4 − 0.8 + 3.3) / 3 = −1.6333.
        let old: [Float] = [-1, -0.5, -2]
        let ratios: [Float] = [1.5, 0.5, 1.1]
        let logProbabilities = Tensor(zip(ratios, old).map { Foundation.log($0) + $1 }, requiresGrad: true)
        let loss = PPO.clippedSurrogateLoss(logProbabilities: logProbabilities, oldLogProbabilities: Tensor(old),
                                            advantages: Tensor([2, -1, 3]), clipRange: 0.2)
        #expect(abs(loss.item - (-4.9 / 3)) < 1e-5)
        loss.backward()
        // The first two samples sit on the clipped branch (no gradient); the third's is −A·r/3 = −1.1.
        let gradient = logProbabilities.grad!.scalars
        #expect(abs(gradient[0]) < 1e-6 && abs(gradient[1]) < 1e-6)
        #expect(abs(gradient[2] - (-1.1)) < 1e-5)
    }

    @Test func continuousActionsAndBadSettingsAreRejected() throws {
        #expect(throws: UnsupportedActionSpace.self) { try PPO(environment: try EnvironmentRegistry.specification(named: "Pendulum-v1"), seed: 0) }
        var configuration = PPOConfiguration()
        configuration.batchSize = 1000
        #expect(throws: PPOConfigurationError.self) {
            try PPO(environment: try EnvironmentRegistry.specification(named: "CartPole-v1"), configuration: configuration, seed: 0)
        }
    }

    @Test func sameSeedRepeatsExactly() throws {
        let specification = try EnvironmentRegistry.specification(named: "CartPole-v1")
        var configuration = PPOConfiguration()
        configuration.epochs = 2
        func run() throws -> [[Float]] {
            let agent = try PPO(environment: specification, configuration: configuration, seed: 7)
            agent.train(totalSteps: 512)
            return agent.model.parameters().map(\.scalars)
        }
        #expect(try run() == run())
    }

    @Test func improvesCartPoleReturnOverAShortRun() throws {
        let specification = try EnvironmentRegistry.specification(named: "CartPole-v1")
        let agent = try PPO(environment: specification, seed: 0)
        let before = PolicyEvaluation.returns(specification, model: agent.model, episodes: 10, seed: 99)
        agent.train(totalSteps: 3072)
        let after = PolicyEvaluation.returns(specification, model: agent.model, episodes: 10, seed: 99)
        let meanBefore = before.reduce(0, +) / 10, meanAfter = after.reduce(0, +) / 10
        #expect(meanAfter > 3 * meanBefore && meanAfter > 60, "greedy mean return \(meanBefore) before, \(meanAfter) after 3,072 steps")
    }
}
