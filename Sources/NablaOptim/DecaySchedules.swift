import Nabla
#if canImport(Glibc)
import Glibc
#endif

// Schedules that only lower the rate from its initial value γ₀. Step k counts optimiser steps or
// epochs, whichever the scheduler is stepped by.

/// γ₀·gammaᶠˡᵒᵒʳ⁽ᵏ ᐟ ˢᵗᵉᵖˢᶦᶻᵉ⁾: multiplied by `gamma` every `stepSize` steps (PyTorch's `StepLR`).
///
/// ```swift
/// StepSchedule(stepSize: 30, gamma: 0.1)   // 0.1, ... (30 steps), 0.01, ...
/// ```
public struct StepSchedule: LearningRateSchedule {
    public let stepSize: Int
    public let gamma: Double

    public init(stepSize: Int, gamma: Double = 0.1) {
        precondition(stepSize > 0, "StepSchedule: step size must be positive, got \(stepSize)")
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(atStep step: Int, initial: Double) -> Double {
        initial * pow(gamma, Double(step / stepSize))
    }
}

/// γ₀·gammaⁿ with n the number of milestones ≤ k (PyTorch's `MultiStepLR`; a milestone listed twice
/// counts twice, as there).
///
/// ```swift
/// MultiStepSchedule(milestones: [30, 80], gamma: 0.1)
/// ```
public struct MultiStepSchedule: LearningRateSchedule {
    public let milestones: [Int]
    public let gamma: Double

    public init(milestones: [Int], gamma: Double = 0.1) {
        precondition(milestones.allSatisfy { $0 >= 0 }, "MultiStepSchedule: milestones must not be negative, got \(milestones)")
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }

    public func learningRate(atStep step: Int, initial: Double) -> Double {
        initial * pow(gamma, Double(milestones.filter { $0 <= step }.count))
    }
}

/// γ₀·gammaᵏ (PyTorch's `ExponentialLR`).
public struct ExponentialSchedule: LearningRateSchedule {
    public let gamma: Double

    public init(gamma: Double) { self.gamma = gamma }

    public func learningRate(atStep step: Int, initial: Double) -> Double { initial * pow(gamma, Double(step)) }
}

/// Cosine annealing from γ₀ down to `minimumLearningRate` over `period` steps (PyTorch's
/// `CosineAnnealingLR`, T_max = period, η_min = minimumLearningRate):
///
/// ```text
/// γₖ = η_min + (γ₀ − η_min)·(1 + cos(π·k / T_max)) / 2
/// ```
///
/// Past `period` the rate rises again along the same cosine, which is what PyTorch's recursive form gives
/// too (it has period 2·T_max). For warm restarts, chain cosine schedules with `SequentialSchedule`.
public struct CosineAnnealingSchedule: LearningRateSchedule {
    public let period: Int
    public let minimumLearningRate: Double

    public init(period: Int, minimumLearningRate: Double = 0) {
        precondition(period > 0, "CosineAnnealingSchedule: period must be positive, got \(period)")
        self.period = period
        self.minimumLearningRate = minimumLearningRate
    }

    public func learningRate(atStep step: Int, initial: Double) -> Double {
        minimumLearningRate + (initial - minimumLearningRate) * (1 + cos(Double.pi * Double(step) / Double(period))) / 2
    }
}
