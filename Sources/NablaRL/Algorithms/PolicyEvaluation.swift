import Nabla

/// The returns of a policy over whole episodes, as Stable-Baselines3's `evaluate_policy` with
/// `deterministic=True`: one environment, episodes played one after another from start states drawn from
/// one generator seeded `seed`.
public enum PolicyEvaluation {
    /// Returns of `episodes` episodes of `specification` acting by `policy` (observation → action).
    public static func returns(_ specification: EnvironmentSpecification, episodes: Int, seed: UInt64,
                               policy: ([Float]) -> Action) -> [Double] {
        precondition(episodes > 0, "PolicyEvaluation.returns: episodes must be positive, got \(episodes)")
        let environment = specification.make()
        let generator = RandomGenerator(seed: seed)
        return (0..<episodes).map { _ in
            var observation = environment.reset(generator: generator)
            var total = 0.0
            while true {
                let transition = environment.step(policy(observation))
                total += transition.reward
                if transition.done { return total }
                observation = transition.observation
            }
        }
    }

    /// Returns of `model`'s greedy (most probable) actions.
    public static func returns(_ specification: EnvironmentSpecification, model: ActorCritic, episodes: Int, seed: UInt64) -> [Double] {
        returns(specification, episodes: episodes, seed: seed) { .discrete(model.greedyActions($0)[0]) }
    }
}
