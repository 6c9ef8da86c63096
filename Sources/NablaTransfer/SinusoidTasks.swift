import Nabla

/// The sinusoid regression tasks of the MAML paper (Finn et al., 2017): y = A sin(x − φ) with amplitude
/// A uniform in [0.1, 5], phase φ uniform in [0, π], and inputs x uniform in [−5, 5]. Each task is one
/// (A, φ); a learner sees K points of it and must predict the whole curve.
public struct SinusoidTasks: Sendable {
    public var amplitudes: ClosedRange<Float> = 0.1...5
    public var phases: ClosedRange<Float> = 0...Float.pi
    public var inputs: ClosedRange<Float> = -5...5

    public init() {}

    /// A batch of tasks: their amplitudes and phases, and `points` random inputs each with their targets.
    public struct Batch {
        public let amplitudes: [Float]
        public let phases: [Float]
        /// (tasks, points, 1).
        public let x: Tensor
        /// (tasks, points, 1).
        public let y: Tensor
        public var taskCount: Int { amplitudes.count }

        /// The first `count` points of every task (the support set) and the rest (the query set).
        public func split(at count: Int) -> (support: Batch, query: Batch) {
            precondition(count > 0 && count < x.shape[1], "SinusoidTasks.Batch.split: \(count) of \(x.shape[1]) points")
            func part(_ start: Int, _ end: Int) -> Batch {
                Batch(amplitudes: amplitudes, phases: phases, x: x.sliced(axis: 1, start: start, end: end).contiguous(),
                      y: y.sliced(axis: 1, start: start, end: end).contiguous())
            }
            return (part(0, count), part(count, x.shape[1]))
        }
    }

    /// The target curve of a task at `x`.
    public static func value(amplitude: Float, phase: Float, at x: Float) -> Float { amplitude * Foundation.sin(x - phase) }

    /// `tasks` tasks with `points` inputs each, every draw from `generator`.
    public func sample(tasks: Int, points: Int, generator: RandomGenerator) -> Batch {
        precondition(tasks > 0 && points > 0, "SinusoidTasks.sample: \(tasks) tasks of \(points) points")
        let amplitude = generator.uniform([tasks], low: amplitudes.lowerBound, high: amplitudes.upperBound).scalars
        let phase = generator.uniform([tasks], low: phases.lowerBound, high: phases.upperBound).scalars
        let x = generator.uniform([tasks, points, 1], low: inputs.lowerBound, high: inputs.upperBound)
        let xs = x.scalars
        var ys = [Float](repeating: 0, count: xs.count)
        for task in 0..<tasks {
            for point in 0..<points { ys[task * points + point] = Self.value(amplitude: amplitude[task], phase: phase[task], at: xs[task * points + point]) }
        }
        return Batch(amplitudes: amplitude, phases: phase, x: x, y: Tensor(ys, shape: [tasks, points, 1]))
    }
}

import Foundation
