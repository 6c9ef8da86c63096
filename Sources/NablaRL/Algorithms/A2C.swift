import Foundation
import Nabla
import NablaNN
import NablaOptim

/// Advantage actor-critic's hyper-parameters (Mnih et al., 2016, synchronous). The defaults are
/// Stable-Baselines3's `A2C`: 8 environments, 5 steps each per update, γ = 0.99, GAE λ = 1 (plain n-step
/// returns; lower it for generalised advantage estimation), RMSprop at 7e-4 (α 0.99, ε 1e-5), value
/// weight 0.5, gradient norm 0.5.
public struct A2CConfiguration: Sendable, Equatable {
    public var environmentCount = 8
    public var stepsPerRollout = 5
    public var discount = 0.99
    public var gaeLambda = 1.0
    public var learningRate = 7e-4
    public var entropyCoefficient = 0.0
    public var valueCoefficient = 0.5
    public var maximumGradientNorm = 0.5
    /// Shift each update's advantages to zero mean and unit spread (off in Stable-Baselines3's A2C).
    public var normalizeAdvantages = false
    public var hiddenSizes = [64, 64]

    public init() {}

    public func validate() throws {
        let name = "a2c"
        try AlgorithmConfigurationError.check(environmentCount > 0, name, "environmentCount must be positive, got \(environmentCount)")
        try AlgorithmConfigurationError.check(stepsPerRollout > 0, name, "stepsPerRollout must be positive, got \(stepsPerRollout)")
        try AlgorithmConfigurationError.check(discount > 0 && discount <= 1, name, "discount must lie in (0, 1], got \(discount)")
        try AlgorithmConfigurationError.check(gaeLambda >= 0 && gaeLambda <= 1, name, "gaeLambda must lie in [0, 1], got \(gaeLambda)")
        try AlgorithmConfigurationError.check(learningRate > 0, name, "learningRate must be positive, got \(learningRate)")
        try AlgorithmConfigurationError.check(!hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, name, "hiddenSizes must be positive, got \(hiddenSizes)")
    }
}

/// A2C for discrete actions, as Stable-Baselines3's `A2C`: short rollouts over a `VectorEnvironment`,
/// GAE advantages and value targets, and one RMSprop step per rollout on
/// −mean(A · log π(a|s)) + c_v·mean((V(s) − target)²) − c_e·entropy.
public final class A2C {
    public let configuration: A2CConfiguration
    public let model: ActorCritic
    public let environments: VectorEnvironment
    public let optimizer: RMSProp
    public let generator: RandomGenerator
    public internal(set) var steps = 0
    public internal(set) var updates = 0

    public init(environment specification: EnvironmentSpecification, configuration: A2CConfiguration = A2CConfiguration(), seed: UInt64) throws {
        try configuration.validate()
        let probe = specification.make()
        guard case .discrete(let actionCount) = probe.actionSpace else {
            throw UnsupportedActionSpace(algorithm: "a2c", environment: specification.name, space: probe.actionSpace)
        }
        self.configuration = configuration
        generator = RandomGenerator(seed: seed)
        environments = VectorEnvironment(count: configuration.environmentCount, seed: seed &+ 1, make: specification.make)
        model = ActorCritic(observationDimension: probe.observationSpace.dimension, actionCount: actionCount,
                            hiddenSizes: configuration.hiddenSizes, generator: generator)
        optimizer = RMSProp(model.parameters(), configuration: .init(learningRate: configuration.learningRate, alpha: 0.99, epsilon: 1e-5))
    }

    /// Trains until `totalSteps` environment steps (rounded up to whole rollouts), stopping early (between updates) once `stopAfterSteps` are done, calling `progress`
    /// every `reportEvery` updates and after the last.
    public func train(totalSteps: Int, stopAfterSteps: Int? = nil, reportEvery: Int = 20, progress: (PolicyGradientRecord) -> Void = { _ in }) {
        precondition(totalSteps > 0, "A2C.train: totalSteps must be positive, got \(totalSteps)")
        let rolloutSize = configuration.environmentCount * configuration.stepsPerRollout
        var start = Date(), stepsAtStart = steps
        while steps < min(totalSteps, stopAfterSteps ?? .max) {
            let rollout = OnPolicyRollout.collect(model: model, environments: environments, generator: generator,
                                                  length: configuration.stepsPerRollout, discount: configuration.discount,
                                                  lambda: configuration.gaeLambda)
            steps += rolloutSize
            var record = update(rollout)
            updates += 1
            guard updates % reportEvery == 0 || steps >= totalSteps else { continue }
            let recent = environments.finishedReturns.suffix(100)
            record.update = updates
            record.steps = steps
            record.meanReturn = recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
            record.episodes = environments.finishedReturns.count
            record.stepsPerSecond = Double(steps - stepsAtStart) / max(Date().timeIntervalSince(start), 1e-9)
            progress(record)
            start = Date()
            stepsAtStart = steps
        }
    }

    func update(_ rollout: OnPolicyRollout) -> PolicyGradientRecord {
        let rows = rollout.actions.count, dimension = model.observationDimension
        let input = Tensor(rollout.observations, shape: [rows, dimension])
        let logProbabilities = model.logProbabilities(input)
        let taken = logProbabilities.gathered(axis: 1, indices: IntTensor(rollout.actions, shape: [rows, 1])).reshaped([rows])
        let advantages = configuration.normalizeAdvantages ? Returns.normalized(rollout.advantages) : rollout.advantages
        let policyLoss = -(taken * Tensor(advantages.map(Float.init))).mean()
        let valueError = model.values(input) - Tensor(rollout.targets.map(Float.init))
        let valueLoss = (valueError * valueError).mean()
        let entropy = -(logProbabilities.exp() * logProbabilities).sum(axis: 1).mean()
        var loss = policyLoss + valueLoss * Float(configuration.valueCoefficient)
        if configuration.entropyCoefficient != 0 { loss = loss - entropy * Float(configuration.entropyCoefficient) }
        optimizer.zeroGradients()
        loss.backward()
        _ = clipGradientNorm(optimizer.parameters, maximumNorm: configuration.maximumGradientNorm)
        optimizer.step()
        return PolicyGradientRecord(update: 0, steps: 0, meanReturn: nil, episodes: 0, policyLoss: Double(policyLoss.item),
                                    valueLoss: Double(valueLoss.item), entropy: Double(entropy.item), stepsPerSecond: 0)
    }
}
