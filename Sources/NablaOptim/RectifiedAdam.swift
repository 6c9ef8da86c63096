import Nabla
#if canImport(Glibc)
import Glibc
#endif

/// RAdam (Liu et al., 2020): Adam whose adaptive step is switched on only once the variance of the
/// adaptive rate is tractable, and then rectified; exactly as `torch.optim.RAdam`:
///
/// ```text
/// m ← 0, v ← 0, ρ∞ ← 2/(1 − β₂) − 1
/// for each step t = 1, 2, ...:
///     if decoupledWeightDecay:  θ ← θ·(1 − γλ);  g ← ∇θ
///     else:                     g ← ∇θ + λ·θ
///     m ← β₁·m + (1 − β₁)·g
///     v ← β₂·v + (1 − β₂)·g²
///     m̂ ← m / (1 − β₁ᵗ)
///     ρₜ ← ρ∞ − 2t·β₂ᵗ / (1 − β₂ᵗ)
///     if ρₜ > 5:
///         r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
///         θ ← θ − γ · m̂ · r · √(1 − β₂ᵗ) / (√v + ε)       (ε added to the uncorrected √v, as PyTorch)
///     else:
///         θ ← θ − γ · m̂                                     (plain momentum SGD while the variance is intractable)
/// ```
///
/// With the default β₂ = 0.999 the first five steps take the un-adapted branch.
///
/// ```swift
/// let optimizer = RAdam(model.parameters(), configuration: .init(learningRate: 1e-3))
/// ```
public final class RAdam: OptimizerBase<RAdamConfiguration, AdamState> {
    public override func makeState(for parameter: Tensor, configuration: RAdamConfiguration) -> AdamState {
        AdamState(like: parameter)
    }

    public override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                                state: AdamState, configuration: RAdamConfiguration) {
        state.step += 1
        let c = configuration, step = Double(state.step)
        let correction1 = 1 - pow(c.beta1, step), correction2 = 1 - pow(c.beta2, step)
        let rhoInfinity = 2 / (1 - c.beta2) - 1
        let rho = rhoInfinity - 2 * step * pow(c.beta2, step) / correction2
        let decoupled = c.decoupledWeightDecay
        let shrink = FloatVector(repeating: Float(decoupled ? 1 - c.learningRate * c.weightDecay : 1))
        let l2Decay = FloatVector(repeating: Float(decoupled ? 0 : c.weightDecay))
        let beta1Complement = FloatVector(repeating: Float(1 - c.beta1)), beta2 = FloatVector(repeating: Float(c.beta2))
        let beta2Complement = FloatVector(repeating: Float(1 - c.beta2)), epsilon = FloatVector(repeating: Float(c.epsilon))
        let values = parameter.baseAddress!, gradients = gradient.baseAddress!
        let first = state.firstMoment.statePointer, second = state.secondMoment.statePointer
        let rectified = rho > 5
        // The whole multiplier of m (or of m / (√v + ε)) in one constant.
        let factor: Double
        if rectified {
            let rectification = ((rho - 4) * (rho - 2) * rhoInfinity / ((rhoInfinity - 4) * (rhoInfinity - 2) * rho)).squareRoot()
            factor = c.learningRate * rectification * correction2.squareRoot() / correction1
        } else {
            factor = c.learningRate / correction1
        }
        let multiplier = FloatVector(repeating: Float(factor))
        forEachChunk(parameter.count) { range in
            forEachVector(range) { index, count in
                let value = FloatVector(loadingFrom: values + index, count: count) * shrink
                let gradient = FloatVector(loadingFrom: gradients + index, count: count) + l2Decay * value
                let previousMean = FloatVector(loadingFrom: first + index, count: count)
                let mean = previousMean + beta1Complement * (gradient - previousMean)
                let square = beta2 * FloatVector(loadingFrom: second + index, count: count) + beta2Complement * (gradient * gradient)
                mean.store(to: first + index, count: count)
                square.store(to: second + index, count: count)
                let change = rectified ? multiplier * mean / (square.laneSquareRoot + epsilon) : multiplier * mean
                (value - change).store(to: values + index, count: count)
            }
        }
    }
}

/// `torch.optim.RAdam`'s hyper-parameters and defaults.
public struct RAdamConfiguration: AdamFamilyConfiguration {
    public static let optimizerName = "RAdam"
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// Shrink θ by 1 − γλ (as AdamW) instead of adding λθ to the gradient.
    public var decoupledWeightDecay: Bool

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public init() { self.init(learningRate: 1e-3) }
}
