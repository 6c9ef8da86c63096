import Foundation
import Nabla

/// MountainCar-v0: an under-powered car in a valley must rock itself up to the flag at x ≥ 0.5.
/// Gymnasium's float64 update: v += (a − 1)·0.001 − 0.0025·cos 3x, clipped to ±0.07; x += v, clipped to
/// [-1.2, 0.6] with v zeroed at the left wall; reward -1 per step. State: [x, v].
public final class MountainCar: Environment {
    public let name = "MountainCar-v0"
    static let minimumPosition = -1.2, maximumPosition = 0.6, maximumSpeed = 0.07, goalPosition = 0.5
    static let force = 0.001, gravity = 0.0025

    public var state: [Double] = [-0.5, 0]
    public init() {}

    public var observationSpace: Space {
        .box(low: [Float(Self.minimumPosition), Float(-Self.maximumSpeed)], high: [Float(Self.maximumPosition), Float(Self.maximumSpeed)])
    }
    public var actionSpace: Space { .discrete(count: 3) }
    public var observation: [Float] { state.map { Float($0) } }

    public func reset(generator: RandomGenerator) -> [Float] {
        state = [generator.uniformDouble(-0.6, -0.4), 0]
        return observation
    }

    public func step(_ action: Action) -> Transition {
        let push = Double(action.index(for: name, count: 3) - 1)
        var (position, velocity) = (state[0], state[1])
        velocity += push * Self.force + cos(3 * position) * -Self.gravity
        velocity = min(max(velocity, -Self.maximumSpeed), Self.maximumSpeed)
        position += velocity
        position = min(max(position, Self.minimumPosition), Self.maximumPosition)
        if position == Self.minimumPosition && velocity < 0 { velocity = 0 }
        state = [position, velocity]
        let terminated = position >= Self.goalPosition && velocity >= 0
        return Transition(observation: observation, reward: -1, terminated: terminated, truncated: false)
    }
}
