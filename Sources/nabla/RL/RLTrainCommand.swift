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
        discussion: "Algorithms: \(knownAlgorithms.joined(separator: ", ")) (Stable-Baselines3 RL-zoo hyper-parameters for CartPole). "
            + "Writes OUTPUT/metrics.jsonl (one line per update) and OUTPUT/evaluation.json (returns of the greedy policy)."
    )

    static let knownAlgorithms = ["ppo"]

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
        let agent: PPO
        do { agent = try PPO(environment: specification, seed: seed) } catch { throw ValidationError("\(error)") }
        let folder = URL(fileURLWithPath: output ?? "runs/rl-\(algorithm.lowercased())-\(specification.name)-seed\(seed)")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw ValidationError("could not create the run folder \(folder.path): \(error); choose a writable --output")
        }
        print("\(algorithm.lowercased()) on \(specification.name), \(steps) steps, seed \(seed) -> \(folder.path)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metrics = Data()
        let start = Date()
        var lastPrint = Date.distantPast
        agent.train(totalSteps: steps) { record in
            if let line = try? encoder.encode(record) { metrics.append(line); metrics.append(0x0A) }
            let now = Date()
            if now.timeIntervalSince(lastPrint) >= 2 || record.steps >= steps {
                lastPrint = now
                let mean = record.meanReturn.map { String(format: "%.1f", $0) } ?? "-"
                let rate = Double(record.steps) / max(now.timeIntervalSince(start), 1e-9)
                print(String(format: "step %7d  %6.0f steps/s  mean return (last 100) %@  episodes %d", record.steps, rate, mean, record.episodes))
            }
        }
        let trainingSeconds = Date().timeIntervalSince(start)
        try write(metrics, to: folder.appendingPathComponent("metrics.jsonl"))
        // Evaluation start states come from their own seed so they differ from the training episodes'.
        let returns = PolicyEvaluation.returns(specification, model: agent.model, episodes: evaluationEpisodes, seed: seed &+ 1_000_003)
        let mean = returns.reduce(0, +) / Double(returns.count)
        let deviation = (returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count)).squareRoot()
        let evaluation = Evaluation(environment: specification.name, algorithm: algorithm.lowercased(), seed: seed, steps: agent.steps,
                                    episodes: returns.count, meanReturn: mean, standardDeviation: deviation, returns: returns,
                                    trainingSeconds: trainingSeconds, rewardThreshold: specification.rewardThreshold)
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.sortedKeys, .prettyPrinted]
        try write(try pretty.encode(evaluation), to: folder.appendingPathComponent("evaluation.json"))
        let solved = specification.rewardThreshold.map { mean >= $0 ? " (solved: threshold \(Int($0)))" : " (threshold \(Int($0)))" } ?? ""
        print(String(format: "trained %d steps in %.1f s; evaluation over %d episodes: mean return %.1f ± %.1f%@",
                     agent.steps, trainingSeconds, returns.count, mean, deviation, solved))
    }

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
