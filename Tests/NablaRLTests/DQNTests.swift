import Foundation
import Nabla
@testable import NablaRL
import Testing

/// DQN: exact repetition with a seed, the target network's copy, and continuous actions rejected.
struct DQNTests {
    static func small() -> DQNConfiguration {
        var configuration = DQNConfiguration()
        configuration.hiddenSizes = [16, 16]
        configuration.learningStarts = 100
        configuration.trainFrequency = 50
        configuration.gradientSteps = 4
        configuration.batchSize = 16
        return configuration
    }

    @Test func sameSeedRepeatsExactly() throws {
        let specification = try EnvironmentRegistry.specification(named: "CartPole-v1")
        func run() throws -> [[Float]] {
            let agent = try DQN(environment: specification, configuration: Self.small(), seed: 3)
            agent.train(totalSteps: 300)
            return agent.network.parameters().map(\.scalars)
        }
        #expect(try run() == run())
    }

    @Test func targetNetworkFollowsAtTheInterval() throws {
        var configuration = Self.small()
        configuration.targetUpdateInterval = 300
        let agent = try DQN(environment: try EnvironmentRegistry.specification(named: "CartPole-v1"), configuration: configuration, seed: 1)
        agent.train(totalSteps: 250)
        // Trained since the last copy (at step 0): the networks differ; at step 300 the target catches up.
        #expect(agent.network.parameters().map(\.scalars) != agent.target.parameters().map(\.scalars))
        agent.train(totalSteps: 300)
        #expect(agent.network.parameters().map(\.scalars) == agent.target.parameters().map(\.scalars))
    }

    @Test func targetsStopAtTerminationOnly() {
        // 1 + 0.9·5 = 5.5 where the episode continues (or was truncated); just the reward 2 where it terminated.
        let targets = DQN.targets(rewards: [1, 2], terminated: [0, 1], nextMaximumValues: [5, 7], discount: 0.9)
        #expect(targets == [1 + 0.9 * 5, 2])
    }

    @Test func continuousActionsAreRejected() {
        #expect(throws: UnsupportedActionSpace.self) { try DQN(environment: try EnvironmentRegistry.specification(named: "Pendulum-v1"), seed: 0) }
    }
}

/// The double and dueling variants against their definitions.
struct DQNVariantTests {
    @Test func duelingValuesAverageToTheStateValue() throws {
        let network = QNetwork(observationDimension: 4, actionCount: 3, hiddenSizes: [8], dueling: true, generator: RandomGenerator(seed: 2))
        let input = Tensor((0..<8).map { Float($0) / 7 - 0.5 }, shape: [2, 4])
        let q = network(input).scalars
        let value = network.valueHead!(network.trunk[0](input).relu()).scalars
        for row in 0..<2 {
            let mean = (q[row * 3] + q[row * 3 + 1] + q[row * 3 + 2]) / 3
            #expect(abs(mean - value[row]) < 1e-5)
        }
    }

    @Test func doubleTargetsValueTheOnlineChoiceWithTheTargetNetwork() throws {
        var configuration = DQNTests.small()
        configuration.double = true
        configuration.targetUpdateInterval = 1_000
        let agent = try DQN(environment: try EnvironmentRegistry.specification(named: "CartPole-v1"), configuration: configuration, seed: 4)
        agent.train(totalSteps: 160)  // trained at step 150, the target still the first copy: the networks differ
        let next: [Float] = [0.01, 0.2, -0.03, -0.1, 0.5, -0.4, 0.1, 0.3]
        let online = agent.network(Tensor(next, shape: [2, 4])).scalars, target = agent.target(Tensor(next, shape: [2, 4])).scalars
        #expect(agent.network.parameters().map(\.scalars) != agent.target.parameters().map(\.scalars))
        let expected = (0..<2).map { row in target[row * 2 + (online[row * 2 + 1] > online[row * 2] ? 1 : 0)] }
        #expect(agent.nextValues(next, rows: 2) == expected)
    }
}
