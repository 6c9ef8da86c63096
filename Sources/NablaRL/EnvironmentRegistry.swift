import Nabla

/// Gymnasium's registered environments that Nabla has: id, time limit and the return that counts as
/// solved (`reward_threshold`), as `gymnasium.make` sets them up.
public struct EnvironmentSpecification: Sendable {
    public let name: String
    public let maximumEpisodeSteps: Int
    /// The average return over 100 episodes that counts as solving it; nil where Gymnasium sets none.
    public let rewardThreshold: Double?
    let build: @Sendable () -> Environment

    /// A fresh copy wrapped in its time limit.
    public func make() -> Environment { TimeLimit(build(), maximumSteps: maximumEpisodeSteps) }
}

public enum EnvironmentRegistry {
    public static let all: [EnvironmentSpecification] = [
        EnvironmentSpecification(name: "CartPole-v1", maximumEpisodeSteps: 500, rewardThreshold: 475, build: { CartPole() }),
        EnvironmentSpecification(name: "Acrobot-v1", maximumEpisodeSteps: 500, rewardThreshold: -100, build: { Acrobot() }),
        EnvironmentSpecification(name: "MountainCar-v0", maximumEpisodeSteps: 200, rewardThreshold: -110, build: { MountainCar() }),
        EnvironmentSpecification(name: "MountainCarContinuous-v0", maximumEpisodeSteps: 999, rewardThreshold: 90, build: { ContinuousMountainCar() }),
        EnvironmentSpecification(name: "Pendulum-v1", maximumEpisodeSteps: 200, rewardThreshold: nil, build: { Pendulum() }),
        EnvironmentSpecification(name: "LunarLander-v3", maximumEpisodeSteps: 1000, rewardThreshold: 200, build: { LunarLander() }),
        EnvironmentSpecification(name: "LunarLanderContinuous-v3", maximumEpisodeSteps: 1000, rewardThreshold: 200,
                                 build: { LunarLander(continuous: true) }),
    ]

    /// The specification named `name` (exact Gymnasium id, or the same ignoring case).
    public static func specification(named name: String) throws -> EnvironmentSpecification {
        if let exact = all.first(where: { $0.name == name }) { return exact }
        if let loose = all.first(where: { $0.name.lowercased() == name.lowercased() }) { return loose }
        throw UnknownEnvironment(name: name)
    }

    /// A fresh environment with its time limit, as `gymnasium.make(name)`.
    public static func make(_ name: String) throws -> Environment { try specification(named: name).make() }
}

/// An environment name Nabla does not have.
public struct UnknownEnvironment: Error, CustomStringConvertible {
    public let name: String
    public var description: String {
        "unknown environment '\(name)'; known: \(EnvironmentRegistry.all.map(\.name).joined(separator: ", ")) (see `nabla rl envs`)"
    }
}
