import Foundation
import Nabla
import NablaRL
import NablaTrain
import NablaViz

/// Every algorithm on CartPole-v1. (Lecture: reinforcement learning.)
///
/// REINFORCE weights whole-episode log-probabilities by the returns that followed; A2C replaces the
/// returns with a critic's advantage estimates over short rollouts; PPO reuses each rollout for several
/// epochs of clipped updates; DQN learns action values from a replay memory. Each trains on the same
/// environment from the same seed; the lab records the running mean return (latest 100 training
/// episodes), the environment steps each needs to reach Gymnasium's threshold of 475, and the greedy
/// policy's return over evaluation episodes, and animates one episode of the best agent.
public struct CartPoleLab: Lab {
    public init() {}

    public var name: String { "cartpole" }
    public var lecture: String { "Reinforcement learning" }
    public var summary: String { "REINFORCE, A2C, PPO and DQN on CartPole-v1: return curves and steps to solve" }
    public var settings: [LabSetting] {
        [.text("algorithms", "reinforce,a2c,ppo,dqn", "comma-separated algorithms to train (reinforce, a2c, ppo, dqn)"),
         .integer("reinforce_steps", 100_000, quick: 8_000, in: 1...10_000_000, "environment steps for REINFORCE"),
         .integer("a2c_steps", 100_000, quick: 8_000, in: 1...10_000_000, "environment steps for A2C"),
         .integer("ppo_steps", 100_000, quick: 16_000, in: 1...10_000_000, "environment steps for PPO (RL-zoo budget)"),
         .integer("dqn_steps", 50_000, quick: 8_000, in: 1...10_000_000, "environment steps for DQN (RL-zoo budget)"),
         .integer("dqn_hidden_units", 256, in: 4...1024, "width of both DQN hidden layers (RL zoo: 256)"),
         .integer("chunk", 2_000, quick: 1_000, in: 1...1_000_000, "environment steps between points of the return curves (and checkpoints)"),
         .integer("evaluation_episodes", 100, quick: 10, in: 1...10_000, "greedy episodes that score each trained agent"),
         .integer("animation_stride", 4, in: 1...100, "draw every Nth step of the animated episode")]
    }
    public var tinySettings: [String] {
        ["reinforce_steps=300", "a2c_steps=300", "ppo_steps=512", "dqn_steps=300", "dqn_hidden_units=16", "chunk=150", "evaluation_episodes=2", "animation_stride=50"]
    }
    public var baseline: Baseline {
        Baseline(metric: "ppo_evaluation_return", value: 475,
                 source: "Gymnasium's CartPole-v1 threshold; Stable-Baselines3's RL zoo reaches 500 with PPO in 100,000 steps",
                 quickValue: 100)
    }

    /// The hyper-parameters each algorithm trains with here: the RL zoo's for PPO and DQN, and for
    /// REINFORCE and A2C larger learning rates than their defaults, which the short budgets need.
    static func hyperParameters(_ algorithm: String) -> [String] {
        switch algorithm {
        case "reinforce": ["learning_rate=1e-2"]
        case "a2c": ["learning_rate=7e-3"]
        default: []
        }
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let algorithms = try AlgorithmComparison.algorithms(context, allowed: Algorithms.names)
        let comparison = AlgorithmComparison(specification: try EnvironmentRegistry.specification(named: "CartPole-v1")) { algorithm in
            var hyperParameters = Self.hyperParameters(algorithm)
            if algorithm == "dqn" { hyperParameters.append("hidden_sizes=\(context.settings.integer("dqn_hidden_units")),\(context.settings.integer("dqn_hidden_units"))") }
            return hyperParameters
        }
        guard let (summary, sections) = try comparison.run(context, algorithms: algorithms, curveCaption:
            "The running mean of the latest 100 training episodes (exploring, so below the greedy policy's). Gymnasium counts 475 as solved.") else {
            return .interrupted
        }
        let headline = summary.first { $0.key == "ppo_evaluation_return" }?.value as? Double ?? .nan
        return LabResult(headline: headline, summary: summary, sections: sections)
    }
}
