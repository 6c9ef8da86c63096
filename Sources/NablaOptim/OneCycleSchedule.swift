import Nabla
#if canImport(Glibc)
import Glibc
#endif

/// The one-cycle policy (Smith & Topin, 2018) with PyTorch's `OneCycleLR` defaults: the rate climbs from
/// max/`divisionFactor` to the maximum over the first `percentStart` of the steps, then anneals to
/// max/(`divisionFactor`·`finalDivisionFactor`); momentum (or β₁) moves the opposite way between
/// `maximumMomentum` and `baseMomentum`.
///
/// ```text
/// γ_init = γ_max / divisionFactor,   γ_min = γ_init / finalDivisionFactor,   a = percentStart·T − 1
/// two phases (default):   0 … a:      γ_init → γ_max,   m_max → m_base
///                         a … T − 1:  γ_max → γ_min,    m_base → m_max
/// three phases:           0 … a:      γ_init → γ_max,   m_max → m_base
///                         a … 2a:     γ_max → γ_init,   m_base → m_max
///                         2a … T − 1: γ_init → γ_min,   m_max
/// within a phase from s to e at fraction f:  cosine  e + (s − e)·(1 + cos πf)/2,   linear  s + (e − s)·f
/// ```
///
/// `maximumLearningRate` nil takes each group's initial rate as its maximum (so groups keep their
/// ratios). Differences from PyTorch: steps past `totalSteps − 1` hold the final rate instead of raising
/// an error; momentum bounds are one value for all groups.
///
/// ```swift
/// let schedule = OneCycleSchedule(totalSteps: epochs * batchesPerEpoch, maximumLearningRate: 0.1)
/// let scheduler = LearningRateScheduler(optimizer, schedule: schedule)   // step it after every batch
/// ```
public struct OneCycleSchedule: LearningRateSchedule {
    public enum Annealing: Sendable { case cosine, linear }

    public let totalSteps: Int
    public let maximumLearningRate: Double?
    public let percentStart: Double
    public let annealing: Annealing
    public let divisionFactor: Double
    public let finalDivisionFactor: Double
    public let threePhase: Bool
    /// Whether to cycle momentum (β₁ for the Adam family); the optimiser must have one.
    public let cycleMomentum: Bool
    public let baseMomentum: Double
    public let maximumMomentum: Double

    public init(totalSteps: Int, maximumLearningRate: Double? = nil, percentStart: Double = 0.3,
                annealing: Annealing = .cosine, divisionFactor: Double = 25, finalDivisionFactor: Double = 1e4,
                threePhase: Bool = false, cycleMomentum: Bool = true, baseMomentum: Double = 0.85,
                maximumMomentum: Double = 0.95) {
        precondition(totalSteps > 0, "OneCycleSchedule: total steps must be positive, got \(totalSteps)")
        precondition(percentStart >= 0 && percentStart <= 1, "OneCycleSchedule: percent start must be in [0, 1], got \(percentStart)")
        precondition(divisionFactor > 0 && finalDivisionFactor > 0,
                     "OneCycleSchedule: division factors must be positive, got \(divisionFactor) and \(finalDivisionFactor)")
        self.totalSteps = totalSteps
        self.maximumLearningRate = maximumLearningRate
        self.percentStart = percentStart
        self.annealing = annealing
        self.divisionFactor = divisionFactor
        self.finalDivisionFactor = finalDivisionFactor
        self.threePhase = threePhase
        self.cycleMomentum = cycleMomentum
        self.baseMomentum = baseMomentum
        self.maximumMomentum = maximumMomentum
    }

    /// One phase: its last step and where rate and momentum go, as fractions of the maximum rate / as momenta.
    private struct Phase {
        var endStep: Double
        var startRate: Double
        var endRate: Double
        var startMomentum: Double
        var endMomentum: Double
    }

    private var phases: [Phase] {
        let initial = 1 / divisionFactor, minimum = initial / finalDivisionFactor
        let rise = percentStart * Double(totalSteps) - 1, last = Double(totalSteps - 1)
        if threePhase {
            return [Phase(endStep: rise, startRate: initial, endRate: 1, startMomentum: maximumMomentum, endMomentum: baseMomentum),
                    Phase(endStep: 2 * percentStart * Double(totalSteps) - 2, startRate: 1, endRate: initial,
                          startMomentum: baseMomentum, endMomentum: maximumMomentum),
                    Phase(endStep: last, startRate: initial, endRate: minimum, startMomentum: maximumMomentum, endMomentum: maximumMomentum)]
        }
        return [Phase(endStep: rise, startRate: initial, endRate: 1, startMomentum: maximumMomentum, endMomentum: baseMomentum),
                Phase(endStep: last, startRate: 1, endRate: minimum, startMomentum: baseMomentum, endMomentum: maximumMomentum)]
    }

    /// The phase in force at `step` and the fraction of it done (PyTorch's loop over phases).
    private func position(_ step: Int) -> (Phase, Double) {
        let step = Double(min(step, totalSteps - 1))
        var start = 0.0
        let phases = self.phases
        for (index, phase) in phases.enumerated() {
            if step <= phase.endStep || index == phases.count - 1 {
                let length = phase.endStep - start
                return (phase, length > 0 ? (step - start) / length : 1)
            }
            start = phase.endStep
        }
        fatalError("unreachable: the last phase always matches")
    }

    private func anneal(_ start: Double, _ end: Double, _ fraction: Double) -> Double {
        switch annealing {
        case .cosine: return end + (start - end) / 2 * (cos(Double.pi * fraction) + 1)
        case .linear: return (end - start) * fraction + start
        }
    }

    public func learningRate(atStep step: Int, initial: Double) -> Double {
        let maximum = maximumLearningRate ?? initial
        let (phase, fraction) = position(step)
        return anneal(phase.startRate * maximum, phase.endRate * maximum, fraction)
    }

    public func momentum(atStep step: Int) -> Double? {
        guard cycleMomentum else { return nil }
        let (phase, fraction) = position(step)
        return anneal(phase.startMomentum, phase.endMomentum, fraction)
    }
}
