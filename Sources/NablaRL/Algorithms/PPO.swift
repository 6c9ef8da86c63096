import Foundation
import Nabla
import NablaNN
import NablaOptim

/// Proximal policy optimisation's hyper-parameters (Schulman et al., 2017). The defaults are the
/// Stable-Baselines3 RL zoo's for CartPole-v1; the learning rate and clip range fall linearly to 0 over
/// training, as the zoo's `lin_1e-3` and `lin_0.2` do.
public struct PPOConfiguration: Sendable, Equatable {
    public var environmentCount = 8
    /// Steps each environment copy takes per rollout; a rollout holds environmentCount × this.
    public var stepsPerRollout = 32
    public var batchSize = 256
    public var epochs = 20
    public var discount = 0.98
    public var gaeLambda = 0.8
    public var learningRate = 1e-3
    public var clipRange = 0.2
    /// Whether the learning rate and clip range fall linearly to 0 by the last step.
    public var linearDecay = true
    public var entropyCoefficient = 0.0
    public var valueCoefficient = 0.5
    public var maximumGradientNorm = 0.5
    public var hiddenSizes = [64, 64]

    public init() {}

    /// Stops with a message naming the setting when one is out of range.
    public func validate() throws {
        func check(_ condition: Bool, _ message: String) throws { if !condition { throw PPOConfigurationError(message: message) } }
        try check(environmentCount > 0, "environmentCount must be positive, got \(environmentCount)")
        try check(stepsPerRollout > 0, "stepsPerRollout must be positive, got \(stepsPerRollout)")
        try check(batchSize > 0 && batchSize <= environmentCount * stepsPerRollout,
                  "batchSize must lie in 1...\(environmentCount * stepsPerRollout) (environmentCount × stepsPerRollout), got \(batchSize)")
        try check(epochs > 0, "epochs must be positive, got \(epochs)")
        try check(discount > 0 && discount <= 1, "discount must lie in (0, 1], got \(discount)")
        try check(gaeLambda >= 0 && gaeLambda <= 1, "gaeLambda must lie in [0, 1], got \(gaeLambda)")
        try check(learningRate > 0, "learningRate must be positive, got \(learningRate)")
        try check(clipRange > 0, "clipRange must be positive, got \(clipRange)")
    }
}

public struct PPOConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "PPO: \(message)" }
}

/// One line of progress after each rollout and its update.
public struct PPOUpdateRecord: Sendable, Codable {
    public var update: Int
    public var steps: Int
    /// Mean return of the latest (up to) 100 finished training episodes; nil before the first ends.
    public var meanReturn: Double?
    public var episodes: Int
    public var policyLoss: Double
    public var valueLoss: Double
    public var entropy: Double
    /// Fraction of samples whose probability ratio left [1 − clip, 1 + clip] in the last epoch.
    public var clipFraction: Double
    public var learningRate: Double
    public var stepsPerSecond: Double
}

/// PPO for discrete actions over a `VectorEnvironment`, as Stable-Baselines3's `PPO`: GAE advantages
/// normalised per minibatch, the clipped surrogate objective, an unclipped value loss, an entropy bonus,
/// gradient-norm clipping and Adam (ε = 1e-5). Everything random (start states, initial weights,
/// actions, minibatch order) comes from `seed`, so a run repeats exactly.
public final class PPO {
    public let configuration: PPOConfiguration
    public let model: ActorCritic
    public let environments: VectorEnvironment
    public let optimizer: Adam
    public let generator: RandomGenerator
    public internal(set) var steps = 0
    public internal(set) var updates = 0

    /// Throws `PPOConfigurationError` for bad settings and `UnsupportedActionSpace` for continuous actions.
    public init(environment specification: EnvironmentSpecification, configuration: PPOConfiguration = PPOConfiguration(), seed: UInt64) throws {
        try configuration.validate()
        let probe = specification.make()
        guard case .discrete(let actionCount) = probe.actionSpace else {
            throw UnsupportedActionSpace(algorithm: "ppo", environment: specification.name, space: probe.actionSpace)
        }
        self.configuration = configuration
        generator = RandomGenerator(seed: seed)
        // The environments get their own stream so changing the network does not change the start states.
        environments = VectorEnvironment(count: configuration.environmentCount, seed: seed &+ 1, make: specification.make)
        model = ActorCritic(observationDimension: probe.observationSpace.dimension, actionCount: actionCount,
                            hiddenSizes: configuration.hiddenSizes, generator: generator)
        optimizer = Adam(model.parameters(), configuration: .init(learningRate: configuration.learningRate, epsilon: 1e-5))
    }

    /// PPO's clipped surrogate loss −mean(min(r·A, clip(r, 1 − ε, 1 + ε)·A)) with r = exp(log π − log π_old),
    /// over log-probabilities of the taken actions [batch], old log-probabilities [batch] and advantages [batch].
    public static func clippedSurrogateLoss(logProbabilities: Tensor, oldLogProbabilities: Tensor, advantages: Tensor, clipRange: Float) -> Tensor {
        precondition(logProbabilities.shape == oldLogProbabilities.shape && logProbabilities.shape == advantages.shape,
                     "clippedSurrogateLoss: log-probabilities \(logProbabilities.shape), old \(oldLogProbabilities.shape), advantages \(advantages.shape)")
        let ratio = (logProbabilities - oldLogProbabilities).exp()
        let clipped = ratio.clamped(min: 1 - clipRange, max: 1 + clipRange)
        return -minimum(advantages * ratio, advantages * clipped).mean()
    }

    /// Trains until `totalSteps` environment steps (rounded up to whole rollouts), stopping early (between updates) once `stopAfterSteps` are done, calling `progress`
    /// after every update.
    public func train(totalSteps: Int, stopAfterSteps: Int? = nil, progress: (PPOUpdateRecord) -> Void = { _ in }) {
        precondition(totalSteps > 0, "PPO.train: totalSteps must be positive, got \(totalSteps)")
        let rolloutSize = configuration.environmentCount * configuration.stepsPerRollout
        while steps < min(totalSteps, stopAfterSteps ?? .max) {
            let start = Date()
            let remaining = configuration.linearDecay ? 1 - Double(steps) / Double(totalSteps) : 1
            let rollout = collectRollout()
            steps += rolloutSize
            let learningRate = configuration.learningRate * remaining
            optimizer.learningRates = optimizer.learningRates.map { _ in learningRate }
            var record = update(rollout, clipRange: Float(configuration.clipRange * remaining))
            updates += 1
            let recent = environments.finishedReturns.suffix(100)
            record.update = updates
            record.steps = steps
            record.meanReturn = recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
            record.episodes = environments.finishedReturns.count
            record.learningRate = learningRate
            record.stepsPerSecond = Double(rolloutSize) / max(Date().timeIntervalSince(start), 1e-9)
            progress(record)
        }
    }

    func collectRollout() -> OnPolicyRollout {
        OnPolicyRollout.collect(model: model, environments: environments, generator: generator, length: configuration.stepsPerRollout,
                                discount: configuration.discount, lambda: configuration.gaeLambda)
    }

    func update(_ rollout: OnPolicyRollout, clipRange: Float) -> PPOUpdateRecord {
        let size = rollout.actions.count, dimension = model.observationDimension
        var record = PPOUpdateRecord(update: 0, steps: 0, meanReturn: nil, episodes: 0, policyLoss: 0, valueLoss: 0, entropy: 0,
                                     clipFraction: 0, learningRate: 0, stepsPerSecond: 0)
        for _ in 0..<configuration.epochs {
            let order = generator.permutation(size)
            var start = 0
            var policyLosses = [Double](), valueLosses = [Double](), entropies = [Double](), clipped = 0
            while start < size {
                let rows = Array(order[start..<min(start + configuration.batchSize, size)])
                start += configuration.batchSize
                var observations = [Float]()
                observations.reserveCapacity(rows.count * dimension)
                for row in rows { observations += rollout.observations[row * dimension..<(row + 1) * dimension] }
                let normalized = Returns.normalized(rows.map { rollout.advantages[$0] })
                let input = Tensor(observations, shape: [rows.count, dimension])
                let logProbabilities = model.logProbabilities(input)
                let taken = logProbabilities.gathered(axis: 1, indices: IntTensor(rows.map { rollout.actions[$0] }, shape: [rows.count, 1]))
                    .reshaped([rows.count])
                let old = Tensor(rows.map { rollout.logProbabilities[$0] })
                let policyLoss = Self.clippedSurrogateLoss(logProbabilities: taken, oldLogProbabilities: old,
                                                           advantages: Tensor(normalized.map(Float.init)), clipRange: clipRange)
                let valueError = model.values(input) - Tensor(rows.map { Float(rollout.targets[$0]) })
                let valueLoss = (valueError * valueError).mean()
                let entropy = -(logProbabilities.exp() * logProbabilities).sum(axis: 1).mean()
                var loss = policyLoss + valueLoss * Float(configuration.valueCoefficient)
                if configuration.entropyCoefficient != 0 { loss = loss - entropy * Float(configuration.entropyCoefficient) }
                optimizer.zeroGradients()
                loss.backward()
                _ = clipGradientNorm(optimizer.parameters, maximumNorm: configuration.maximumGradientNorm)
                optimizer.step()
                policyLosses.append(Double(policyLoss.item))
                valueLosses.append(Double(valueLoss.item))
                entropies.append(Double(entropy.item))
                for (newValue, oldValue) in zip(taken.scalars, old.scalars) where abs(Foundation.exp(newValue - oldValue) - 1) > clipRange { clipped += 1 }
            }
            func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
            record.policyLoss = mean(policyLosses)
            record.valueLoss = mean(valueLosses)
            record.entropy = mean(entropies)
            record.clipFraction = Double(clipped) / Double(size)
        }
        return record
    }
}

/// A discrete-action algorithm asked to act in a continuous action space (or the reverse).
public struct UnsupportedActionSpace: Error, CustomStringConvertible {
    public let algorithm: String, environment: String, space: Space
    public var description: String {
        "\(algorithm) needs discrete actions, but \(environment) has continuous actions \(space); choose a discrete environment (see `nabla rl envs`)"
    }
}
