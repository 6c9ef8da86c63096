import Nabla
#if canImport(Glibc)
import Glibc
#endif

/// Adam (Kingma & Ba, 2015) with optional L2 weight decay and AMSGrad, exactly as `torch.optim.Adam`:
///
/// ```text
/// m ← 0, v ← 0, v_max ← 0
/// for each step t = 1, 2, ...:
///     g ← ∇θ + λ·θ                                  (λ = weightDecay: L2, added to the gradient)
///     m ← β₁·m + (1 − β₁)·g
///     v ← β₂·v + (1 − β₂)·g²
///     if amsgrad:  v_max ← max(v_max, v);  v̂ ← v_max    (the maximum of the raw v, as PyTorch)
///     else:        v̂ ← v
///     θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
/// ```
///
/// ε is added after the bias correction of √v (PyTorch's placement), and the step counter is kept per
/// parameter. For decoupled weight decay use `AdamW`.
///
/// ```swift
/// let optimizer = Adam(model.parameters(), configuration: .init(learningRate: 1e-3))
/// ```
public final class Adam: OptimizerBase<AdamConfiguration, AdamState> {
    public override func makeState(for parameter: Tensor, configuration: AdamConfiguration) -> AdamState {
        AdamState(like: parameter)
    }

    public override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                                state: AdamState, configuration: AdamConfiguration) {
        adamStep(parameter, gradient, state, learningRate: configuration.learningRate, beta1: configuration.beta1,
                 beta2: configuration.beta2, epsilon: configuration.epsilon, l2Decay: configuration.weightDecay,
                 decoupledDecay: 0, amsgrad: configuration.amsgrad)
    }
}

/// AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay, exactly as `torch.optim.AdamW`:
///
/// ```text
/// for each step t = 1, 2, ...:
///     θ ← θ·(1 − γ·λ)                               (λ = weightDecay, default 0.01; not added to g)
///     g ← ∇θ
///     ... then Adam's moments, AMSGrad and update as in `Adam`
/// ```
public final class AdamW: OptimizerBase<AdamWConfiguration, AdamState> {
    public override func makeState(for parameter: Tensor, configuration: AdamWConfiguration) -> AdamState {
        AdamState(like: parameter)
    }

    public override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                                state: AdamState, configuration: AdamWConfiguration) {
        adamStep(parameter, gradient, state, learningRate: configuration.learningRate, beta1: configuration.beta1,
                 beta2: configuration.beta2, epsilon: configuration.epsilon, l2Decay: 0,
                 decoupledDecay: configuration.weightDecay, amsgrad: configuration.amsgrad)
    }
}

/// One Adam step over a parameter: the step's scalars in double precision, then one fused pass.
private func adamStep(_ parameter: UnsafeMutableBufferPointer<Float>, _ gradient: UnsafeBufferPointer<Float>,
                      _ state: AdamState, learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
                      l2Decay: Double, decoupledDecay: Double, amsgrad: Bool) {
    state.step += 1
    let step = Double(state.step)
    let correction1 = 1 - pow(beta1, step), correction2 = 1 - pow(beta2, step)
    let scalars = AdamScalars(
        shrink: Float(1 - learningRate * decoupledDecay), l2Decay: Float(l2Decay),
        beta1Complement: Float(1 - beta1), beta2: Float(beta2), beta2Complement: Float(1 - beta2),
        stepSize: Float(learningRate / correction1), inverseCorrection2Root: Float(1 / correction2.squareRoot()),
        epsilon: Float(epsilon))
    if amsgrad && state.maximumSecondMoment == nil { state.maximumSecondMoment = Tensor.zeros(state.firstMoment.shape) }
    let values = parameter.baseAddress!, gradients = gradient.baseAddress!
    let first = state.firstMoment.statePointer, second = state.secondMoment.statePointer
    let maxima = amsgrad ? state.maximumSecondMoment!.statePointer : second
    forEachChunk(parameter.count) { range in
        if amsgrad {
            adamLoop(range, values, gradients, first, second, maxima, scalars, amsgrad: true)
        } else {
            adamLoop(range, values, gradients, first, second, maxima, scalars, amsgrad: false)
        }
    }
}

/// The per-step constants of the fused Adam loop.
private struct AdamScalars {
    /// 1 − γλ for AdamW's decoupled decay; exactly 1 for Adam.
    var shrink: Float
    /// λ of Adam's L2 decay; 0 for AdamW.
    var l2Decay: Float
    var beta1Complement: Float
    var beta2: Float
    var beta2Complement: Float
    /// γ / (1 − β₁ᵗ)
    var stepSize: Float
    /// 1 / √(1 − β₂ᵗ)
    var inverseCorrection2Root: Float
    var epsilon: Float
}

/// The fused Adam pass over `range`, eight elements at a time.
@inline(__always)
private func adamLoop(_ range: Range<Int>, _ values: UnsafeMutablePointer<Float>, _ gradients: UnsafePointer<Float>,
                      _ first: UnsafeMutablePointer<Float>, _ second: UnsafeMutablePointer<Float>,
                      _ maxima: UnsafeMutablePointer<Float>, _ s: AdamScalars, amsgrad: Bool) {
    let shrink = FloatVector(repeating: s.shrink), l2Decay = FloatVector(repeating: s.l2Decay)
    let beta1Complement = FloatVector(repeating: s.beta1Complement), beta2 = FloatVector(repeating: s.beta2)
    let beta2Complement = FloatVector(repeating: s.beta2Complement), stepSize = FloatVector(repeating: s.stepSize)
    let inverseRoot = FloatVector(repeating: s.inverseCorrection2Root), epsilon = FloatVector(repeating: s.epsilon)
    forEachVector(range) { index, count in
        let value = FloatVector(loadingFrom: values + index, count: count) * shrink
        let gradient = FloatVector(loadingFrom: gradients + index, count: count) + l2Decay * value
        let previousMean = FloatVector(loadingFrom: first + index, count: count)
        let mean = previousMean + beta1Complement * (gradient - previousMean)   // PyTorch's lerp form
        let square = beta2 * FloatVector(loadingFrom: second + index, count: count) + beta2Complement * (gradient * gradient)
        mean.store(to: first + index, count: count)
        square.store(to: second + index, count: count)
        var used = square
        if amsgrad {
            let maximum = FloatVector(loadingFrom: maxima + index, count: count)
            used = square.replacing(with: maximum, where: maximum .> square)
            used.store(to: maxima + index, count: count)
        }
        (value - stepSize * mean / (used.laneSquareRoot * inverseRoot + epsilon)).store(to: values + index, count: count)
    }
}

/// `torch.optim.Adam`'s hyper-parameters and defaults.
public struct AdamConfiguration: AdamFamilyConfiguration {
    public static let optimizerName = "Adam"
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// L2 penalty added to the gradient (not decoupled; see `AdamW`).
    public var weightDecay: Double
    public var amsgrad: Bool

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, amsgrad: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
    }

    public init() { self.init(learningRate: 1e-3) }
}

/// `torch.optim.AdamW`'s hyper-parameters and defaults (weight decay 0.01, decoupled).
public struct AdamWConfiguration: AdamFamilyConfiguration {
    public static let optimizerName = "AdamW"
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Decoupled decay: θ shrinks by the factor 1 − γλ before each step.
    public var weightDecay: Double
    public var amsgrad: Bool

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0.01, amsgrad: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
    }

    public init() { self.init(learningRate: 1e-3) }
}

/// The hyper-parameters every Adam-family optimiser shares (Adam, AdamW, RAdam, SWATS): the learning
/// rate, the two moment decays, ε and a weight decay. β₁ is the coefficient a one-cycle schedule cycles.
public protocol AdamFamilyConfiguration: OptimizerHyperParameters {
    /// The optimiser's name in messages ("Adam", "AdamW", ...).
    static var optimizerName: String { get }
    /// β₁, the decay of the gradient's running mean.
    var beta1: Double { get set }
    /// β₂, the decay of the squared gradient's running mean.
    var beta2: Double { get set }
    var epsilon: Double { get set }
    var weightDecay: Double { get set }
}

extension AdamFamilyConfiguration {
    public var scheduledMomentum: Double? {
        get { beta1 }
        set { if let newValue { beta1 = newValue } }
    }

    public func validate() { validateAdamFamily() }

    /// PyTorch's range checks for the Adam family.
    func validateAdamFamily() {
        let name = Self.optimizerName
        precondition(learningRate >= 0, "\(name): learning rate must not be negative, got \(learningRate)")
        precondition(epsilon >= 0, "\(name): epsilon must not be negative, got \(epsilon)")
        precondition((0..<1).contains(beta1), "\(name): beta1 must be in [0, 1), got \(beta1)")
        precondition((0..<1).contains(beta2), "\(name): beta2 must be in [0, 1), got \(beta2)")
        precondition(weightDecay >= 0, "\(name): weight decay must not be negative, got \(weightDecay)")
    }
}

/// Per-parameter state of `Adam`, `AdamW` and `RAdam` (PyTorch's `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`).
public final class AdamState {
    public internal(set) var step = 0
    /// m, the running mean of the gradient.
    public let firstMoment: Tensor
    /// v, the running mean of the squared gradient.
    public let secondMoment: Tensor
    /// The running maximum of v, with AMSGrad only.
    public internal(set) var maximumSecondMoment: Tensor?

    init(like parameter: Tensor) {
        firstMoment = stateBuffer(like: parameter)
        secondMoment = stateBuffer(like: parameter)
    }
}
