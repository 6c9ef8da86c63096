import Foundation
import Nabla
import NablaRL
import NablaTrain
import NablaViz

/// Deep Q-learning and two of its refinements on Acrobot and MountainCar. (Lecture: reinforcement learning.)
///
/// DQN regresses Q(s, a) onto r + γ·maxₐ′ Q_target(s′, a′); the max over noisy estimates is biased
/// upwards. Double DQN lets the online network choose a′ and the target network value it, which removes
/// most of that bias. A dueling network splits its last layer into a state value V(s) and advantages
/// A(s, a), so states where the action hardly matters are learnt from every action taken there. The lab
/// trains the four combinations from the same seed on two environments with sparse or delayed reward
/// (Acrobot: swing the tip above the bar; MountainCar: rock the car up the hill) and compares the
/// return curves and the greedy policies' returns.
public struct DQNLab: Lab {
    public init() {}

    public var name: String { "dqn" }
    public var lecture: String { "Reinforcement learning" }
    public var summary: String { "DQN with double and dueling ablations on Acrobot and MountainCar" }
    public var settings: [LabSetting] {
        [.text("environments", "Acrobot-v1,MountainCar-v0", "comma-separated environments (Acrobot-v1, MountainCar-v0, CartPole-v1)"),
         .text("variants", "dqn,double,dueling,double-dueling", "comma-separated variants: dqn, double, dueling, double-dueling"),
         .integer("acrobot_steps", 40_000, quick: 4_000, in: 1...10_000_000, "environment steps per Acrobot run"),
         .integer("mountaincar_steps", 80_000, quick: 4_000, in: 1...10_000_000, "environment steps per MountainCar run"),
         .integer("cartpole_steps", 50_000, quick: 4_000, in: 1...10_000_000, "environment steps per CartPole run"),
         .integer("hidden_units", 256, in: 4...1024, "width of both hidden layers of the Q-network (RL zoo: 256)"),
         .integer("chunk", 2_000, quick: 1_000, in: 1...1_000_000, "environment steps between points of the return curves (and checkpoints)"),
         .integer("evaluation_episodes", 20, quick: 5, in: 1...10_000, "greedy episodes that score each trained agent"),
         .integer("animation_stride", 3, in: 1...100, "draw every Nth step of the animated episode")]
    }
    public var tinySettings: [String] {
        ["environments=Acrobot-v1", "variants=dqn,double-dueling", "acrobot_steps=300", "hidden_units=16", "chunk=150", "evaluation_episodes=1", "animation_stride=50"]
    }
    public var baseline: Baseline {
        Baseline(metric: "acrobot_best_return", value: -100,
                 source: "Gymnasium's Acrobot-v1 threshold (-100); Stable-Baselines3's RL zoo reaches -72.6 with DQN in 100,000 steps",
                 quickValue: -500)
    }

    static let environmentKeys = ["Acrobot-v1": "acrobot", "MountainCar-v0": "mountaincar", "CartPole-v1": "cartpole"]
    static let variantSettings = ["dqn": ["double=false", "dueling=false"], "double": ["double=true", "dueling=false"],
                                  "dueling": ["double=false", "dueling=true"], "double-dueling": ["double=true", "dueling=true"]]

    /// The RL zoo's DQN hyper-parameters for each environment, with one gradient step per 4 environment
    /// steps (the zoo takes 4 per 4 on Acrobot), so eight runs fit the full setting's time.
    static func hyperParameters(_ environment: String) -> [String] {
        switch environment {
        case "Acrobot-v1":
            ["learning_rate=6.3e-4", "batch_size=128", "buffer_size=50000", "learning_starts=0", "discount=0.99", "target_update_interval=250",
             "train_frequency=4", "gradient_steps=1", "exploration_fraction=0.12", "exploration_final=0.1"]
        case "MountainCar-v0":
            ["learning_rate=4e-3", "batch_size=128", "buffer_size=10000", "learning_starts=1000", "discount=0.98", "target_update_interval=600",
             "train_frequency=16", "gradient_steps=8", "exploration_fraction=0.2", "exploration_final=0.07"]
        default: []
        }
    }

    static func list(_ text: String, key: String, allowed: [String]) throws -> [String] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for item in items where !allowed.contains(item) {
            throw LabError("setting '\(key)' names '\(item)', which is not one of \(allowed.joined(separator: ", "))")
        }
        guard !items.isEmpty, Set(items).count == items.count else {
            throw LabError("setting '\(key)' must name each item at most once and at least one, got '\(text)'")
        }
        return items
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let environments = try Self.list(context.settings.text("environments"), key: "environments", allowed: ["Acrobot-v1", "MountainCar-v0", "CartPole-v1"])
        let variants = try Self.list(context.settings.text("variants"), key: "variants", allowed: ["dqn", "double", "dueling", "double-dueling"])
        let episodes = context.settings.integer("evaluation_episodes")
        var sections: [ReportSection] = [], summary: [(key: String, value: Any)] = []
        var rows: [[String]] = []
        for environment in environments {
            let specification = try EnvironmentRegistry.specification(named: environment)
            let key = Self.environmentKeys[environment]!
            var series: [LineChart.Series] = []
            var best: (agent: any Agent, mean: Double, variant: String)?
            for variant in variants {
                let agent = try Algorithms.make("dqn", environment: specification,
                                                settings: Self.hyperParameters(environment) + Self.variantSettings[variant]!
                                                    + ["hidden_sizes=\(context.settings.integer("hidden_units")),\(context.settings.integer("hidden_units"))"],
                                                seed: context.seed)
                let task = AgentTrainingTask(agent: agent, totalSteps: context.settings.integer("\(key)_steps"), chunk: context.settings.integer("chunk"))
                let start = Date()
                let outcome = try context.train(task, epochs: task.epochs, stage: "\(key)-\(variant)")
                guard outcome.isOver else { return .interrupted }
                let seconds = Date().timeIntervalSince(start)
                let returns = task.evaluationReturns(specification, episodes: episodes, seed: context.seed &+ 1_000_003)
                let mean = returns.reduce(0, +) / Double(returns.count)
                context.log(String(format: "%@ %@: greedy mean return %.1f over %d episodes", environment, variant, mean, episodes))
                let solvedAt = specification.rewardThreshold.flatMap { task.stepsToReach($0) }
                rows.append([environment, variant, "\(agent.steps)", task.recentMeanReturn.map { String(format: "%.1f", $0) } ?? "-",
                             String(format: "%.1f", mean), solvedAt.map(String.init) ?? "not reached", String(format: "%.0f", seconds)])
                let points = task.curve.filter { $0.meanReturn != nil }
                series.append(.init(name: variant, x: points.map { Double($0.steps) }, y: points.map { $0.meanReturn! }))
                summary.append(("\(key)_\(variant.replacingOccurrences(of: "-", with: "_"))_return", mean))
                if best == nil || mean > best!.mean { best = (agent, mean, variant) }
            }
            sections.append(.lineChart("\(environment): training return by variant", xLabel: "environment steps",
                                       yLabel: "mean return (latest 100 episodes)", series: series,
                                       caption: "Running mean of the latest 100 training episodes (ε-greedy, so below the greedy policy)."))
            if let best {
                summary.append(("\(key)_best_return", best.mean))
                let stride = context.settings.integer("animation_stride")
                let (frames, episodeReturn) = AgentTrainingTask.episodeFrames(best.agent, specification, seed: context.seed &+ 7, stride: stride)
                if !frames.isEmpty {
                    sections.append(.animation("\(environment): one greedy episode of \(best.variant)", frames: frames, frameSeconds: 0.1,
                                               caption: String(format: "Return %.0f; every %dth step drawn.", episodeReturn, stride)))
                }
            }
        }
        sections.insert(.table("Greedy returns", headers: ["environment", "variant", "steps", "final training mean",
                                                           "greedy return (\(episodes) episodes)", "training mean ≥ threshold at", "seconds"], rows: rows), at: 0)
        let headline = summary.first { $0.key == "acrobot_best_return" }?.value as? Double ?? .nan
        return LabResult(headline: headline, summary: summary, sections: sections)
    }
}
