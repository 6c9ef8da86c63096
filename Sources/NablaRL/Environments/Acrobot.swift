import Foundation
import Nabla

/// Acrobot-v1: swing a two-link chain, torque on the middle joint only, until its tip rises one link
/// length above the base. Gymnasium's "book" dynamics, one fourth-order Runge–Kutta step of 0.2 s in
/// float64, angles wrapped to [-π, π], velocities bounded to 4π and 9π; reward -1 per step, 0 on the
/// terminating one. State: [θ1, θ2, θ̇1, θ̇2]; observation [cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2].
public final class Acrobot: Environment {
    public let name = "Acrobot-v1"
    static let timeStep = 0.2, maximumVelocity1 = 4 * Double.pi, maximumVelocity2 = 9 * Double.pi
    static let torques: [Double] = [-1, 0, 1]

    public var state: [Double] = [0, 0, 0, 0]
    public init() {}

    public var observationSpace: Space {
        let high: [Float] = [1, 1, 1, 1, Float(Self.maximumVelocity1), Float(Self.maximumVelocity2)]
        return .box(low: high.map { -$0 }, high: high)
    }
    public var actionSpace: Space { .discrete(count: 3) }
    public var observation: [Float] {
        [cos(state[0]), sin(state[0]), cos(state[1]), sin(state[1]), state[2], state[3]].map { Float($0) }
    }

    public func reset(generator: RandomGenerator) -> [Float] {
        // Gymnasium casts the start state to float32.
        state = (0..<4).map { _ in Double(Float(generator.uniformDouble(-0.1, 0.1))) }
        return observation
    }

    public func step(_ action: Action) -> Transition {
        let torque = Self.torques[action.index(for: name, count: 3)]
        var next = Self.rungeKutta(state, torque: torque, step: Self.timeStep)
        next[0] = Self.wrap(next[0]); next[1] = Self.wrap(next[1])
        next[2] = min(max(next[2], -Self.maximumVelocity1), Self.maximumVelocity1)
        next[3] = min(max(next[3], -Self.maximumVelocity2), Self.maximumVelocity2)
        state = next
        let terminated = -cos(state[0]) - cos(state[1] + state[0]) > 1.0
        return Transition(observation: observation, reward: terminated ? 0 : -1, terminated: terminated, truncated: false)
    }

    /// Wraps an angle into [-π, π] by whole turns, as Gymnasium's `wrap`.
    static func wrap(_ angle: Double) -> Double {
        var angle = angle
        while angle > Double.pi { angle -= 2 * Double.pi }
        while angle < -Double.pi { angle += 2 * Double.pi }
        return angle
    }

    /// One classical Runge–Kutta step, in the same operation order as Gymnasium's `rk4` over [0, dt].
    static func rungeKutta(_ start: [Double], torque: Double, step: Double) -> [Double] {
        let half = step / 2.0
        let k1 = derivatives(start, torque: torque)
        let k2 = derivatives((0..<4).map { start[$0] + half * k1[$0] }, torque: torque)
        let k3 = derivatives((0..<4).map { start[$0] + half * k2[$0] }, torque: torque)
        let k4 = derivatives((0..<4).map { start[$0] + step * k3[$0] }, torque: torque)
        return (0..<4).map { start[$0] + step / 6.0 * (k1[$0] + 2 * k2[$0] + 2 * k3[$0] + k4[$0]) }
    }

    /// [θ̇1, θ̇2, θ̈1, θ̈2] for unit masses, lengths and moments of inertia (centres of mass at 0.5).
    static func derivatives(_ s: [Double], torque: Double) -> [Double] {
        let m1 = 1.0, m2 = 1.0, l1 = 1.0, lc1 = 0.5, lc2 = 0.5, inertia1 = 1.0, inertia2 = 1.0, g = 9.8
        let (theta1, theta2, dtheta1, dtheta2) = (s[0], s[1], s[2], s[3])
        // Squares grouped as Gymnasium's `x**2` so the float64 results agree bit for bit.
        let d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos(theta2)) + inertia1 + inertia2
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos(theta2)) + inertia2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2) + phi2
        let ddtheta2 = (torque + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin(theta2) - phi2)
            / (m2 * lc2 * lc2 + inertia2 - d2 * d2 / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return [dtheta1, dtheta2, ddtheta1, ddtheta2]
    }
}
