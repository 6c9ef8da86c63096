import ArgumentParser

/// `nabla rl ...`: reinforcement-learning environments with Gymnasium's dynamics.
struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "Reinforcement-learning environments with Gymnasium's dynamics (list them, animate an episode, train an agent).",
        subcommands: [RLEnvironmentsCommand.self, RLAnimateCommand.self, RLTrainCommand.self, RLPlayCommand.self]
    )
}
