import Nabla

/// Ends episodes after `maximumSteps` steps with `truncated` set, as Gymnasium's `TimeLimit`
/// (`max_episode_steps` in the registry). A step that both terminates and hits the limit reports both.
public final class TimeLimit: EnvironmentWrapper {
    public let wrapped: Environment
    public let maximumSteps: Int
    /// Steps taken since the last reset.
    public internal(set) var elapsedSteps = 0

    public init(_ wrapped: Environment, maximumSteps: Int) {
        precondition(maximumSteps > 0, "TimeLimit: maximumSteps must be positive, got \(maximumSteps)")
        self.wrapped = wrapped
        self.maximumSteps = maximumSteps
    }

    public func reset(generator: RandomGenerator) -> [Float] {
        elapsedSteps = 0
        return wrapped.reset(generator: generator)
    }

    public func step(_ action: Action) -> Transition {
        var transition = wrapped.step(action)
        elapsedSteps += 1
        if elapsedSteps >= maximumSteps { transition.truncated = true }
        return transition
    }
}
