import Foundation
import Nabla
import NablaRL
import NablaTrain
import NablaViz

/// Several algorithms trained one after another on one environment, each a stage of the lab: the
/// return curves, the steps each needs to reach the environment's threshold, the greedy policy's return
/// over evaluation episodes and an animated episode of the best agent. The cartpole and
/// policy-gradient labs are this on different environments.
struct AlgorithmComparison {
    let specification: EnvironmentSpecification
    /// Each algorithm's `--set` overrides.
    let hyperParameters: (String) -> [String]

    /// The algorithms named in the setting 'algorithms', each one of `allowed` and named once.
    static func algorithms(_ context: LabContext, allowed: [String]) throws -> [String] {
        let text = context.settings.text("algorithms")
        let algorithms = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for algorithm in algorithms where !allowed.contains(algorithm) {
            throw LabError("setting 'algorithms' names '\(algorithm)', which is not one of \(allowed.joined(separator: ", "))")
        }
        guard !algorithms.isEmpty, Set(algorithms).count == algorithms.count else {
            throw LabError("setting 'algorithms' must name each algorithm at most once and at least one, got '\(text)'")
        }
        return algorithms
    }

    /// Trains every algorithm (settings '<algorithm>_steps', 'chunk', 'evaluation_episodes' and
    /// 'animation_stride'); nil when the run was interrupted. The summary has '<algorithm>_evaluation_return',
    /// '<algorithm>_steps_to_solve' and '<algorithm>_steps'.
    func run(_ context: LabContext, algorithms: [String], curveCaption: String) throws -> (summary: [(key: String, value: Any)], sections: [ReportSection])? {
        let threshold = specification.rewardThreshold ?? 0
        let episodes = context.settings.integer("evaluation_episodes")
        var rows: [[String]] = [], series: [LineChart.Series] = [], summary: [(key: String, value: Any)] = []
        var best: (agent: any Agent, mean: Double, algorithm: String)?
        for algorithm in algorithms {
            let agent = try Algorithms.make(algorithm, environment: specification, settings: hyperParameters(algorithm), seed: context.seed)
            let task = AgentTrainingTask(agent: agent, totalSteps: context.settings.integer("\(algorithm)_steps"), chunk: context.settings.integer("chunk"))
            if let note = task.roundingNote { context.log(note) }
            let start = Date()
            let outcome = try context.train(task, epochs: task.epochs, stage: algorithm)
            guard outcome.isOver else { return nil }
            let seconds = Date().timeIntervalSince(start)
            let returns = task.evaluationReturns(specification, episodes: episodes, seed: context.seed &+ 1_000_003)
            let mean = returns.reduce(0, +) / Double(returns.count)
            let solvedAt = task.stepsToReach(threshold)
            context.log(String(format: "%@: %d steps, greedy mean return %.1f over %d episodes, training mean reached %.0f at %@",
                               algorithm, agent.steps, mean, episodes, threshold, solvedAt.map(String.init) ?? "never"))
            rows.append([algorithm, "\(agent.steps)", solvedAt.map { "\($0)" } ?? "not reached",
                         task.recentMeanReturn.map { String(format: "%.1f", $0) } ?? "-", String(format: "%.1f", mean),
                         String(format: "%.0f", seconds)])
            let points = task.curve.filter { $0.meanReturn != nil }
            series.append(.init(name: algorithm, x: points.map { Double($0.steps) }, y: points.map { $0.meanReturn! }))
            summary += [("\(algorithm)_evaluation_return", mean), ("\(algorithm)_steps_to_solve", solvedAt ?? -1), ("\(algorithm)_steps", agent.steps)]
            if best == nil || mean > best!.mean { best = (agent, mean, algorithm) }
        }
        var sections: [ReportSection] = [
            .lineChart("Training return by algorithm", xLabel: "environment steps", yLabel: "mean return (latest 100 episodes)", series: series,
                       caption: curveCaption),
            .table("Steps to solve", headers: ["algorithm", "steps", "training mean ≥ \(Int(threshold)) at", "final training mean",
                                               "greedy return (\(episodes) episodes)", "seconds"], rows: rows,
                   caption: "Steps to solve at the resolution of the curve's points; seconds include evaluation-free training only."),
        ]
        if let best {
            let stride = context.settings.integer("animation_stride")
            let (frames, episodeReturn) = AgentTrainingTask.episodeFrames(best.agent, specification, seed: context.seed &+ 7, stride: stride)
            if !frames.isEmpty {
                sections.append(.animation("One greedy episode of \(best.algorithm)", frames: frames,
                                           frameSeconds: Double(stride) / EpisodeAnimation.defaultRate(specification.name),
                                           caption: String(format: "Return %.0f; every %dth step drawn.", episodeReturn, stride)))
            }
        }
        return (summary, sections)
    }
}
