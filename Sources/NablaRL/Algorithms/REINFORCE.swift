import Foundation
import Nabla
import NablaNN
import NablaOptim

/// REINFORCE's hyper-parameters (Williams, 1992), in the form the course teaches it: whole episodes,
/// reward-to-go returns, an optional learned state-value baseline and optional return normalisation.
public struct REINFORCEConfiguration: Sendable, Equatable {
    /// Whole episodes gathered before each update.
    public var episodesPerUpdate = 4
    public var discount = 0.99
    public var learningRate = 2e-3
    /// Weight each step by the rewards from that step on (reward-to-go) rather than by the whole episode's return.
    public var rewardToGo = true
    /// Subtract a learned state value V(s) from the returns (trained on the squared error to them).
    public var baseline = true
    /// Shift the weights (returns or advantages) of each update to zero mean and unit spread.
    public var normalizeReturns = true
    public var valueCoefficient = 0.5
    public var entropyCoefficient = 0.0
    public var maximumGradientNorm = 0.5
    public var hiddenSizes = [64, 64]

    public init() {}

    public func validate() throws {
        let name = "reinforce"
        try AlgorithmConfigurationError.check(episodesPerUpdate > 0, name, "episodesPerUpdate must be positive, got \(episodesPerUpdate)")
        try AlgorithmConfigurationError.check(discount > 0 && discount <= 1, name, "discount must lie in (0, 1], got \(discount)")
        try AlgorithmConfigurationError.check(learningRate > 0, name, "learningRate must be positive, got \(learningRate)")
        try AlgorithmConfigurationError.check(!hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, name, "hiddenSizes must be positive, got \(hiddenSizes)")
    }
}

/// REINFORCE for discrete actions: one environment plays `episodesPerUpdate` whole episodes with
/// actions sampled from the policy; each step's log-probability is weighted by its return Gₜ (reward-to-go,
/// or the episode's whole return) minus the baseline V(sₜ), and Adam takes one step on
/// −mean(weight · log π(aₜ|sₜ)) + c·mean((V(sₜ) − Gₜ)²). An episode cut short by the time limit
/// bootstraps its last return from V of its final observation when there is a baseline.
public final class REINFORCE {
    public let configuration: REINFORCEConfiguration
    public let model: ActorCritic
    public let environments: VectorEnvironment
    public let optimizer: Adam
    public let generator: RandomGenerator
    public internal(set) var steps = 0
    public internal(set) var updates = 0

    public init(environment specification: EnvironmentSpecification, configuration: REINFORCEConfiguration = REINFORCEConfiguration(), seed: UInt64) throws {
        try configuration.validate()
        let probe = specification.make()
        guard case .discrete(let actionCount) = probe.actionSpace else {
            throw UnsupportedActionSpace(algorithm: "reinforce", environment: specification.name, space: probe.actionSpace)
        }
        self.configuration = configuration
        generator = RandomGenerator(seed: seed)
        environments = VectorEnvironment(count: 1, seed: seed &+ 1, make: specification.make)
        model = ActorCritic(observationDimension: probe.observationSpace.dimension, actionCount: actionCount,
                            hiddenSizes: configuration.hiddenSizes, generator: generator)
        optimizer = Adam(model.parameters(), configuration: .init(learningRate: configuration.learningRate))
    }

    /// The weights of each step's log-probability for one episode's `rewards`: reward-to-go Gₜ, or the
    /// whole discounted return G₀ at every step. `bootstrap` (γ-discounted into the last step) stands in
    /// for the rewards a time limit cut off.
    public static func returns(rewards: [Double], discount: Double, rewardToGo: Bool, bootstrap: Double = 0) -> [Double] {
        guard !rewards.isEmpty else { return [] }
        var augmented = rewards
        augmented[augmented.count - 1] += discount * bootstrap
        let toGo = Returns.rewardToGo(rewards: augmented, episodeEnds: Array(repeating: false, count: augmented.count), discount: discount)
        return rewardToGo ? toGo : Array(repeating: toGo[0], count: toGo.count)
    }

    /// Trains until at least `totalSteps` environment steps (whole updates), stopping early (between updates) once `stopAfterSteps` are done, calling `progress` after
    /// every update.
    public func train(totalSteps: Int, stopAfterSteps: Int? = nil, progress: (PolicyGradientRecord) -> Void = { _ in }) {
        precondition(totalSteps > 0, "REINFORCE.train: totalSteps must be positive, got \(totalSteps)")
        while steps < min(totalSteps, stopAfterSteps ?? .max) {
            let start = Date()
            let before = steps
            var record = update()
            updates += 1
            let recent = environments.finishedReturns.suffix(100)
            record.update = updates
            record.steps = steps
            record.meanReturn = recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
            record.episodes = environments.finishedReturns.count
            record.stepsPerSecond = Double(steps - before) / max(Date().timeIntervalSince(start), 1e-9)
            progress(record)
        }
    }

    func update() -> PolicyGradientRecord {
        let dimension = model.observationDimension
        var observations = [Float](), actions = [Int](), weights = [Double]()
        for _ in 0..<configuration.episodesPerUpdate {
            var rewards = [Double]()
            while true {
                let observation = environments.observations
                let logProbabilities = withoutGradients { model.logProbabilities(Tensor(observation, shape: [1, dimension])) }.scalars
                let action = OnPolicyRollout.sample(logProbabilities[...], generator: generator)
                observations += observation
                actions.append(action)
                let result = environments.step([.discrete(action)])
                steps += 1
                rewards.append(result.rewards[0])
                guard result.terminated[0] || result.truncated[0] else { continue }
                var bootstrap = 0.0
                if configuration.baseline && !result.terminated[0], let final = environments.finalObservations[0] {
                    bootstrap = Double(withoutGradients { model.values(Tensor(final, shape: [1, dimension])) }.item)
                }
                weights += Self.returns(rewards: rewards, discount: configuration.discount, rewardToGo: configuration.rewardToGo, bootstrap: bootstrap)
                break
            }
        }
        let rows = actions.count
        let input = Tensor(observations, shape: [rows, dimension])
        let logProbabilities = model.logProbabilities(input)
        let taken = logProbabilities.gathered(axis: 1, indices: IntTensor(actions, shape: [rows, 1])).reshaped([rows])
        var advantages = weights
        var valueLoss: Tensor?
        if configuration.baseline {
            let values = model.values(input)
            let baseline = values.scalars
            advantages = zip(weights, baseline).map { $0 - Double($1) }
            let error = values - Tensor(weights.map(Float.init))
            valueLoss = (error * error).mean()
        }
        if configuration.normalizeReturns { advantages = Returns.normalized(advantages) }
        let policyLoss = -(taken * Tensor(advantages.map(Float.init))).mean()
        let entropy = -(logProbabilities.exp() * logProbabilities).sum(axis: 1).mean()
        var loss = policyLoss
        if let valueLoss { loss = loss + valueLoss * Float(configuration.valueCoefficient) }
        if configuration.entropyCoefficient != 0 { loss = loss - entropy * Float(configuration.entropyCoefficient) }
        optimizer.zeroGradients()
        loss.backward()
        _ = clipGradientNorm(optimizer.parameters, maximumNorm: configuration.maximumGradientNorm)
        optimizer.step()
        return PolicyGradientRecord(update: 0, steps: 0, meanReturn: nil, episodes: 0, policyLoss: Double(policyLoss.item),
                                    valueLoss: valueLoss.map { Double($0.item) } ?? 0, entropy: Double(entropy.item), stepsPerSecond: 0)
    }
}
