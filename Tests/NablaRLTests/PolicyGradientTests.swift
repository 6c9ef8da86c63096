import Foundation
import Nabla
@testable import NablaRL
import Testing

/// REINFORCE and A2C: returns against values worked by hand, exact repetition, clear errors, and
/// learning on CartPole over a short run.
struct PolicyGradientTests {
    @Test func reinforceReturnsAreRewardToGoOrWholeReturn() {
        // Rewards 1, 2, 3 with γ = 0.5: G₂ = 3, G₁ = 2 + 1.5 = 3.5, G₀ = 1 + 1.75 = 2.75.
        #expect(REINFORCE.returns(rewards: [1, 2, 3], discount: 0.5, rewardToGo: true) == [2.75, 3.5, 3])
        #expect(REINFORCE.returns(rewards: [1, 2, 3], discount: 0.5, rewardToGo: false) == [2.75, 2.75, 2.75])
        // A time limit cut the episode: V(final) = 8 counts γ-discounted after the last reward:
        // G₂ = 3 + 0.5·8 = 7, G₁ = 2 + 3.5 = 5.5, G₀ = 1 + 2.75 = 3.75.
        #expect(REINFORCE.returns(rewards: [1, 2, 3], discount: 0.5, rewardToGo: true, bootstrap: 8) == [3.75, 5.5, 7])
    }

    @Test func gaeWithLambdaOneIsTheBootstrappedReturn() {
        // λ = 1: A₀ + V₀ = r₀ + γr₁ + γ²V(s₂): 1 + 0.9·2 + 0.81·10 = 10.9 for the unfinished rollout.
        let result = Returns.generalizedAdvantages(rewards: [1, 2], values: [3, 4], nextValues: [4, 10], terminated: [false, false],
                                                   episodeEnds: [false, false], discount: 0.9, lambda: 1)
        #expect(abs(result.targets[0] - 10.9) < 1e-12 && abs(result.targets[1] - (2 + 9)) < 1e-12)
        // λ = 0: one-step temporal differences δₜ = rₜ + γV(sₜ₊₁) − V(sₜ).
        let oneStep = Returns.generalizedAdvantages(rewards: [1, 2], values: [3, 4], nextValues: [4, 10], terminated: [false, false],
                                                    episodeEnds: [false, false], discount: 0.9, lambda: 0)
        #expect(abs(oneStep.advantages[0] - (1 + 0.9 * 4 - 3)) < 1e-12 && abs(oneStep.advantages[1] - (2 + 0.9 * 10 - 4)) < 1e-12)
    }

    @Test func sameSeedRepeatsExactly() throws {
        let specification = try EnvironmentRegistry.specification(named: "CartPole-v1")
        for name in ["reinforce", "a2c"] {
            func run() throws -> [[Float]] {
                let agent = try Algorithms.make(name, environment: specification, settings: ["hidden_sizes=8,8"], seed: 5)
                agent.run(totalSteps: 200, stopAfterSteps: nil) { _ in }
                return (agent as? REINFORCE)?.model.parameters().map(\.scalars) ?? (agent as! A2C).model.parameters().map(\.scalars)
            }
            #expect(try run() == run(), "\(name)")
        }
    }

    @Test func badInputIsRejectedClearly() throws {
        let cartPole = try EnvironmentRegistry.specification(named: "CartPole-v1")
        let pendulum = try EnvironmentRegistry.specification(named: "Pendulum-v1")
        for name in Algorithms.names {
            #expect(throws: UnsupportedActionSpace.self) { try Algorithms.make(name, environment: pendulum, seed: 0) }
            #expect(throws: HyperParameterError.self) { try Algorithms.make(name, environment: cartPole, settings: ["no_such_key=1"], seed: 0) }
            #expect(throws: HyperParameterError.self) { try Algorithms.make(name, environment: cartPole, settings: ["discount=abc"], seed: 0) }
            #expect(throws: HyperParameterError.self) { try Algorithms.make(name, environment: cartPole, settings: ["discount"], seed: 0) }
        }
        #expect(throws: UnknownAlgorithm.self) { try Algorithms.make("sarsa", environment: cartPole, seed: 0) }
        #expect(throws: AlgorithmConfigurationError.self) { try Algorithms.make("a2c", environment: cartPole, settings: ["n_envs=0"], seed: 0) }
        let error = try #require(throws: HyperParameterError.self) { try Algorithms.make("dqn", environment: cartPole, settings: ["batch_size=1.5"], seed: 0) }
        #expect(error.description.contains("batch_size") && error.description.contains("integer"))
    }

    @Test func settingsReachTheConfiguration() throws {
        let cartPole = try EnvironmentRegistry.specification(named: "CartPole-v1")
        let agent = try #require(try Algorithms.make("dqn", environment: cartPole, settings: ["double=true", "dueling=yes", "hidden_sizes=32,16",
                                                                                            "learning_rate=1e-4"], seed: 0) as? DQN)
        #expect(agent.configuration.double && agent.configuration.dueling && agent.configuration.hiddenSizes == [32, 16])
        #expect(agent.configuration.learningRate == 1e-4 && agent.network.isDueling)
    }

    @Test func bothImproveCartPoleOverAShortRun() throws {
        let specification = try EnvironmentRegistry.specification(named: "CartPole-v1")
        // A greedy policy after a few thousand steps can still sit on one action for a given seed (the float
        // rounding of another machine's kernels is enough to pick such a seed), so each algorithm gets two
        // seeds and must improve with at least one; an algorithm that does not learn fails with both.
        for (name, steps, settings) in [("reinforce", 6_000, ["learning_rate=1e-2"]), ("a2c", 6_000, ["learning_rate=7e-3"])] {
            var outcomes: [String] = [], improved = false
            for seed: UInt64 in [0, 1] where !improved {
                let agent = try Algorithms.make(name, environment: specification, settings: settings, seed: seed)
                func meanReturn() -> Double {
                    PolicyEvaluation.returns(specification, episodes: 10, seed: 99) { .discrete(agent.greedyAction($0)) }.reduce(0, +) / 10
                }
                let before = meanReturn()
                agent.run(totalSteps: steps, stopAfterSteps: nil) { _ in }
                let after = meanReturn()
                outcomes.append("seed \(seed): \(before) before, \(after) after")
                improved = after > 2 * before && after > 60
            }
            #expect(improved, "\(name): greedy mean return over \(steps) steps, \(outcomes.joined(separator: "; "))")
        }
    }
}
