import ArgumentParser
import NablaRL

/// `nabla rl envs`: every environment with its spaces, time limit and solved threshold.
struct RLEnvironmentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs",
        abstract: "List the environments with their observation and action spaces, time limits and solved thresholds."
    )

    func run() throws {
        for specification in EnvironmentRegistry.all {
            let environment = specification.make()
            let threshold = specification.rewardThreshold.map { "solved at mean return \(Int($0))" } ?? "no solved threshold"
            print("\(specification.name): \(specification.maximumEpisodeSteps) steps, \(threshold)")
            print("  observations \(environment.observationSpace)")
            print("  actions      \(environment.actionSpace)")
        }
    }
}
