import Nabla
#if canImport(Glibc)
import Glibc
#endif

/// SWATS (Keskar & Socher, 2017, "Improving Generalization Performance by Switching from Adam to SGD"):
/// Adam first; meanwhile, estimate the SGD learning rate whose step would have the same projection on
/// Adam's step, and switch to momentum SGD at that rate once the estimate has settled.
///
/// ```text
/// Adam phase, step k = 1, 2, ...:
///     g ← ∇θ + λ·θ                                      (λ = weightDecay, L2)
///     p ← Adam's step (as `Adam`, bias-corrected, PyTorch's ε placement);  θ ← θ + p
///     if pᵀg ≠ 0:
///         γₖ ← pᵀp / (−pᵀg)                             (the SGD rate whose step projects onto p as p)
///         Λ ← β₂·Λ + (1 − β₂)·γₖ;   Λ̂ ← Λ / (1 − β₂ᵏ)   (its running mean, bias-corrected)
///         if k ≥ minimumAdamSteps and Λ̂ > 0 and |Λ̂ − γₖ| < switchTolerance · Λ̂:
///             switch to SGD with rate Λ̂                 (from the next step on)
/// SGD phase:
///     b ← β₁·b + g                                      (b starts at 0)
///     θ ← θ − (1 − β₁)·Λ̂·(γ / γ_switch)·b
/// ```
///
/// Differences from the paper, and why:
/// - **Criterion.** The paper switches when |Λ̂ − γₖ| < ε with an absolute ε = 10⁻⁹. An absolute
///   threshold depends on the scale of the learning rate and of the gradients, and 10⁻⁹ is below float32
///   resolution for typical rates, so here the tolerance is relative to Λ̂ (default 10⁻³). The paper's
///   test is only `k > 1`; with so few samples Λ̂ agrees with γₖ by accident whenever γ drifts slowly,
///   so switching is allowed only after `minimumAdamSteps` (default 100) Adam steps.
/// - **Granularity.** The paper treats all weights as one vector. Here each parameter tensor estimates
///   and switches on its own (as "local" SWATS variants do), so the optimiser stays one per-parameter
///   update rule; a model with one parameter tensor follows the paper exactly.
/// - **Schedules.** After the switch the SGD rate follows the group's learning rate in proportion
///   (Λ̂ · γ / γ_switch), so a schedule keeps acting on both phases.
///
/// ```swift
/// let optimizer = SWATS(model.parameters(), configuration: .init(learningRate: 1e-3))
/// // ... train; then: optimizer.state(for: weight)?.sgdLearningRate
/// ```
public final class SWATS: OptimizerBase<SWATSConfiguration, SWATSState> {
    public override func makeState(for parameter: Tensor, configuration: SWATSConfiguration) -> SWATSState {
        SWATSState(like: parameter)
    }

    public override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                                state: SWATSState, configuration: SWATSConfiguration) {
        if let rate = state.sgdLearningRate {
            sgdStep(parameter, gradient, state, configuration, switchedRate: rate)
        } else {
            adamStep(parameter, gradient, state, configuration)
        }
    }

    private func adamStep(_ parameter: UnsafeMutableBufferPointer<Float>, _ gradient: UnsafeBufferPointer<Float>,
                          _ state: SWATSState, _ c: SWATSConfiguration) {
        state.step += 1
        let step = Double(state.step)
        let correction1 = 1 - pow(c.beta1, step), correction2 = 1 - pow(c.beta2, step)
        let decay = FloatVector(repeating: Float(c.weightDecay)), beta1Complement = FloatVector(repeating: Float(1 - c.beta1))
        let beta2 = FloatVector(repeating: Float(c.beta2)), beta2Complement = FloatVector(repeating: Float(1 - c.beta2))
        let stepSize = FloatVector(repeating: Float(c.learningRate / correction1))
        let inverseRoot = FloatVector(repeating: Float(1 / correction2.squareRoot())), epsilon = FloatVector(repeating: Float(c.epsilon))
        let values = parameter.baseAddress!, gradients = gradient.baseAddress!
        let first = state.firstMoment!.statePointer, second = state.secondMoment!.statePointer
        // x: pᵀp, y: pᵀg, with p the step just taken (zero in padded lanes, so they add nothing).
        let products = sumOverChunks(parameter.count) { range in
            var stepSquared = 0.0, stepTimesGradient = 0.0
            forEachVector(range) { index, count in
                let value = FloatVector(loadingFrom: values + index, count: count)
                let gradient = FloatVector(loadingFrom: gradients + index, count: count) + decay * value
                let previousMean = FloatVector(loadingFrom: first + index, count: count)
                let mean = previousMean + beta1Complement * (gradient - previousMean)
                let square = beta2 * FloatVector(loadingFrom: second + index, count: count) + beta2Complement * (gradient * gradient)
                mean.store(to: first + index, count: count)
                square.store(to: second + index, count: count)
                let change = -stepSize * mean / (square.laneSquareRoot * inverseRoot + epsilon)
                (value + change).store(to: values + index, count: count)
                stepSquared += Double((change * change).sum())
                stepTimesGradient += Double((change * gradient).sum())
            }
            return SIMD2(stepSquared, stepTimesGradient)
        }
        guard products.y != 0 else { return }
        let estimate = products.x / -products.y
        state.projectionAverage = c.beta2 * state.projectionAverage + (1 - c.beta2) * estimate
        let corrected = state.projectionAverage / correction2
        state.lastEstimate = estimate
        state.correctedEstimate = corrected
        if state.step >= c.minimumAdamSteps && corrected > 0 && abs(corrected - estimate) < c.switchTolerance * corrected {
            state.sgdLearningRate = corrected
            state.learningRateAtSwitch = c.learningRate
            state.switchedAtStep = state.step
            state.momentumBuffer = Tensor.zeros(state.shape)
            state.firstMoment = nil   // Adam's moments are not used again
            state.secondMoment = nil
        }
    }

    private func sgdStep(_ parameter: UnsafeMutableBufferPointer<Float>, _ gradient: UnsafeBufferPointer<Float>,
                         _ state: SWATSState, _ c: SWATSConfiguration, switchedRate: Double) {
        state.step += 1
        let scale = state.learningRateAtSwitch > 0 ? c.learningRate / state.learningRateAtSwitch : 1
        let rate = FloatVector(repeating: Float((1 - c.beta1) * switchedRate * scale))
        let decay = FloatVector(repeating: Float(c.weightDecay)), beta1 = FloatVector(repeating: Float(c.beta1))
        let values = parameter.baseAddress!, gradients = gradient.baseAddress!, buffer = state.momentumBuffer!.statePointer
        forEachChunk(parameter.count) { range in
            forEachVector(range) { index, count in
                let value = FloatVector(loadingFrom: values + index, count: count)
                let gradient = FloatVector(loadingFrom: gradients + index, count: count) + decay * value
                let velocity = beta1 * FloatVector(loadingFrom: buffer + index, count: count) + gradient
                velocity.store(to: buffer + index, count: count)
                (value - rate * velocity).store(to: values + index, count: count)
            }
        }
    }
}

/// Hyper-parameters of `SWATS`: Adam's (PyTorch's defaults) and the switching rule's.
public struct SWATSConfiguration: AdamFamilyConfiguration {
    public static let optimizerName = "SWATS"
    public var learningRate: Double
    /// β₁: Adam's first-moment decay, and the SGD phase's momentum.
    public var beta1: Double
    /// β₂: Adam's second-moment decay, and the decay of the running estimate of the SGD rate.
    public var beta2: Double
    public var epsilon: Double
    /// L2 penalty added to the gradient in both phases.
    public var weightDecay: Double
    /// The switch happens when the estimate of the SGD rate is within this fraction of its running mean.
    public var switchTolerance: Double
    /// Adam steps before a switch is allowed, so that the running mean has seen enough estimates.
    public var minimumAdamSteps: Int

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, switchTolerance: Double = 1e-3, minimumAdamSteps: Int = 100) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.switchTolerance = switchTolerance
        self.minimumAdamSteps = minimumAdamSteps
    }

    public init() { self.init(learningRate: 1e-3) }

    public func validate() {
        validateAdamFamily()
        precondition(switchTolerance >= 0, "SWATS: switch tolerance must not be negative, got \(switchTolerance)")
        precondition(minimumAdamSteps >= 1, "SWATS: minimum Adam steps must be at least 1, got \(minimumAdamSteps)")
    }
}

/// Per-parameter state of `SWATS`: Adam's moments until the switch, then the SGD momentum buffer.
public final class SWATSState {
    public let shape: [Int]
    /// Steps taken in either phase.
    public internal(set) var step = 0
    public internal(set) var firstMoment: Tensor?
    public internal(set) var secondMoment: Tensor?
    /// Λ, the running mean of the per-step estimates γₖ (not bias-corrected).
    public internal(set) var projectionAverage = 0.0
    /// γₖ of the latest Adam step.
    public internal(set) var lastEstimate: Double?
    /// Λ̂ of the latest Adam step.
    public internal(set) var correctedEstimate: Double?
    /// The SGD learning rate Λ̂ fixed at the switch; nil while in the Adam phase.
    public internal(set) var sgdLearningRate: Double?
    /// The step whose estimate triggered the switch.
    public internal(set) var switchedAtStep: Int?
    /// The group's learning rate at the switch, against which later schedule changes are scaled.
    public internal(set) var learningRateAtSwitch = 0.0
    public internal(set) var momentumBuffer: Tensor?

    /// Whether this parameter now takes SGD steps.
    public var isUsingSGD: Bool { sgdLearningRate != nil }

    init(like parameter: Tensor) {
        shape = parameter.shape
        firstMoment = stateBuffer(like: parameter)
        secondMoment = stateBuffer(like: parameter)
    }
}
