import Nabla

/// Everything a `VectorEnvironment` needs to continue exactly where it stopped: each copy's dynamics
/// state and time-limit count, the current observations, the episodes in progress and the finished
/// ones, and the start-state generator. Saved between steps (the final observations of the last step
/// are not part of it: they are read right after the step that set them).
public struct VectorEnvironmentState: Codable, Equatable {
    public var states: [[Double]]
    public var elapsedSteps: [Int]
    public var observations: [Float]
    public var episodeReturns: [Double], episodeLengths: [Int]
    public var finishedReturns: [Double], finishedLengths: [Int]
    public var generator: [UInt64]
}

/// A saved state that does not fit the environment it is restored into.
public struct EnvironmentStateError: Error, CustomStringConvertible {
    public let description: String
}

extension VectorEnvironment {
    public var savedState: VectorEnvironmentState {
        VectorEnvironmentState(states: copies.map(\.state), elapsedSteps: copies.map { ($0 as? TimeLimit)?.elapsedSteps ?? 0 },
                               observations: observations, episodeReturns: episodeReturns, episodeLengths: episodeLengths,
                               finishedReturns: finishedReturns, finishedLengths: finishedLengths, generator: generator.state)
    }

    /// Puts back a state from `savedState`; throws `EnvironmentStateError` (changing nothing) when it was
    /// saved from a different number of copies or another environment.
    public func restore(_ saved: VectorEnvironmentState) throws {
        guard saved.states.count == count, saved.elapsedSteps.count == count, saved.episodeReturns.count == count,
              saved.episodeLengths.count == count, saved.observations.count == count * observationDimension,
              saved.finishedReturns.count == saved.finishedLengths.count,
              zip(saved.states, copies).allSatisfy({ $1.accepts(savedState: $0) }),
              saved.generator.count == 4, saved.generator.contains(where: { $0 != 0 }) else {
            throw EnvironmentStateError(description: "the saved environment state does not fit \(count) copies of \(copies[0].name)")
        }
        for (copy, state) in zip(copies, saved.states) { copy.state = state }
        for (copy, elapsed) in zip(copies, saved.elapsedSteps) { (copy as? TimeLimit)?.elapsedSteps = elapsed }
        observations = saved.observations
        episodeReturns = saved.episodeReturns
        episodeLengths = saved.episodeLengths
        finishedReturns = saved.finishedReturns
        finishedLengths = saved.finishedLengths
        finalObservations = Array(repeating: nil, count: count)
        generator.state = saved.generator
    }
}
