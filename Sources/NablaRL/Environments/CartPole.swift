import Foundation
import Nabla

/// CartPole-v1: push a cart left or right to keep a pole upright (Barto, Sutton and Anderson, 1983),
/// with Gymnasium's constants, explicit Euler integration in float64, +1 reward per step including the
/// terminating one, and termination when |x| > 2.4 or |θ| > 12°. State: [x, ẋ, θ, θ̇].
public final class CartPole: Environment {
    public let name = "CartPole-v1"
    static let gravity = 9.8, cartMass = 1.0, poleMass = 0.1, halfLength = 0.5, forceMagnitude = 10.0, tau = 0.02
    static let thetaThreshold = 12 * 2 * Double.pi / 360, xThreshold = 2.4

    public var state: [Double] = [0, 0, 0, 0]
    public init() {}

    public var observationSpace: Space {
        let high: [Float] = [Float(Self.xThreshold * 2), .greatestFiniteMagnitude, Float(Self.thetaThreshold * 2), .greatestFiniteMagnitude]
        return .box(low: high.map { -$0 }, high: high)
    }
    public var actionSpace: Space { .discrete(count: 2) }
    public var observation: [Float] { state.map { Float($0) } }

    public func reset(generator: RandomGenerator) -> [Float] {
        state = (0..<4).map { _ in generator.uniformDouble(-0.05, 0.05) }
        return observation
    }

    public func step(_ action: Action) -> Transition {
        let force = action.index(for: name, count: 2) == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        var (x, xDot, theta, thetaDot) = (state[0], state[1], state[2], state[3])
        let totalMass = Self.poleMass + Self.cartMass, poleMassLength = Self.poleMass * Self.halfLength
        let cosine = cos(theta), sine = sin(theta)
        // Products grouped as Gymnasium's (np.square first) so the float64 results agree bit for bit.
        let temp = (force + poleMassLength * (thetaDot * thetaDot) * sine) / totalMass
        let thetaAcceleration = (Self.gravity * sine - cosine * temp)
            / (Self.halfLength * (4.0 / 3.0 - Self.poleMass * (cosine * cosine) / totalMass))
        let xAcceleration = temp - poleMassLength * thetaAcceleration * cosine / totalMass
        x += Self.tau * xDot
        xDot += Self.tau * xAcceleration
        theta += Self.tau * thetaDot
        thetaDot += Self.tau * thetaAcceleration
        state = [x, xDot, theta, thetaDot]
        let terminated = x < -Self.xThreshold || x > Self.xThreshold || theta < -Self.thetaThreshold || theta > Self.thetaThreshold
        return Transition(observation: observation, reward: 1, terminated: terminated, truncated: false)
    }
}
