import ArgumentParser
import Foundation
import Nabla
import NablaRL

/// `nabla rl train ENV --algorithm ppo`: trains an agent, prints progress, and writes a run folder with
/// the metrics (one JSON object per update) and the final deterministic evaluation.
struct RLTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an agent on ENV and evaluate its deterministic policy.",
        discussion: "Algorithms: \(knownAlgorithms.joined(separator: ", ")) (each with Stable-Baselines3 RL-zoo hyper-parameters for CartPole). "
            + "Writes OUTPUT/metrics.jsonl (one line per PPO update or per 1,000 DQN steps) and OUTPUT/evaluation.json (returns of the greedy policy)."
    )

    static let knownAlgorithms = ["ppo", "dqn"]

    @Argument(help: ArgumentHelp("A Gymnasium id from `nabla rl envs`, e.g. CartPole-v1.", valueName: "ENV")) var environmentName: String
    @Option(help: "The algorithm: \(knownAlgorithms.joined(separator: ", ")).") var algorithm: String = "ppo"
    @Option(help: "Environment steps to train for (rounded up to whole rollouts).") var steps: Int = 100_000
    @Option(help: "Seed for environments, weights, actions and minibatches.") var seed: UInt64 = 0
    @Option(help: "Evaluation episodes after training.") var evaluationEpisodes: Int = 100
    @Option(help: "The run folder (default runs/rl-ALGORITHM-ENV-seedS).") var output: String?

    func validate() throws {
        guard Self.knownAlgorithms.contains(algorithm.lowercased()) else {
            throw ValidationError("unknown algorithm '\(algorithm)'; known: \(Self.knownAlgorithms.joined(separator: ", "))")
        }
        guard steps > 0 else { throw ValidationError("--steps must be positive, not \(steps)") }
        guard evaluationEpisodes > 0 else { throw ValidationError("--evaluation-episodes must be positive, not \(evaluationEpisodes)") }
    }

    func run() throws {
        let specification: EnvironmentSpecification
        do { specification = try EnvironmentRegistry.specification(named: environmentName) } catch { throw ValidationError("\(error)") }
        let name = algorithm.lowercased()
        var ppo: PPO?, dqn: DQN?
        do {
            if name == "ppo" { ppo = try PPO(environment: specification, seed: seed) } else { dqn = try DQN(environment: specification, seed: seed) }
        } catch { throw ValidationError("\(error)") }
        let folder = URL(fileURLWithPath: output ?? "runs/rl-\(name)-\(specification.name)-seed\(seed)")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw ValidationError("could not create the run folder \(folder.path): \(error); choose a writable --output")
        }
        print("\(name) on \(specification.name), \(steps) steps, seed \(seed) -> \(folder.path)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metrics = Data()
        let start = Date()
        var lastPrint = Date.distantPast
        func report(steps done: Int, meanReturn: Double?, episodes: Int) {
            let now = Date()
            guard now.timeIntervalSince(lastPrint) >= 2 || done >= steps else { return }
            lastPrint = now
            let mean = meanReturn.map { String(format: "%.1f", $0) } ?? "-"
            let rate = Double(done) / max(now.timeIntervalSince(start), 1e-9)
            print(String(format: "step %7d  %6.0f steps/s  mean return (last 100) %@  episodes %d", done, rate, mean, episodes))
        }
        if let agent = ppo {
            agent.train(totalSteps: steps) { record in
                if let line = try? encoder.encode(record) { metrics.append(line); metrics.append(0x0A) }
                report(steps: record.steps, meanReturn: record.meanReturn, episodes: record.episodes)
            }
        } else if let agent = dqn {
            agent.train(totalSteps: steps) { done, meanReturn in
                let record = DQNRecord(steps: done, meanReturn: meanReturn, episodes: agent.environments.finishedReturns.count)
                if let line = try? encoder.encode(record) { metrics.append(line); metrics.append(0x0A) }
                report(steps: done, meanReturn: meanReturn, episodes: record.episodes)
            }
        }
        let trainingSeconds = Date().timeIntervalSince(start)
        try write(metrics, to: folder.appendingPathComponent("metrics.jsonl"))
        // Evaluation start states come from their own seed so they differ from the training episodes'.
        let evaluationSeed = seed &+ 1_000_003
        let returns = ppo.map { PolicyEvaluation.returns(specification, model: $0.model, episodes: evaluationEpisodes, seed: evaluationSeed) }
            ?? PolicyEvaluation.returns(specification, episodes: evaluationEpisodes, seed: evaluationSeed) { .discrete(dqn!.network.greedyAction($0)) }
        let trainedSteps = ppo?.steps ?? dqn!.steps
        let mean = returns.reduce(0, +) / Double(returns.count)
        let deviation = (returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count)).squareRoot()
        let evaluation = Evaluation(environment: specification.name, algorithm: name, seed: seed, steps: trainedSteps,
                                    episodes: returns.count, meanReturn: mean, standardDeviation: deviation, returns: returns,
                                    trainingSeconds: trainingSeconds, rewardThreshold: specification.rewardThreshold)
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.sortedKeys, .prettyPrinted]
        try write(try pretty.encode(evaluation), to: folder.appendingPathComponent("evaluation.json"))
        let solved = specification.rewardThreshold.map { mean >= $0 ? " (solved: threshold \(Int($0)))" : " (threshold \(Int($0)))" } ?? ""
        print(String(format: "trained %d steps in %.1f s; evaluation over %d episodes: mean return %.1f ± %.1f%@",
                     trainedSteps, trainingSeconds, returns.count, mean, deviation, solved))
    }

    struct DQNRecord: Codable { var steps: Int, meanReturn: Double?, episodes: Int }

    struct Evaluation: Codable {
        var environment: String, algorithm: String, seed: UInt64, steps: Int, episodes: Int
        var meanReturn: Double, standardDeviation: Double, returns: [Double], trainingSeconds: Double
        var rewardThreshold: Double?
    }

    private func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch {
            throw ValidationError("could not write \(url.path): \(error); choose a writable --output")
        }
    }
}
