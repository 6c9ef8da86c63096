import ArgumentParser
import Foundation
import Nabla
import NablaRL

/// `nabla rl train ENV --algorithm ppo`: trains an agent, prints progress, and writes a run folder with
/// the metrics (one JSON object per update), the checkpoint and the final deterministic evaluation.
struct RLTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an agent on ENV and evaluate its deterministic policy.",
        discussion: "Algorithms: \(knownAlgorithms.joined(separator: ", ")) (PPO and DQN with Stable-Baselines3 RL-zoo hyper-parameters for CartPole, "
            + "A2C with Stable-Baselines3's defaults). Change a hyper-parameter with --set KEY=VALUE (repeatable); an unknown key lists the known ones. "
            + "Writes OUTPUT/metrics.jsonl (one line per update, or per 1,000 DQN steps), OUTPUT/checkpoint.safetensors (continue with --resume OUTPUT, "
            + "play with `nabla rl play OUTPUT`) and OUTPUT/evaluation.json (returns of the greedy policy)."
    )

    static let knownAlgorithms = Algorithms.names

    @Argument(help: ArgumentHelp("A Gymnasium id from `nabla rl envs`, e.g. CartPole-v1 (not with --resume).", valueName: "ENV")) var environmentName: String?
    @Option(help: "The algorithm: \(knownAlgorithms.joined(separator: ", ")).") var algorithm: String = "ppo"
    @Option(help: "Environment steps to train for (rounded up to whole rollouts).") var steps: Int = 100_000
    @Option(help: "Seed for environments, weights, actions and minibatches.") var seed: UInt64 = 0
    @Option(help: "Evaluation episodes after training.") var evaluationEpisodes: Int = 100
    @Option(help: "The run folder (default runs/rl-ALGORITHM-ENV-seedS).") var output: String?
    @Option(name: .customLong("set"), help: ArgumentHelp("A hyper-parameter, e.g. learning_rate=3e-4 (repeatable).", valueName: "KEY=VALUE"))
    var settings: [String] = []
    @Option(help: ArgumentHelp("Continue the run in DIR from its checkpoint, bit for bit as if it had not stopped.", valueName: "DIR")) var resume: String?
    @Option(help: "Stop (with a checkpoint) once this many steps are done, to resume later.") var stopAfterSteps: Int?
    @Option(help: "Also write the checkpoint every N steps (0: only at the end).") var checkpointEvery: Int = 0

    func validate() throws {
        guard Self.knownAlgorithms.contains(algorithm.lowercased()) else {
            throw ValidationError("unknown algorithm '\(algorithm)'; known: \(Self.knownAlgorithms.joined(separator: ", "))")
        }
        guard steps > 0 else { throw ValidationError("--steps must be positive, not \(steps)") }
        guard evaluationEpisodes > 0 else { throw ValidationError("--evaluation-episodes must be positive, not \(evaluationEpisodes)") }
        if let stopAfterSteps, stopAfterSteps <= 0 { throw ValidationError("--stop-after-steps must be positive, not \(stopAfterSteps)") }
        guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must not be negative, not \(checkpointEvery)") }
        if resume != nil && environmentName != nil {
            throw ValidationError("give either ENV (a new run) or --resume DIR (the run's environment and settings come from DIR), not both")
        }
        if resume == nil && environmentName == nil { throw ValidationError("give ENV (e.g. CartPole-v1) or --resume DIR") }
    }

    func run() throws {
        let run: AgentRun, agent: any Agent, folder: URL
        var metrics = Data()
        if let resume {
            folder = URL(fileURLWithPath: resume)
            do { let resumed = try AgentRun.resume(folder: folder); run = resumed.run; agent = resumed.agent } catch { throw ValidationError("\(error)") }
            // Keep the metrics up to the checkpoint; lines written after it are trained again.
            let lines = ((try? String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n")
            for line in lines {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let done = object["steps"] as? Int, done <= agent.steps else { continue }
                metrics.append(Data(line.utf8))
                metrics.append(0x0A)
            }
            print("resuming \(run.algorithm) on \(run.environment) at step \(agent.steps) of \(run.totalSteps) -> \(folder.path)")
        } else {
            let specification: EnvironmentSpecification
            do { specification = try EnvironmentRegistry.specification(named: environmentName!) } catch { throw ValidationError("\(error)") }
            let name = algorithm.lowercased()
            run = AgentRun(algorithm: name, environment: specification.name, settings: settings, seed: seed, totalSteps: steps)
            do { agent = try run.makeAgent() } catch { throw ValidationError("\(error)") }
            folder = URL(fileURLWithPath: output ?? "runs/rl-\(name)-\(specification.name)-seed\(seed)")
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw ValidationError("could not create the run folder \(folder.path): \(error); choose a writable --output")
            }
            let pretty = JSONEncoder()
            pretty.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            try write(try pretty.encode(run), to: folder.appendingPathComponent("run.json"))
            print("\(name) on \(specification.name), \(steps) steps, seed \(seed) -> \(folder.path)")
        }
        let specification = try EnvironmentRegistry.specification(named: run.environment)
        let start = Date(), stepsAtStart = agent.steps
        var lastPrint = Date.distantPast, lastCheckpoint = agent.steps
        var checkpointFailure: Error?
        agent.run(totalSteps: run.totalSteps, stopAfterSteps: stopAfterSteps) { progress in
            metrics.append(progress.json)
            metrics.append(0x0A)
            if checkpointEvery > 0 && progress.steps - lastCheckpoint >= checkpointEvery && checkpointFailure == nil {
                lastCheckpoint = progress.steps
                do { try run.writeCheckpoint(agent, folder: folder) } catch { checkpointFailure = error }
            }
            let now = Date()
            guard now.timeIntervalSince(lastPrint) >= 2 || progress.steps >= run.totalSteps else { return }
            lastPrint = now
            let mean = progress.meanReturn.map { String(format: "%.1f", $0) } ?? "-"
            let rate = Double(progress.steps - stepsAtStart) / max(now.timeIntervalSince(start), 1e-9)
            print(String(format: "step %7d  %6.0f steps/s  mean return (last 100) %@  episodes %d", progress.steps, rate, mean, progress.episodes))
        }
        if let checkpointFailure { throw ValidationError("could not write the checkpoint in \(folder.path): \(checkpointFailure)") }
        let trainingSeconds = Date().timeIntervalSince(start)
        try write(metrics, to: folder.appendingPathComponent("metrics.jsonl"))
        do { try run.writeCheckpoint(agent, folder: folder) } catch {
            throw ValidationError("could not write the checkpoint in \(folder.path): \(error); choose a writable --output")
        }
        if agent.steps < run.totalSteps {
            print(String(format: "stopped at step %d of %d after %.1f s; continue with: nabla rl train --resume %@",
                         agent.steps, run.totalSteps, trainingSeconds, folder.path))
            return
        }
        // Evaluation start states come from their own seed so they differ from the training episodes'.
        let evaluationSeed = run.seed &+ 1_000_003
        let returns = PolicyEvaluation.returns(specification, episodes: evaluationEpisodes, seed: evaluationSeed) { .discrete(agent.greedyAction($0)) }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let deviation = (returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count)).squareRoot()
        let evaluation = Evaluation(environment: specification.name, algorithm: run.algorithm, seed: run.seed, steps: agent.steps,
                                    episodes: returns.count, meanReturn: mean, standardDeviation: deviation, returns: returns,
                                    trainingSeconds: trainingSeconds, rewardThreshold: specification.rewardThreshold)
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
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
