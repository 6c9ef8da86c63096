import ArgumentParser
import Foundation
import Nabla
import NablaRL

/// `nabla bench rl`: PPO (100,000 steps) and DQN (50,000 steps) training on CartPole-v1 with the RL zoo's
/// hyper-parameters, timed as scripts/peers/sb3_rl.py times Stable-Baselines3's `learn`.
struct RLBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "PPO and DQN training time on CartPole-v1 (steps/s), as scripts/peers/sb3_rl.py times Stable-Baselines3.",
        discussion: "Prints one JSON object per algorithm: steps, seconds, steps_per_s and the mean return of the last 100 training episodes. "
            + "With --quick, 10,000 PPO and 5,000 DQN steps."
    )

    @Option(help: "PPO environment steps (default 100000; 10000 with --quick).") var ppoSteps: Int?
    @Option(help: "DQN environment steps (default 50000; 5000 with --quick).") var dqnSteps: Int?
    @Option(help: "Seed of both runs.") var seed: UInt64 = 0
    @Option(help: "Only this algorithm: ppo or dqn.") var only: String?
    @Flag(help: "Short runs: checks the command works, measures little.") var quick = false

    func validate() throws {
        for (name, value) in [("--ppo-steps", ppoSteps), ("--dqn-steps", dqnSteps)] {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive, not \(value)") }
        }
        if let only, !["ppo", "dqn"].contains(only) { throw ValidationError("--only must be ppo or dqn, not '\(only)'") }
    }

    func run() throws {
        let specification = try EnvironmentRegistry.specification(named: "CartPole-v1")
        for (algorithm, steps) in [("ppo", ppoSteps ?? (quick ? 10_000 : 100_000)), ("dqn", dqnSteps ?? (quick ? 5_000 : 50_000))]
        where only == nil || only == algorithm {
            let agent = try Algorithms.make(algorithm, environment: specification, seed: seed)
            let start = Date()
            agent.run(totalSteps: steps, stopAfterSteps: nil) { _ in }
            let seconds = Date().timeIntervalSince(start)
            let recent = agent.environments.finishedReturns.suffix(100)
            printJSONLine(["benchmark": "rl", "workload": "\(algorithm)-cartpole" + (quick ? "-quick" : ""), "quick": quick,
                           "steps": agent.steps, "seconds": seconds, "steps_per_s": Double(agent.steps) / seconds,
                           "mean_return": recent.isEmpty ? Double.nan : recent.reduce(0, +) / Double(recent.count)])
        }
    }
}
