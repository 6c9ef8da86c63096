import Foundation
import Nabla

/// MountainCarContinuous-v0: the mountain car with a force in [-1, 1]; reaching x ≥ 0.45 pays 100, and
/// every step costs 0.1·a². Gymnasium keeps this state in float32 and, under NumPy 2's promotion rules,
/// does most of the update in float32 too, so this one follows it in `Float` to stay on its trajectory.
public final class ContinuousMountainCar: Environment {
    public let name = "MountainCarContinuous-v0"
    static let minimumPosition: Float = -1.2, maximumPosition: Float = 0.6, maximumSpeed: Float = 0.07
    static let goalPosition: Float = 0.45
    static let power = 0.0015

    public var state: [Double] = [-0.5, 0]
    public init() {}

    public var observationSpace: Space {
        .box(low: [Self.minimumPosition, -Self.maximumSpeed], high: [Self.maximumPosition, Self.maximumSpeed])
    }
    public var actionSpace: Space { .box(low: [-1], high: [1]) }
    public var observation: [Float] { state.map { Float($0) } }

    public func reset(generator: RandomGenerator) -> [Float] {
        state = [generator.uniformDouble(-0.6, -0.4), 0]
        return observation
    }

    public func step(_ action: Action) -> Transition {
        let requested = action.vector(for: name, dimension: 1)[0]
        var position = Float(state[0]), velocity = Float(state[1])
        // math.cos works in float64 on the float32 product 3·x. An action inside [-1, 1] stays float32, so
        // force·power and the difference are float32; a clipped one becomes Python's float ±1.0, which
        // makes both float64 until the sum is rounded into the float32 velocity.
        let slope = 0.0025 * cos(Double(3 * position))
        if requested > 1 || requested < -1 {
            velocity += Float((requested > 1 ? 1.0 : -1.0) * Self.power - slope)
        } else {
            velocity += requested * Float(Self.power) - Float(slope)
        }
        velocity = min(max(velocity, -Self.maximumSpeed), Self.maximumSpeed)
        position += velocity
        position = min(max(position, Self.minimumPosition), Self.maximumPosition)
        if position == Self.minimumPosition && velocity < 0 { velocity = 0 }
        state = [Double(position), Double(velocity)]
        let terminated = position >= Self.goalPosition && velocity >= 0
        let reward = (terminated ? 100.0 : 0.0) - pow(Double(requested), 2) * 0.1
        return Transition(observation: observation, reward: reward, terminated: terminated, truncated: false)
    }
}
