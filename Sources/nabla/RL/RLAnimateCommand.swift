import ArgumentParser
import Foundation
import Nabla
import NablaRL

/// `nabla rl animate ENV`: one episode under uniformly random actions, as an animated PNG.
struct RLAnimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "animate",
        abstract: "Play one episode of ENV with random actions and write it as an animated PNG.",
        discussion: "Prints the episode's return and length. Trained policies play through `nabla rl play RUN_DIR`."
    )

    @Argument(help: ArgumentHelp("A Gymnasium id from `nabla rl envs`, e.g. CartPole-v1.", valueName: "ENV")) var environmentName: String
    @Option(help: "Seed for the start state and the actions.") var seed: UInt64 = 0
    @Option(help: "Draw every Nth step (1 draws all).") var every: Int = 1
    @Option(help: "The animated PNG to write.") var output: String = "episode.png"

    func validate() throws {
        guard every >= 1 && every <= 1000 else { throw ValidationError("--every must lie in 1...1000, not \(every)") }
    }

    func run() throws {
        let environment: Environment
        do { environment = try EnvironmentRegistry.make(environmentName) } catch { throw ValidationError("\(error)") }
        let recorder = RecordEpisodes(environment, keepStates: true)
        let generator = RandomGenerator(seed: seed)
        _ = recorder.reset(generator: generator)
        while !recorder.step(Self.randomAction(recorder.actionSpace, generator)).done {}
        guard let animation = EpisodeAnimation.make(recorder, states: recorder.episodes[0], every: every) else {
            throw ValidationError("\(environment.name) cannot draw frames")
        }
        do { try animation.write(to: URL(fileURLWithPath: output)) } catch {
            throw ValidationError("could not write \(output): \(error); choose a writable --output")
        }
        print("\(environment.name): return \(recorder.returns[0]) over \(recorder.lengths[0]) steps; wrote \(output)")
    }

    static func randomAction(_ space: Space, _ generator: RandomGenerator) -> Action {
        switch space {
        case .discrete(let count): return .discrete(Int(generator.next() % UInt64(count)))
        case .box(let low, let high): return .continuous(zip(low, high).map { $0 + ($1 - $0) * generator.nextUnitFloat() })
        }
    }
}
