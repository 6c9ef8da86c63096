/// Discounted returns and advantages over rollouts of one environment copy, as the policy-gradient
/// algorithms use them. Episode boundaries come as two flags per step: `terminated` (no value after it)
/// and `episodeEnds` (terminated or truncated: the next step belongs to a new episode).
public enum Returns {
    /// Reward-to-go Gₜ = rₜ + γ·Gₜ₊₁ within each episode (REINFORCE). A rollout that stops mid-episode
    /// or at a truncation bootstraps from `bootstrapValues[t]` where given (else counts nothing after it).
    public static func rewardToGo(rewards: [Double], episodeEnds: [Bool], discount: Double) -> [Double] {
        precondition(rewards.count == episodeEnds.count, "rewardToGo: \(rewards.count) rewards, \(episodeEnds.count) flags")
        var returns = [Double](repeating: 0, count: rewards.count)
        var following = 0.0
        for step in stride(from: rewards.count - 1, through: 0, by: -1) {
            if episodeEnds[step] { following = 0 }
            following = rewards[step] + discount * following
            returns[step] = following
        }
        return returns
    }

    /// Generalised advantage estimates (Schulman et al., 2016) and the value targets
    /// (advantage + value), as Stable-Baselines3's `compute_returns_and_advantage`:
    /// δₜ = rₜ + γ·V(sₜ₊₁)·(1 − terminatedₜ) − V(sₜ), Aₜ = δₜ + γλ·(1 − endₜ)·Aₜ₊₁.
    /// `nextValues[t]` is V of the observation after step t (for an episode's last step, its final
    /// observation, so truncated episodes bootstrap instead of counting as failures).
    public static func generalizedAdvantages(rewards: [Double], values: [Double], nextValues: [Double], terminated: [Bool],
                                             episodeEnds: [Bool], discount: Double, lambda: Double) -> (advantages: [Double], targets: [Double]) {
        let count = rewards.count
        precondition(values.count == count && nextValues.count == count && terminated.count == count && episodeEnds.count == count,
                     "generalizedAdvantages: rewards \(count), values \(values.count), nextValues \(nextValues.count), flags \(terminated.count)/\(episodeEnds.count)")
        var advantages = [Double](repeating: 0, count: count)
        var following = 0.0
        for step in stride(from: count - 1, through: 0, by: -1) {
            let delta = rewards[step] + discount * nextValues[step] * (terminated[step] ? 0 : 1) - values[step]
            following = delta + discount * lambda * (episodeEnds[step] ? 0 : 1) * following
            advantages[step] = following
        }
        return (advantages, zip(advantages, values).map { $0 + $1 })
    }

    /// Values shifted to zero mean and unit standard deviation (return or advantage normalisation);
    /// `epsilon` keeps a constant batch finite.
    public static func normalized(_ values: [Double], epsilon: Double = 1e-8) -> [Double] {
        guard !values.isEmpty else { return [] }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        let spread = variance.squareRoot() + epsilon
        return values.map { ($0 - mean) / spread }
    }
}
