import Foundation
import Nabla

/// Pendulum-v1: swing a pendulum up and hold it with a torque in [-2, 2]. Gymnasium's float64 update
/// θ̇ += (3g/2l·sin θ + 3/(ml²)·u)·0.05 (clipped to ±8), θ += θ̇·0.05, cost
/// normalised(θ)² + 0.1·θ̇² + 0.001·u²; never terminates (the time limit of 200 steps ends it).
/// State: [θ, θ̇]; observation [cos θ, sin θ, θ̇].
public final class Pendulum: Environment {
    public let name = "Pendulum-v1"
    static let maximumSpeed = 8.0, maximumTorque: Float = 2.0, timeStep = 0.05, gravity = 10.0, mass = 1.0, length = 1.0

    public var state: [Double] = [0, 0]
    public init() {}

    public var observationSpace: Space { .box(low: [-1, -1, -8], high: [1, 1, 8]) }
    public var actionSpace: Space { .box(low: [-Self.maximumTorque], high: [Self.maximumTorque]) }
    public var observation: [Float] { [Float(cos(state[0])), Float(sin(state[0])), Float(state[1])] }

    public func reset(generator: RandomGenerator) -> [Float] {
        state = [generator.uniformDouble(-Double.pi, Double.pi), generator.uniformDouble(-1, 1)]
        return observation
    }

    public func step(_ action: Action) -> Transition {
        // Gymnasium's torque stays float32 (the action's type), and NumPy 2 keeps products of it with
        // Python floats in float32; those two terms are rounded the same way here.
        let torque = min(max(action.vector(for: name, dimension: 1)[0], -Self.maximumTorque), Self.maximumTorque)
        let (theta, thetaDot) = (state[0], state[1])
        let torqueCost = Double(Float(0.001) * (torque * torque))
        let cost = pow(Self.normalise(theta), 2) + 0.1 * (thetaDot * thetaDot) + torqueCost
        let torqueAcceleration = Double(Float(3.0 / (Self.mass * Self.length * Self.length)) * torque)
        var newThetaDot = thetaDot + (3 * Self.gravity / (2 * Self.length) * sin(theta) + torqueAcceleration) * Self.timeStep
        newThetaDot = min(max(newThetaDot, -Self.maximumSpeed), Self.maximumSpeed)
        state = [theta + newThetaDot * Self.timeStep, newThetaDot]
        return Transition(observation: observation, reward: -cost, terminated: false, truncated: false)
    }

    /// The angle taken into [-π, π), as Gymnasium's `angle_normalize`.
    static func normalise(_ angle: Double) -> Double {
        // Python's float modulo: C's fmod, moved into the divisor's sign.
        let turn = 2 * Double.pi
        var remainder = fmod(angle + Double.pi, turn)
        if remainder != 0 && remainder < 0 { remainder += turn }
        return remainder - Double.pi
    }
}
