import ArgumentParser
import Foundation
import Nabla
import NablaRL

/// `nabla rl play RUN_DIR`: the trained agent of a run folder plays episodes with its deterministic
/// policy; prints each return and writes the first episode as an animated PNG.
struct RLPlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Play episodes with the greedy policy of a `nabla rl train` run and animate the first.",
        discussion: "Reads RUN_DIR/checkpoint.safetensors (the run's algorithm, environment and settings come with it)."
    )

    @Argument(help: ArgumentHelp("The run folder written by `nabla rl train`.", valueName: "RUN_DIR")) var runFolder: String
    @Option(help: "Episodes to play.") var episodes: Int = 1
    @Option(help: "Seed for the start states.") var seed: UInt64 = 0
    @Option(help: "Draw every Nth step (1 draws all).") var every: Int = 2
    @Option(help: "The animated PNG to write (default RUN_DIR/play.png).") var output: String?

    func validate() throws {
        guard episodes >= 1 && episodes <= 10_000 else { throw ValidationError("--episodes must lie in 1...10000, not \(episodes)") }
        guard every >= 1 && every <= 1000 else { throw ValidationError("--every must lie in 1...1000, not \(every)") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: runFolder)
        let run: AgentRun, agent: any Agent
        do { let resumed = try AgentRun.resume(folder: folder); run = resumed.run; agent = resumed.agent } catch { throw ValidationError("\(error)") }
        let recorder = RecordEpisodes(try EnvironmentRegistry.make(run.environment), keepStates: true)
        let generator = RandomGenerator(seed: seed)
        for _ in 0..<episodes {
            var observation = recorder.reset(generator: generator)
            while true {
                let transition = recorder.step(.discrete(agent.greedyAction(observation)))
                if transition.done { break }
                observation = transition.observation
            }
        }
        for (index, (total, length)) in zip(recorder.returns, recorder.lengths).enumerated() {
            print(String(format: "episode %d: return %.1f over %d steps", index + 1, total, length))
        }
        let mean = recorder.returns.reduce(0, +) / Double(recorder.returns.count)
        print(String(format: "%@ after %d steps of %@: mean return %.1f over %d episodes", run.environment, agent.steps, run.algorithm, mean, episodes))
        let path = output ?? folder.appendingPathComponent("play.png").path
        guard let animation = EpisodeAnimation.make(recorder, states: recorder.episodes[0], every: every) else {
            throw ValidationError("\(run.environment) cannot draw frames")
        }
        do { try animation.write(to: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("could not write \(path): \(error); choose a writable --output")
        }
        print("wrote \(path)")
    }
}
