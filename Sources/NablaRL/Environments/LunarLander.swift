import Foundation
import Nabla

/// LunarLander-v3 (discrete: nothing, left engine, main engine, right engine) and LunarLanderContinuous-v3
/// (main and lateral throttle in [-1, 1]): Gymnasium's lander, terrain, engines, shaping reward and
/// termination rules on Box2D (Debian's 2.4.1 where Gymnasium's wheel has 2.3.10), without wind.
/// Observation: [x, y, vx, vy, angle, angular velocity, left leg down, right leg down], scaled as Gymnasium's.
///
/// Box2D keeps solver caches that no state vector holds, so `state` is the episode's recipe instead: the
/// 12 terrain heights, the start force, then per step the action (2 values) and the engines' dispersion
/// (2 values). Setting it rebuilds the world and replays the steps, which reproduces the episode exactly.
/// `frameState` has the terrain and the three bodies' poses for drawing.
public final class LunarLander: Environment {
    public let name: String
    public let continuous: Bool

    static let framesPerSecond = 50.0, scale = 30.0, mainEnginePower = 13.0, sideEnginePower = 0.6
    static let initialRandom = 1000.0, mainEngineY = 4.0, sideEngineHeight = 14.0, sideEngineAway = 12.0
    static let landerPolygon: [(Double, Double)] = [(-14, 17), (-17, 0), (-17, -10), (17, -10), (17, 0), (14, 17)]
    static let legAway = 20.0, legDown = 18.0, legWidth = 2.0, legHeight = 8.0, legSpringTorque = 40.0
    static let width = 600.0 / 30.0, height = 400.0 / 30.0, chunks = 11
    static let helipadY = height / 4
    /// Values of `state` before the per-step records: 12 heights and the start force.
    static let headerCount = chunks + 1 + 2

    private var world: Box2DWorld?
    private let moon: Int32 = 0, lander: Int32 = 1, legs: [Int32] = [2, 3]
    private var heights: [Double] = [], force = (0.0, 0.0)
    private var records: [Double] = []
    private var previousShaping: Double?
    private var generator: RandomGenerator?
    /// Gymnasium's float64 `state` list of the latest step (the observation before its float32 cast).
    private(set) var physicalObservation = [Double](repeating: 0, count: 8)

    public init(continuous: Bool = false) {
        self.continuous = continuous
        name = continuous ? "LunarLanderContinuous-v3" : "LunarLander-v3"
    }

    public var observationSpace: Space {
        .box(low: [-2.5, -2.5, -10, -10, Float(-2 * Double.pi), -10, -0, -0],
             high: [2.5, 2.5, 10, 10, Float(2 * Double.pi), 10, 1, 1])
    }
    public var actionSpace: Space { continuous ? .box(low: [-1, -1], high: [1, 1]) : .discrete(count: 4) }
    public var observation: [Float] { physicalObservation.map { Float($0) } }

    public var state: [Double] {
        get { heights.isEmpty ? [] : heights + [force.0, force.1] + records }
        set {
            precondition(accepts(savedState: newValue), "\(name): a state needs \(Self.headerCount) values and 4 per step, got \(newValue.count)")
            let saved = Array(newValue[Self.headerCount...])
            build(heights: Array(newValue[0..<(Self.chunks + 1)]), force: (newValue[Self.chunks + 1], newValue[Self.chunks + 2]))
            for start in stride(from: 0, to: saved.count, by: 4) {
                _ = advance(saved[start], saved[start + 1], dispersion: (saved[start + 2], saved[start + 3]))
            }
        }
    }

    public func accepts(savedState: [Double]) -> Bool {
        savedState.count >= Self.headerCount && (savedState.count - Self.headerCount) % 4 == 0
    }

    /// The terrain's 11 smoothed heights, then x, y and angle of the lander and both legs.
    public var frameState: [Double] {
        guard let world else { return [] }
        return smoothHeights(heights) + [lander, legs[0], legs[1]].flatMap { body -> [Double] in
            let pose = world.state(of: body)
            return [pose.x, pose.y, pose.angle]
        }
    }

    public func reset(generator: RandomGenerator) -> [Float] {
        self.generator = generator
        let terrain = (0...Self.chunks).map { _ in generator.uniformDouble(0, Self.height / 2) }
        let push = (generator.uniformDouble(-Self.initialRandom, Self.initialRandom),
                    generator.uniformDouble(-Self.initialRandom, Self.initialRandom))
        build(heights: terrain, force: push)
        // Gymnasium's reset returns the observation of one step with the engines off.
        return step(continuous ? .continuous([0, 0]) : .discrete(0)).observation
    }

    /// Draws the engines' dispersion from `generator` from now on (`reset` sets it; a copy whose `state`
    /// was set continues with the generator given here).
    func reseat(generator: RandomGenerator) { self.generator = generator }

    public func step(_ action: Action) -> Transition {
        guard let generator else { preconditionFailure("\(name): call reset before step") }
        let main: Double, lateral: Double
        if continuous {
            let vector = action.vector(for: name, dimension: 2)
            main = min(max(Double(vector[0]), -1), 1)
            lateral = min(max(Double(vector[1]), -1), 1)
        } else {
            main = Double(action.index(for: name, count: 4))
            lateral = 0
        }
        let dispersion = (generator.uniformDouble(-1, 1) / Self.scale, generator.uniformDouble(-1, 1) / Self.scale)
        let (reward, terminated) = advance(main, lateral, dispersion: dispersion)
        return Transition(observation: observation, reward: reward, terminated: terminated, truncated: false)
    }

    /// Gymnasium's `smooth_y`: the five chunks around the helipad flattened to its height, then each
    /// chunk's height averaged with its neighbours (the first wraps round to the last, as Python's [-1]).
    func smoothHeights(_ terrain: [Double]) -> [Double] {
        var heights = terrain
        for index in (Self.chunks / 2 - 2)...(Self.chunks / 2 + 2) { heights[index] = Self.helipadY }
        return (0..<Self.chunks).map { index in 0.33 * (heights[(index + Self.chunks) % (Self.chunks + 1)] + heights[index] + heights[index + 1]) }
    }

    /// A fresh world with Gymnasium's terrain (the helipad chunks flattened), lander and legs, and the start force.
    private func build(heights terrain: [Double], force push: (Double, Double)) {
        heights = terrain
        force = push
        records = []
        previousShaping = nil
        let world = Box2DWorld(gravity: (0, -10))
        self.world = world
        let smooth = smoothHeights(terrain)
        let chunkX = (0..<Self.chunks).map { Self.width / Double(Self.chunks - 1) * Double($0) }
        _ = world.makeBody(dynamic: false, at: (0, 0))
        world.addEdge(moon, from: (0, 0), to: (Self.width, 0), Box2DWorld.Material())
        for index in 0..<(Self.chunks - 1) {
            world.addEdge(moon, from: (chunkX[index], smooth[index]), to: (chunkX[index + 1], smooth[index + 1]), Box2DWorld.Material(friction: 0.1))
        }
        let start = (Self.width / 2, Self.height)
        _ = world.makeBody(dynamic: true, at: start)
        world.addPolygon(lander, vertices: Self.landerPolygon.map { ($0.0 / Self.scale, $0.1 / Self.scale) },
                         Box2DWorld.Material(density: 5, friction: 0.1, category: 0x0010, mask: 0x001))
        world.applyForceToCenter(lander, push)
        for (side, leg) in zip([-1.0, 1.0], legs) {
            _ = world.makeBody(dynamic: true, at: (start.0 - side * Self.legAway / Self.scale, start.1), angle: side * 0.05)
            world.addBox(leg, halfWidth: Self.legWidth / Self.scale, halfHeight: Self.legHeight / Self.scale,
                         Box2DWorld.Material(density: 1, category: 0x0020, mask: 0x001))
            world.addRevoluteJoint(lander, leg, anchorA: (0, 0), anchorB: (side * Self.legAway / Self.scale, Self.legDown / Self.scale),
                                   motorTorque: Self.legSpringTorque, motorSpeed: 0.3 * side,
                                   limits: side < 0 ? (0.9 - 0.5, 0.9) : (-0.9, -0.9 + 0.5))
        }
    }

    /// One step of Gymnasium's `step` with the dispersion given: engine impulses, the physics step, the
    /// observation, the shaping reward and the termination rules. Returns the reward and `terminated`.
    private func advance(_ main: Double, _ lateral: Double, dispersion: (Double, Double)) -> (Double, Bool) {
        guard let world else { preconditionFailure("\(name): call reset before step") }
        records += [main, lateral, dispersion.0, dispersion.1]
        let body = world.state(of: lander)
        let tip = (sin(body.angle), cos(body.angle)), side = (-tip.1, tip.0)
        var mainPower = 0.0
        if continuous ? main > 0 : main == 2 {
            mainPower = continuous ? (min(max(main, 0), 1) + 1) * 0.5 : 1
            let reach = Self.mainEngineY / Self.scale + 2 * dispersion.0
            let ox = tip.0 * reach + side.0 * dispersion.1
            let oy = -tip.1 * reach - side.1 * dispersion.1
            world.applyImpulse(lander, (-ox * Self.mainEnginePower * mainPower, -oy * Self.mainEnginePower * mainPower),
                               at: (body.x + ox, body.y + oy))
        }
        var sidePower = 0.0
        if continuous ? abs(lateral) > 0.5 : (main == 1 || main == 3) {
            let direction = continuous ? (lateral > 0 ? 1.0 : -1.0) : main - 2
            sidePower = continuous ? min(max(abs(lateral), 0.5), 1) : 1
            let reach = 3 * dispersion.1 + direction * Self.sideEngineAway / Self.scale
            let ox = tip.0 * dispersion.0 + side.0 * reach
            let oy = -tip.1 * dispersion.0 - side.1 * reach
            // Gymnasium offsets the point by 17 across and SIDE_ENGINE_HEIGHT (14) up.
            world.applyImpulse(lander, (-ox * Self.sideEnginePower * sidePower, -oy * Self.sideEnginePower * sidePower),
                               at: (body.x + ox - tip.0 * 17 / Self.scale, body.y + oy + tip.1 * Self.sideEngineHeight / Self.scale))
        }
        world.step(1 / Self.framesPerSecond, velocityIterations: 6 * 30, positionIterations: 2 * 30)

        let moved = world.state(of: lander)
        let left = world.state(of: legs[0]).inContact != 0, right = world.state(of: legs[1]).inContact != 0
        let halfWidth = Self.width / 2, halfHeight = Self.height / 2
        let s = [(moved.x - halfWidth) / halfWidth,
                 (moved.y - (Self.helipadY + Self.legDown / Self.scale)) / halfHeight,
                 moved.velocityX * halfWidth / Self.framesPerSecond,
                 moved.velocityY * halfHeight / Self.framesPerSecond,
                 moved.angle,
                 20 * moved.angularVelocity / Self.framesPerSecond,
                 left ? 1 : 0, right ? 1 : 0]
        physicalObservation = s
        let shaping = -100 * (s[0] * s[0] + s[1] * s[1]).squareRoot() - 100 * (s[2] * s[2] + s[3] * s[3]).squareRoot()
            - 100 * abs(s[4]) + 10 * s[6] + 10 * s[7]
        var reward = previousShaping.map { shaping - $0 } ?? 0
        previousShaping = shaping
        reward -= mainPower * 0.30
        reward -= sidePower * 0.03
        var terminated = false
        if moved.touched != 0 || abs(s[0]) >= 1 {
            terminated = true
            reward = -100
        }
        if moved.awake == 0 {
            terminated = true
            reward = 100
        }
        return (reward, terminated)
    }
}
