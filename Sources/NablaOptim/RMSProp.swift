import Nabla

/// RMSProp (Hinton, 2012), centred (Graves, 2013) on request, with momentum, exactly as `torch.optim.RMSprop`:
///
/// ```text
/// v ← 0, ḡ ← 0, b ← 0
/// for each step:
///     g ← ∇θ + λ·θ                                  (λ = weightDecay)
///     v ← α·v + (1 − α)·g²
///     if centered:  ḡ ← α·ḡ + (1 − α)·g;  d ← √(v − ḡ²) + ε
///     else:         d ← √v + ε
///     if μ > 0:     b ← μ·b + g/d;  θ ← θ − γ·b     (μ = momentum)
///     else:         θ ← θ − γ·g/d
/// ```
///
/// ε is added outside the square root, as PyTorch does (TensorFlow adds it inside).
///
/// ```swift
/// let optimizer = RMSProp(model.parameters(), configuration: .init(learningRate: 1e-3, momentum: 0.9))
/// ```
public final class RMSProp: OptimizerBase<RMSPropConfiguration, RMSPropState> {
    public override func makeState(for parameter: Tensor, configuration: RMSPropConfiguration) -> RMSPropState {
        RMSPropState(like: parameter)
    }

    public override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                                state: RMSPropState, configuration: RMSPropConfiguration) {
        state.step += 1
        // Buffers appear when a setting first needs them, so a schedule may switch momentum on mid-run.
        if configuration.centered && state.gradientAverage == nil { state.gradientAverage = Tensor.zeros(state.squareAverage.shape) }
        if configuration.momentum > 0 && state.momentumBuffer == nil { state.momentumBuffer = Tensor.zeros(state.squareAverage.shape) }
        let s = RMSPropScalars(rate: FloatVector(repeating: Float(configuration.learningRate)),
                               decay: FloatVector(repeating: Float(configuration.weightDecay)),
                               alpha: FloatVector(repeating: Float(configuration.alpha)),
                               alphaComplement: FloatVector(repeating: Float(1 - configuration.alpha)),
                               epsilon: FloatVector(repeating: Float(configuration.epsilon)),
                               momentum: FloatVector(repeating: Float(configuration.momentum)))
        let values = parameter.baseAddress!, gradients = gradient.baseAddress!, squares = state.squareAverage.statePointer
        // Unused buffers alias `squares`; the loop never touches them.
        let means = state.gradientAverage?.statePointer ?? squares, velocities = state.momentumBuffer?.statePointer ?? squares
        let centered = configuration.centered, withMomentum = configuration.momentum > 0
        forEachChunk(parameter.count) { range in
            switch (centered, withMomentum) {
            case (true, true): rmsPropLoop(range, values, gradients, squares, means, velocities, s, centered: true, momentum: true)
            case (true, false): rmsPropLoop(range, values, gradients, squares, means, velocities, s, centered: true, momentum: false)
            case (false, true): rmsPropLoop(range, values, gradients, squares, means, velocities, s, centered: false, momentum: true)
            case (false, false): rmsPropLoop(range, values, gradients, squares, means, velocities, s, centered: false, momentum: false)
            }
        }
    }
}

private struct RMSPropScalars {
    var rate: FloatVector
    var decay: FloatVector
    var alpha: FloatVector
    var alphaComplement: FloatVector
    var epsilon: FloatVector
    var momentum: FloatVector
}

@inline(__always)
private func rmsPropLoop(_ range: Range<Int>, _ values: UnsafeMutablePointer<Float>, _ gradients: UnsafePointer<Float>,
                         _ squares: UnsafeMutablePointer<Float>, _ means: UnsafeMutablePointer<Float>,
                         _ velocities: UnsafeMutablePointer<Float>, _ s: RMSPropScalars, centered: Bool, momentum: Bool) {
    forEachVector(range) { index, count in
        let value = FloatVector(loadingFrom: values + index, count: count)
        let gradient = FloatVector(loadingFrom: gradients + index, count: count) + s.decay * value
        let square = s.alpha * FloatVector(loadingFrom: squares + index, count: count) + s.alphaComplement * (gradient * gradient)
        square.store(to: squares + index, count: count)
        var variance = square
        if centered {
            let previousMean = FloatVector(loadingFrom: means + index, count: count)
            let mean = previousMean + s.alphaComplement * (gradient - previousMean)   // PyTorch's lerp form
            mean.store(to: means + index, count: count)
            variance = square - mean * mean
        }
        let scaled = gradient / (variance.laneSquareRoot + s.epsilon)
        if momentum {
            let velocity = s.momentum * FloatVector(loadingFrom: velocities + index, count: count) + scaled
            velocity.store(to: velocities + index, count: count)
            (value - s.rate * velocity).store(to: values + index, count: count)
        } else {
            (value - s.rate * scaled).store(to: values + index, count: count)
        }
    }
}

/// `torch.optim.RMSprop`'s hyper-parameters and defaults.
public struct RMSPropConfiguration: OptimizerConfiguration {
    public var learningRate: Double
    /// α, the decay of the squared gradient's running mean.
    public var alpha: Double
    public var epsilon: Double
    public var weightDecay: Double
    public var momentum: Double
    /// Divide by the running standard deviation of the gradient rather than its root mean square.
    public var centered: Bool

    public init(learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0,
                momentum: Double = 0, centered: Bool = false) {
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    public init() { self.init(learningRate: 1e-2) }

    public var scheduledMomentum: Double? {
        get { momentum }
        set { if let newValue { momentum = newValue } }
    }

    public func validate() {
        precondition(learningRate >= 0, "RMSProp: learning rate must not be negative, got \(learningRate)")
        precondition(alpha >= 0, "RMSProp: alpha must not be negative, got \(alpha)")
        precondition(epsilon >= 0, "RMSProp: epsilon must not be negative, got \(epsilon)")
        precondition(weightDecay >= 0, "RMSProp: weight decay must not be negative, got \(weightDecay)")
        precondition(momentum >= 0, "RMSProp: momentum must not be negative, got \(momentum)")
    }
}

/// Per-parameter state of `RMSProp` (PyTorch's `step`, `square_avg`, `grad_avg`, `momentum_buffer`).
public final class RMSPropState {
    public internal(set) var step = 0
    /// The running mean of the squared gradient.
    public let squareAverage: Tensor
    /// The running mean of the gradient, when centred.
    public internal(set) var gradientAverage: Tensor?
    /// The momentum buffer, when momentum is used.
    public internal(set) var momentumBuffer: Tensor?

    init(like parameter: Tensor) { squareAverage = stateBuffer(like: parameter) }
}
