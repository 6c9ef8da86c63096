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
    public var explorationInitial = 1.0, explorationFinal = 0.04, explorationFraction = 0.16
    public var maximumGradientNorm = 10.0
    /// Double DQN (van Hasselt et al., 2016): the online network picks the next action, the target network values it.
    public var double = false
    /// Dueling heads (Wang et al., 2016): Q(s, a) = V(s) + A(s, a) − meanₐ A(s, a) over a shared trunk.
    public var dueling = false

    public init() {}

    /// ε falling linearly from `explorationInitial` to `explorationFinal` over `explorationFraction` of training.
    public var exploration: LinearSchedule { LinearSchedule(start: explorationInitial, end: explorationFinal, fraction: explorationFraction) }

    public func validate() throws {
        let name = "dqn"
        try AlgorithmConfigurationError.check(!hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, name, "hiddenSizes must be positive, got \(hiddenSizes)")
        try AlgorithmConfigurationError.check(learningRate > 0, name, "learningRate must be positive, got \(learningRate)")
        try AlgorithmConfigurationError.check(bufferSize > 0, name, "bufferSize must be positive, got \(bufferSize)")
        try AlgorithmConfigurationError.check(learningStarts >= 0, name, "learningStarts must not be negative, got \(learningStarts)")
        try AlgorithmConfigurationError.check(batchSize > 0, name, "batchSize must be positive, got \(batchSize)")
        try AlgorithmConfigurationError.check(discount > 0 && discount <= 1, name, "discount must lie in (0, 1], got \(discount)")
        try AlgorithmConfigurationError.check(trainFrequency > 0, name, "trainFrequency must be positive, got \(trainFrequency)")
        try AlgorithmConfigurationError.check(gradientSteps >= 0, name, "gradientSteps must not be negative, got \(gradientSteps)")
        try AlgorithmConfigurationError.check(targetUpdateInterval > 0, name, "targetUpdateInterval must be positive, got \(targetUpdateInterval)")
        try AlgorithmConfigurationError.check(explorationFraction > 0 && explorationFraction <= 1, name,
                                              "explorationFraction must lie in (0, 1], got \(explorationFraction)")
        try AlgorithmConfigurationError.check((0...1).contains(explorationInitial) && (0...1).contains(explorationFinal), name,
                                              "exploration rates must lie in [0, 1], got \(explorationInitial) and \(explorationFinal)")
    }
}

/// A Q-network: an MLP from observations [batch, dimension] to action values [batch, actionCount], ReLU
/// between layers. A dueling network ends its trunk in two heads, the state value V [batch, 1] and the
/// advantages A [batch, actionCount], and returns Q = V + A − meanₐ A (the mean makes V and A identifiable).
public final class QNetwork: Module {
    public let trunk: [Linear]
    public let head: Linear
    public let valueHead: Linear?
    public let observationDimension: Int, actionCount: Int

    public init(observationDimension: Int, actionCount: Int, hiddenSizes: [Int], dueling: Bool = false, generator: RandomGenerator) {
        precondition(observationDimension > 0 && actionCount > 0 && !hiddenSizes.isEmpty,
                     "QNetwork: observation dimension \(observationDimension), \(actionCount) actions, hidden \(hiddenSizes)")
        self.observationDimension = observationDimension
        self.actionCount = actionCount
        let sizes = [observationDimension] + hiddenSizes
        trunk = (0..<sizes.count - 1).map { Linear(inputSize: sizes[$0], outputSize: sizes[$0 + 1], generator: generator) }
        head = Linear(inputSize: hiddenSizes.last!, outputSize: actionCount, generator: generator)
        valueHead = dueling ? Linear(inputSize: hiddenSizes.last!, outputSize: 1, generator: generator) : nil
        super.init()
    }

    public var isDueling: Bool { valueHead != nil }

    public func callAsFunction(_ observations: Tensor) -> Tensor {
        var hidden = observations
        for layer in trunk { hidden = layer(hidden).relu() }
        let advantages = head(hidden)
        guard let valueHead else { return advantages }
        return valueHead(hidden) + (advantages - advantages.mean(axes: [1], keepDims: true))
    }

    /// The highest-valued action for one observation.
    public func greedyAction(_ observation: [Float]) -> Int {
        let values = withoutGradients { self(Tensor(observation, shape: [1, observationDimension])) }.scalars
        return values.indices.max(by: { values[$0] < values[$1] })!
    }

    /// Copies every parameter of `source` into this network's.
    public func copy(from source: QNetwork) {
        for (target, value) in zip(parameters(), source.parameters()) { target.assign(value) }
    }
}

/// DQN for discrete actions, as Stable-Baselines3's `DQN`: ε-greedy acting, a replay buffer, Huber
/// (smooth L1) loss against r + γ·maxₐ Q_target(s′, a) (no bootstrap past termination, bootstrap past
/// truncation), a periodically copied target network, gradient-norm clipping and Adam. With `double`,
/// the target is r + γ·Q_target(s′, argmaxₐ Q(s′, a)); with `dueling`, both networks have dueling heads.
public final class DQN {
    public let configuration: DQNConfiguration
    public let network: QNetwork, target: QNetwork
    public let environments: VectorEnvironment
    public let buffer: ReplayBuffer
    /// The networks' parameters in order, found once (module discovery walks the properties each time).
    private let onlineParameters: [Tensor], targetParameters: [Tensor]
    public let optimizer: Adam
    public let generator: RandomGenerator
    public internal(set) var steps = 0

    public init(environment specification: EnvironmentSpecification, configuration: DQNConfiguration = DQNConfiguration(), seed: UInt64) throws {
        try configuration.validate()
        let probe = specification.make()
        guard case .discrete(let actionCount) = probe.actionSpace else {
            throw UnsupportedActionSpace(algorithm: "dqn", environment: specification.name, space: probe.actionSpace)
        }
        self.configuration = configuration
        generator = RandomGenerator(seed: seed)
        environments = VectorEnvironment(count: 1, seed: seed &+ 1, make: specification.make)
        let dimension = probe.observationSpace.dimension
        network = QNetwork(observationDimension: dimension, actionCount: actionCount, hiddenSizes: configuration.hiddenSizes,
                           dueling: configuration.dueling, generator: generator)
        target = QNetwork(observationDimension: dimension, actionCount: actionCount, hiddenSizes: configuration.hiddenSizes,
                          dueling: configuration.dueling, generator: generator)
        target.copy(from: network)
        onlineParameters = network.parameters()
        targetParameters = target.parameters()
        buffer = ReplayBuffer(capacity: configuration.bufferSize, observationDimension: dimension)
        optimizer = Adam(network.parameters(), configuration: .init(learningRate: configuration.learningRate))
    }

    /// Trains for `totalSteps` environment steps, calling `progress(steps, recent mean return)` every
    /// `reportEvery` steps; `stopAfterSteps` stops early (to resume later).
    public func train(totalSteps: Int, stopAfterSteps: Int? = nil, reportEvery: Int = 1_000, progress: (Int, Double?) -> Void = { _, _ in }) {
        precondition(totalSteps > 0, "DQN.train: totalSteps must be positive, got \(totalSteps)")
        let actionCount = network.actionCount
        let exploration = configuration.exploration
        while steps < min(totalSteps, stopAfterSteps ?? .max) {
            let epsilon = exploration.value(progress: Double(steps) / Double(totalSteps))
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
            if steps % configuration.targetUpdateInterval == 0 {
                for (copy, source) in zip(targetParameters, onlineParameters) { copy.assign(source) }
            }
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

    /// The value of each next observation [rows × dimension] that targets bootstrap from:
    /// maxₐ Q_target(s′, a), or with double DQN Q_target(s′, argmaxₐ Q(s′, a)) (the online network
    /// chooses, the target network evaluates, which curbs the overestimation of the max).
    public func nextValues(_ nextObservations: [Float], rows: Int) -> [Float] {
        withoutGradients {
            let input = Tensor(nextObservations, shape: [rows, network.observationDimension])
            guard configuration.double else { return target(input).max(axes: [1]).scalars }
            let chosen = network(input).max(axis: 1).indices
            return target(input).gathered(axis: 1, indices: chosen.reshaped([rows, 1])).scalars
        }
    }

    func learn() {
        let batch = buffer.sample(configuration.batchSize, generator: generator)
        let size = batch.actions.count
        let targets = Self.targets(rewards: batch.rewards, terminated: batch.terminated,
                                   nextMaximumValues: nextValues(batch.nextObservations, rows: size), discount: Float(configuration.discount))
        // The Huber loss's gradient written out (see QLearningGradient): the same step as recording
        // smoothL1Loss(Q(s)[a], y) and calling backward, without the graph's overhead.
        QLearningGradient.accumulate(network, observations: batch.observations, actions: batch.actions, targets: targets)
        _ = clipGradientNorm(onlineParameters, maximumNorm: configuration.maximumGradientNorm)
        optimizer.step()
    }
}
