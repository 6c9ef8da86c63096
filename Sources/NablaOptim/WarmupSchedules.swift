import Nabla
#if canImport(Glibc)
import Glibc
#endif

// Schedules that raise the rate at the start of training, before large steps are safe.

/// The rate scaled linearly from `startFactor`·γ₀ to `endFactor`·γ₀ over `totalSteps` steps, then held
/// (PyTorch's `LinearLR`); with the defaults a warm-up from γ₀/3:
///
/// ```text
/// γₖ = γ₀·(s + (e − s)·min(k, T) / T)
/// ```
///
/// ```swift
/// LinearSchedule(startFactor: 0.1, totalSteps: 5)   // 0.1γ₀, 0.28γ₀, 0.46γ₀, 0.64γ₀, 0.82γ₀, γ₀, γ₀, ...
/// ```
public struct LinearSchedule: LearningRateSchedule {
    public let startFactor: Double
    public let endFactor: Double
    public let totalSteps: Int

    public init(startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalSteps: Int = 5) {
        precondition(startFactor > 0 && startFactor <= 1, "LinearSchedule: start factor must be in (0, 1], got \(startFactor)")
        precondition(endFactor >= 0 && endFactor <= 1, "LinearSchedule: end factor must be in [0, 1], got \(endFactor)")
        precondition(totalSteps >= 0, "LinearSchedule: total steps must not be negative, got \(totalSteps)")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalSteps = totalSteps
    }

    public func learningRate(atStep step: Int, initial: Double) -> Double {
        guard totalSteps > 0 else { return initial * endFactor }
        return initial * (startFactor + (endFactor - startFactor) * Double(min(step, totalSteps)) / Double(totalSteps))
    }
}

/// The Transformer's schedule (Vaswani et al., 2017, "Noam"): a linear warm-up over `warmupSteps` steps,
/// then decay with the inverse square root of the step, scaled by d_model^(−1/2):
///
/// ```text
/// γₖ = γ₀ · d^(−1/2) · min((k + 1)^(−1/2), (k + 1)·w^(−3/2))       (k + 1: the paper counts from 1)
/// ```
///
/// The peak, at k + 1 = w, is γ₀/√(d·w). With `modelDimension: 1` the formula is the plain inverse
/// square-root warm-up, up to the factor.
///
/// ```swift
/// NoamSchedule(modelDimension: 512, warmupSteps: 4000)   // with γ₀ = 1, as in the paper
/// ```
public struct NoamSchedule: LearningRateSchedule {
    public let modelDimension: Int
    public let warmupSteps: Int

    public init(modelDimension: Int, warmupSteps: Int) {
        precondition(modelDimension > 0, "NoamSchedule: model dimension must be positive, got \(modelDimension)")
        precondition(warmupSteps > 0, "NoamSchedule: warm-up steps must be positive, got \(warmupSteps)")
        self.modelDimension = modelDimension
        self.warmupSteps = warmupSteps
    }

    public func learningRate(atStep step: Int, initial: Double) -> Double {
        let count = Double(step + 1)
        return initial * pow(Double(modelDimension), -0.5) * min(pow(count, -0.5), count * pow(Double(warmupSteps), -1.5))
    }
}
