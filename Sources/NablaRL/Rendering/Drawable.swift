import Foundation
import NablaViz

/// An environment that can draw a state as a frame, in Gymnasium's picture (its geometry and colours)
/// at half its 600×400 size so episode animations stay small.
public protocol Drawable {
    /// The frame for `state` (Gymnasium's layout, as `Environment.frameState`).
    func frame(of state: [Double]) -> Canvas
}

/// A frame's coordinate system with y up, like Gymnasium's pygame drawings before their final flip.
struct FrameGeometry {
    let width: Double, height: Double

    func point(_ x: Double, _ y: Double) -> Point { Point(x: x, y: height - y) }

    /// `corners` (x, y) rotated by `angle` about the origin and moved to `origin`.
    func rotated(_ corners: [(Double, Double)], by angle: Double, around origin: (Double, Double)) -> [Point] {
        corners.map { x, y in
            point(origin.0 + x * cos(angle) - y * sin(angle), origin.1 + x * sin(angle) + y * cos(angle))
        }
    }
}

extension Environment {
    /// The current state drawn, or nil for an environment (or wrapper chain) that cannot draw.
    public func renderFrame() -> Canvas? {
        (innermost as? Drawable)?.frame(of: frameState)
    }

    /// The environment under all wrappers.
    public var innermost: Environment {
        switch self {
        case let wrapper as TimeLimit: return wrapper.wrapped.innermost
        case let wrapper as NormalizeObservation: return wrapper.wrapped.innermost
        case let wrapper as NormalizeReward: return wrapper.wrapped.innermost
        case let wrapper as RecordEpisodes: return wrapper.wrapped.innermost
        default: return self
        }
    }
}

/// Turns a list of states into an animated PNG (Gymnasium's render_fps: 50 for CartPole and LunarLander, 15 for Acrobot,
/// 30 for the others, given as `framesPerSecond`).
public enum EpisodeAnimation {
    public static func make(_ environment: Environment, states: [[Double]], framesPerSecond: Double? = nil, every stride: Int = 1) -> AnimatedPNG? {
        guard let drawable = environment.innermost as? Drawable, !states.isEmpty else { return nil }
        let chosen = Swift.stride(from: 0, to: states.count, by: max(1, stride)).map { states[$0] }
        let rate = framesPerSecond ?? defaultRate(environment.name)
        return AnimatedPNG(frames: chosen.map { drawable.frame(of: $0) }, delay: Double(max(1, stride)) / rate)
    }

    /// Gymnasium's `render_fps` for the environment named `name`.
    public static func defaultRate(_ name: String) -> Double {
        switch name {
        case "CartPole-v1", "LunarLander-v3", "LunarLanderContinuous-v3": return 50
        case "Acrobot-v1": return 15
        default: return 30
        }
    }
}
