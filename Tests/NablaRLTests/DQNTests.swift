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

/// The written-out gradient of DQN's loss against autograd's, for plain and dueling networks.
struct QLearningGradientTests {
    @Test(arguments: [false, true]) func matchesAutograd(dueling: Bool) {
        let network = QNetwork(observationDimension: 3, actionCount: 3, hiddenSizes: [7, 5], dueling: dueling, generator: RandomGenerator(seed: 8))
        let generator = RandomGenerator(seed: 9)
        let rows = 6
        let observations: [Float] = (0..<rows * 3).map { _ -> Float in
            let unit: Float = generator.nextUnitFloat()
            return unit * 2 - 1
        }
        let actions = (0..<rows).map { $0 % 3 }
        // Targets both near (|q − y| < 1, quadratic part) and far (linear part) from the values.
        let values = withoutGradients { network(Tensor(observations, shape: [rows, 3])) }.scalars
        let targets: [Float] = (0..<rows).map { row -> Float in
            let offset: Float = row % 2 == 0 ? 0.3 : -2.5
            return values[row * 3 + actions[row]] + offset
        }
        let loss = smoothL1Loss(network(Tensor(observations, shape: [rows, 3]))
            .gathered(axis: 1, indices: IntTensor(actions, shape: [rows, 1])).reshaped([rows]), Tensor(targets))
        loss.backward()
        let expected = network.parameters().map { $0.grad!.scalars }
        for parameter in network.parameters() { parameter.grad = nil }
        QLearningGradient.accumulate(network, observations: observations, actions: actions, targets: targets)
        for (parameter, wanted) in zip(network.parameters(), expected) {
            let got = parameter.grad!.scalars
            #expect(got.count == wanted.count)
            for (value, reference) in zip(got, wanted) { #expect(abs(value - reference) < 1e-5) }
        }
    }
}
