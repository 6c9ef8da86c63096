import Foundation
import Nabla
import NablaNN
import NablaOptim

/// Deep Q-learning's hyper-parameters (Mnih et al., 2015). The defaults are the Stable-Baselines3 RL
/// zoo's for CartPole-v1: one environment, 256×256 ReLU Q-network, Adam at 2.3e-3, batch 64, 128
/// gradient steps every 256 environment steps after the first 1,000, target network copied every 10
/// steps, ε falling from 1 to 0.04 over the first 16 % of training.
public struct DQNConfiguration: Sendable, Equatable {
    public var hiddenSizes = [256, 256]
    public var learningRate = 2.3e-3
    public var bufferSize = 100_000
    public var learningStarts = 1_000
    public var batchSize = 64
    public var discount = 0.99
    public var trainFrequency = 256
    public var gradientSteps = 128
    public var targetUpdateInterval = 10
    public var exploration = LinearSchedule(start: 1, end: 0.04, fraction: 0.16)
    public var maximumGradientNorm = 10.0

    public init() {}
}

/// A Q-network: an MLP from observations [batch, dimension] to action values [batch, actionCount].
public final class QNetwork {
    public let layers: [Linear]
    public let observationDimension: Int, actionCount: Int

    public init(observationDimension: Int, actionCount: Int, hiddenSizes: [Int], generator: RandomGenerator) {
        self.observationDimension = observationDimension
        self.actionCount = actionCount
        let sizes = [observationDimension] + hiddenSizes + [actionCount]
        layers = (0..<sizes.count - 1).map { Linear(inputSize: sizes[$0], outputSize: sizes[$0 + 1], generator: generator) }
    }

    public var parameters: [Tensor] { layers.flatMap { $0.parameters() } }

    public func callAsFunction(_ observations: Tensor) -> Tensor {
        var hidden = observations
        for (index, layer) in layers.enumerated() {
            hidden = layer(hidden)
            if index < layers.count - 1 { hidden = hidden.relu() }
        }
        return hidden
    }

    /// The highest-valued action for one observation.
    public func greedyAction(_ observation: [Float]) -> Int {
        let values = withoutGradients { self(Tensor(observation, shape: [1, observationDimension])) }.scalars
        return values.indices.max(by: { values[$0] < values[$1] })!
    }

    /// Copies every parameter of `source` into this network's.
    public func copy(from source: QNetwork) {
        for (target, value) in zip(parameters, source.parameters) { target.assign(value) }
    }
}

/// DQN for discrete actions, as Stable-Baselines3's `DQN`: ε-greedy acting, a replay buffer, Huber
/// (smooth L1) loss against r + γ·maxₐ Q_target(s′, a) (no bootstrap past termination, bootstrap past
/// truncation), a periodically copied target network, gradient-norm clipping and Adam.
public final class DQN {
    public let configuration: DQNConfiguration
    public let network: QNetwork, target: QNetwork
    public let environments: VectorEnvironment
    let buffer: ReplayBuffer
    let optimizer: Adam
    let generator: RandomGenerator
    public private(set) var steps = 0

    public init(environment specification: EnvironmentSpecification, configuration: DQNConfiguration = DQNConfiguration(), seed: UInt64) throws {
        let probe = specification.make()
        guard case .discrete(let actionCount) = probe.actionSpace else {
            throw UnsupportedActionSpace(algorithm: "dqn", environment: specification.name, space: probe.actionSpace)
        }
        self.configuration = configuration
        generator = RandomGenerator(seed: seed)
        environments = VectorEnvironment(count: 1, seed: seed &+ 1, make: specification.make)
        let dimension = probe.observationSpace.dimension
        network = QNetwork(observationDimension: dimension, actionCount: actionCount, hiddenSizes: configuration.hiddenSizes, generator: generator)
        target = QNetwork(observationDimension: dimension, actionCount: actionCount, hiddenSizes: configuration.hiddenSizes, generator: generator)
        target.copy(from: network)
        buffer = ReplayBuffer(capacity: configuration.bufferSize, observationDimension: dimension)
        optimizer = Adam(network.parameters, configuration: .init(learningRate: configuration.learningRate))
    }

    /// Trains for `totalSteps` environment steps, calling `progress(steps, recent mean return)` every
    /// `reportEvery` steps.
    public func train(totalSteps: Int, reportEvery: Int = 1_000, progress: (Int, Double?) -> Void = { _, _ in }) {
        precondition(totalSteps > 0, "DQN.train: totalSteps must be positive, got \(totalSteps)")
        let actionCount = network.actionCount
        while steps < totalSteps {
            let epsilon = configuration.exploration.value(progress: Double(steps) / Double(totalSteps))
            let observation = environments.observations
            let action = Double(generator.nextUnitFloat()) < epsilon ? Int(generator.next() % UInt64(actionCount))
                                                                     : network.greedyAction(observation)
            let result = environments.step([.discrete(action)])
            let next = environments.finalObservations[0] ?? environments.observations
            buffer.add(observation: observation[...], action: action, reward: result.rewards[0], next: next, terminated: result.terminated[0])
            steps += 1
            if steps > configuration.learningStarts && steps % configuration.trainFrequency == 0 {
                for _ in 0..<configuration.gradientSteps { learn() }
            }
            if steps % configuration.targetUpdateInterval == 0 { target.copy(from: network) }
            if steps % reportEvery == 0 || steps == totalSteps {
                let recent = environments.finishedReturns.suffix(100)
                progress(steps, recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count))
            }
        }
    }

    /// One-step Q-learning targets r + γ·(1 − terminated)·maxₐ Q_target(s′, a), per transition.
    public static func targets(rewards: [Float], terminated: [Float], nextMaximumValues: [Float], discount: Float) -> [Float] {
        precondition(rewards.count == terminated.count && rewards.count == nextMaximumValues.count,
                     "DQN.targets: \(rewards.count) rewards, \(terminated.count) flags, \(nextMaximumValues.count) next values")
        return (0..<rewards.count).map { rewards[$0] + discount * (1 - terminated[$0]) * nextMaximumValues[$0] }
    }

    func learn() {
        let batch = buffer.sample(configuration.batchSize, generator: generator)
        let size = batch.actions.count, dimension = network.observationDimension
        let targets = withoutGradients { () -> [Float] in
            let nextValues = target(Tensor(batch.nextObservations, shape: [size, dimension])).max(axes: [1]).scalars
            return Self.targets(rewards: batch.rewards, terminated: batch.terminated, nextMaximumValues: nextValues,
                                discount: Float(configuration.discount))
        }
        let values = network(Tensor(batch.observations, shape: [size, dimension]))
            .gathered(axis: 1, indices: IntTensor(batch.actions, shape: [size, 1])).reshaped([size])
        let loss = smoothL1Loss(values, Tensor(targets))
        optimizer.zeroGradients()
        loss.backward()
        _ = clipGradientNorm(network.parameters, maximumNorm: configuration.maximumGradientNorm)
        optimizer.step()
    }
}
