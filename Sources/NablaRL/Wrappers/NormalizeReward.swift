import Foundation
import Nabla

/// Divides rewards by the running standard deviation of the discounted return, clipped to ±`clip`
/// (Gymnasium's `NormalizeReward`): keeps value targets near unit scale whatever the reward units.
public final class NormalizeReward: EnvironmentWrapper {
    public let wrapped: Environment
    public var statistics = RunningStatistics(dimension: 1)
    public var updating = true
    public let discount: Double, clip: Double, epsilon = 1e-8
    /// The discounted return accumulated so far in this episode.
    public private(set) var discountedReturn = 0.0

    public init(_ wrapped: Environment, discount: Double = 0.99, clip: Double = 10) {
        self.wrapped = wrapped
        self.discount = discount
        self.clip = clip
    }

    public func reset(generator: RandomGenerator) -> [Float] {
        discountedReturn = 0
        return wrapped.reset(generator: generator)
    }

    public func step(_ action: Action) -> Transition {
        var transition = wrapped.step(action)
        discountedReturn = discountedReturn * discount * (transition.terminated ? 0 : 1) + transition.reward
        if updating { statistics.update([[discountedReturn]]) }
        let scaled = transition.reward / (statistics.variance[0] + epsilon).squareRoot()
        transition.reward = min(max(scaled, -clip), clip)
        return transition
    }
}
