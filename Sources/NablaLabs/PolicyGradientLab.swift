import Foundation
import Nabla
import NablaRL
import NablaTrain

/// REINFORCE, actor-critic (A2C) and PPO landing LunarLander-v3. (Lecture: reinforcement learning, HW12.)
///
/// The lander (Gymnasium's, on Box2D) earns shaping reward for approaching the pad slowly and upright,
/// 10 per leg down, +100 for coming to rest and -100 for crashing, and pays for every engine firing.
/// REINFORCE weights whole episodes' log-probabilities by their reward-to-go minus a baseline; A2C uses a
/// critic's advantage estimates over short rollouts; PPO reuses larger rollouts for epochs of clipped
/// minibatch updates (the RL zoo's LunarLander hyper-parameters). The lab records the return curves,
/// the greedy policy's return over evaluation episodes and animates a landing of the best agent.
public struct PolicyGradientLab: Lab {
    public init() {}

    public var name: String { "policy-gradient" }
    public var lecture: String { "Reinforcement learning" }
    public var summary: String { "REINFORCE, A2C and PPO on LunarLander-v3: return curves and a landing" }
    public var settings: [LabSetting] {
        [.text("algorithms", "reinforce,a2c,ppo", "comma-separated algorithms to train (reinforce, a2c, ppo)"),
         .integer("reinforce_steps", 1_000_000, quick: 20_000, in: 1...100_000_000, "environment steps for REINFORCE"),
         .integer("a2c_steps", 1_000_000, quick: 20_000, in: 1...100_000_000, "environment steps for A2C"),
         .integer("ppo_steps", 1_000_000, quick: 100_000, in: 1...100_000_000, "environment steps for PPO (RL-zoo budget)"),
         .choice("ppo_hyperparameters", "zoo", quick: "short", among: ["zoo", "short"],
                 "PPO's settings: the RL zoo's for 1,000,000 steps, or ones for short budgets (16 × 128-step rollouts, 10 epochs, γ 0.99, λ 0.95, no entropy bonus)"),
         .flag("ppo_linear_decay", true, "PPO's learning rate and clip range fall linearly to 0 over the zoo settings' run (the zoo keeps them constant; falling, the final policy is steadier)"),
         .integer("chunk", 16_384, quick: 4_096, in: 1...10_000_000, "environment steps between points of the return curves (and checkpoints)"),
         .integer("evaluation_episodes", 100, quick: 10, in: 1...10_000, "greedy episodes that score each trained agent"),
         .integer("animation_stride", 5, in: 1...100, "draw every Nth step of the animated landing")]
    }
    public var tinySettings: [String] {
        ["reinforce_steps=300", "a2c_steps=300", "ppo_steps=512", "ppo_hyperparameters=short", "chunk=150", "evaluation_episodes=1", "animation_stride=50"]
    }
    public var baseline: Baseline {
        Baseline(metric: "ppo_evaluation_return", value: 200,
                 source: "Gymnasium's LunarLander-v3 threshold; Stable-Baselines3's RL zoo reaches 242 ± 32 with PPO in 1,000,000 steps",
                 quickValue: -150)
    }

    /// The RL zoo's LunarLander settings for PPO (16 landers × 1024 steps per rollout, minibatches of 64,
    /// 4 epochs, γ 0.999, λ 0.98, entropy 0.01, learning rate 3e-4, with `ppo_linear_decay` falling to 0) and A2C (γ 0.995, entropy 1e-5, learning
    /// rate 8.3e-4); REINFORCE with its defaults and 8 episodes per update. The zoo's PPO updates only 7
    /// times in the quick run's 100,000 steps, so the "short" PPO settings update 49 times (16 × 128-step
    /// rollouts) for 10 epochs each, with γ 0.99, λ 0.95 and no entropy bonus, so the greedy policy
    /// sharpens within the budget. Tiny runs (ppo_steps below one 16 × 128 rollout) use 16 × 32.
    static func hyperParameters(_ algorithm: String, preset: String, steps: Int, linearDecay: Bool) -> [String] {
        switch algorithm {
        case "reinforce": return ["episodes_per_update=8", "learning_rate=1e-3"]
        case "a2c": return ["discount=0.995", "entropy_coefficient=1e-5", "learning_rate=8.3e-4"]
        default:
            if preset == "short" {
                return ["n_envs=16", "n_steps=\(steps >= 16 * 128 ? 128 : 32)", "batch_size=64", "epochs=10", "discount=0.99",
                        "gae_lambda=0.95", "entropy_coefficient=0", "learning_rate=3e-4", "linear_decay=false"]
            }
            return ["n_envs=16", "n_steps=\(steps >= 16 * 1024 ? 1024 : 32)", "batch_size=64", "epochs=4", "discount=0.999",
                    "gae_lambda=0.98", "entropy_coefficient=0.01", "learning_rate=3e-4", "linear_decay=\(linearDecay)"]
        }
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let algorithms = try AlgorithmComparison.algorithms(context, allowed: ["reinforce", "a2c", "ppo"])
        let comparison = AlgorithmComparison(specification: try EnvironmentRegistry.specification(named: "LunarLander-v3")) { algorithm in
            Self.hyperParameters(algorithm, preset: context.settings.text("ppo_hyperparameters"),
                                 steps: context.settings.integer("\(algorithm)_steps"),
                                 linearDecay: context.settings.flag("ppo_linear_decay"))
        }
        guard let (summary, sections) = try comparison.run(context, algorithms: algorithms, curveCaption:
            "The running mean of the latest 100 training episodes (sampling actions, so below the greedy policy's). Gymnasium counts 200 as solved.") else {
            return .interrupted
        }
        let headline = summary.first { $0.key == "ppo_evaluation_return" }?.value as? Double
            ?? summary.first { $0.key.hasSuffix("_evaluation_return") }?.value as? Double ?? .nan
        return LabResult(headline: headline, summary: summary, sections: sections)
    }
}
