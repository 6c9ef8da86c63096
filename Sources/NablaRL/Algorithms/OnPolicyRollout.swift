import Foundation
import Nabla

/// A batch of experience gathered by the current policy over a `VectorEnvironment` (the on-policy
/// algorithms' A2C and PPO rollouts), with GAE advantages and value targets already worked out. Rows are
/// time-major: row t·count + c is copy c's step t.
struct OnPolicyRollout {
    var observations: [Float] = []   // [rows, observationDimension]
    var actions: [Int] = []
    var logProbabilities: [Float] = []
    var advantages: [Double] = []
    var targets: [Double] = []

    /// Draws an action index from log-probabilities with one uniform number from `generator`.
    static func sample(_ logProbabilities: ArraySlice<Float>, generator: RandomGenerator) -> Int {
        let threshold = generator.nextUnitFloat()
        var cumulative: Float = 0
        for (offset, value) in logProbabilities.enumerated() {
            cumulative += Foundation.exp(value)
            if threshold < cumulative { return offset }
        }
        return logProbabilities.count - 1
    }

    /// Steps every copy of `environments` `length` times with actions sampled from `model`'s policy and
    /// estimates advantages with GAE(`discount`, `lambda`) per copy, bootstrapping from the value of
    /// each step's next observation (the final one where an episode ended, so truncation is not failure).
    static func collect(model: ActorCritic, environments: VectorEnvironment, generator: RandomGenerator, length: Int,
                        discount: Double, lambda: Double) -> OnPolicyRollout {
        let count = environments.count, dimension = model.observationDimension
        var rollout = OnPolicyRollout()
        // Per copy, in time order, for the advantage estimates.
        var rewards = [[Double]](repeating: [], count: count), values = rewards, nextValues = rewards
        var terminated = [[Bool]](repeating: [], count: count), ends = terminated
        for _ in 0..<length {
            let observations = environments.observations
            let input = Tensor(observations, shape: [count, dimension])
            let (logProbabilities, stepValues) = withoutGradients { (model.logProbabilities(input).scalars, model.values(input).scalars) }
            var actions = [Int]()
            for copy in 0..<count {
                let action = sample(logProbabilities[copy * model.actionCount..<(copy + 1) * model.actionCount], generator: generator)
                actions.append(action)
                rollout.logProbabilities.append(logProbabilities[copy * model.actionCount + action])
            }
            rollout.observations += observations
            rollout.actions += actions
            let result = environments.step(actions.map { .discrete($0) })
            // V of each copy's next observation: the finished episode's final one where it ended.
            var next = environments.observations
            for copy in 0..<count {
                if let final = environments.finalObservations[copy] {
                    for position in 0..<dimension { next[copy * dimension + position] = final[position] }
                }
            }
            let following = withoutGradients { model.values(Tensor(next, shape: [count, dimension])) }.scalars
            for copy in 0..<count {
                rewards[copy].append(result.rewards[copy])
                values[copy].append(Double(stepValues[copy]))
                nextValues[copy].append(Double(following[copy]))
                terminated[copy].append(result.terminated[copy])
                ends[copy].append(result.terminated[copy] || result.truncated[copy])
            }
        }
        var advantages = [[Double]](), targets = [[Double]]()
        for copy in 0..<count {
            let estimate = Returns.generalizedAdvantages(rewards: rewards[copy], values: values[copy], nextValues: nextValues[copy],
                                                         terminated: terminated[copy], episodeEnds: ends[copy],
                                                         discount: discount, lambda: lambda)
            advantages.append(estimate.advantages)
            targets.append(estimate.targets)
        }
        for step in 0..<length {
            for copy in 0..<count {
                rollout.advantages.append(advantages[copy][step])
                rollout.targets.append(targets[copy][step])
            }
        }
        return rollout
    }
}
