import Foundation
import Nabla

/// Scales observations by running statistics to roughly zero mean and unit variance, clipped to
/// ±`clip` (Gymnasium's `NormalizeObservation`). Statistics update on every observation until frozen.
public final class NormalizeObservation: EnvironmentWrapper {
    public let wrapped: Environment
    public var statistics: RunningStatistics
    public var updating = true
    public let clip: Double
    public let epsilon = 1e-8

    public init(_ wrapped: Environment, clip: Double = 10) {
        self.wrapped = wrapped
        self.clip = clip
        statistics = RunningStatistics(dimension: wrapped.observationSpace.dimension)
    }

    public var observationSpace: Space {
        let dimension = wrapped.observationSpace.dimension
        return .box(low: Array(repeating: Float(-clip), count: dimension), high: Array(repeating: Float(clip), count: dimension))
    }
    public var observation: [Float] { normalise(wrapped.observation, update: false) }

    public func reset(generator: RandomGenerator) -> [Float] { normalise(wrapped.reset(generator: generator), update: updating) }

    public func step(_ action: Action) -> Transition {
        var transition = wrapped.step(action)
        transition.observation = normalise(transition.observation, update: updating)
        return transition
    }

    func normalise(_ raw: [Float], update: Bool) -> [Float] {
        if update { statistics.update([raw.map { Double($0) }]) }
        return raw.indices.map { index in
            let scaled = (Double(raw[index]) - statistics.mean[index]) / (statistics.variance[index] + epsilon).squareRoot()
            return Float(min(max(scaled, -clip), clip))
        }
    }
}
