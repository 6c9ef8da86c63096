import Nabla

/// Keeps each episode's return, length and (optionally) its states as drawn (`frameState`), so an episode can be
/// scored and drawn afterwards (Gymnasium's `RecordEpisodeStatistics` plus the frames of `RecordVideo`,
/// kept as states: drawing them later costs nothing while training).
public final class RecordEpisodes: EnvironmentWrapper {
    public let wrapped: Environment
    public let keepStates: Bool
    public private(set) var returns: [Double] = []
    public private(set) var lengths: [Int] = []
    /// The states of the episode in progress, from its reset state on.
    public private(set) var currentStates: [[Double]] = []
    /// The states of every finished episode (only with `keepStates`).
    public private(set) var episodes: [[[Double]]] = []
    private var currentReturn = 0.0, currentLength = 0

    public init(_ wrapped: Environment, keepStates: Bool = false) {
        self.wrapped = wrapped
        self.keepStates = keepStates
    }

    public func reset(generator: RandomGenerator) -> [Float] {
        let observation = wrapped.reset(generator: generator)
        currentReturn = 0
        currentLength = 0
        currentStates = keepStates ? [wrapped.frameState] : []
        return observation
    }

    public func step(_ action: Action) -> Transition {
        let transition = wrapped.step(action)
        currentReturn += transition.reward
        currentLength += 1
        if keepStates { currentStates.append(wrapped.frameState) }
        if transition.done {
            returns.append(currentReturn)
            lengths.append(currentLength)
            if keepStates { episodes.append(currentStates) }
        }
        return transition
    }
}
