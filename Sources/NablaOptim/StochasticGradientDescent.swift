import Nabla

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay, exactly
/// as `torch.optim.SGD`:
///
/// ```text
/// for each step t = 1, 2, ...:
///     g ← ∇θ + λ·θ                                  (λ = weightDecay)
///     if μ ≠ 0:                                     (μ = momentum, τ = dampening)
///         b ← g                          if t = 1   (the first buffer is the gradient itself, no dampening)
///         b ← μ·b + (1 − τ)·g            otherwise
///         g ← g + μ·b  if nesterov,  else  g ← b
///     θ ← θ − γ·g                                   (γ = learningRate)
/// ```
///
/// ```swift
/// let optimizer = SGD(model.parameters(), configuration: .init(learningRate: 0.1, momentum: 0.9))
/// ```
public final class SGD: OptimizerBase<SGDConfiguration, SGDState> {
    public override func makeState(for parameter: Tensor, configuration: SGDConfiguration) -> SGDState {
        SGDState(shape: parameter.shape)
    }

    public override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                                state: SGDState, configuration: SGDConfiguration) {
        let values = parameter.baseAddress!, gradients = gradient.baseAddress!
        let rate = Float(configuration.learningRate), decay = Float(configuration.weightDecay)
        state.step += 1
        guard configuration.momentum != 0 else {
            let rate = FloatVector(repeating: rate), decay = FloatVector(repeating: decay)
            forEachChunk(parameter.count) { range in
                forEachVector(range) { index, count in
                    let value = FloatVector(loadingFrom: values + index, count: count)
                    let gradient = FloatVector(loadingFrom: gradients + index, count: count) + decay * value
                    (value - rate * gradient).store(to: values + index, count: count)
                }
            }
            return
        }
        // The buffer starts at the first step with momentum, which is also when a schedule first switches it on.
        let isFirst = state.momentumBuffer == nil
        if isFirst { state.momentumBuffer = Tensor.zeros(state.shape) }
        let buffer = state.momentumBuffer!.statePointer
        let momentum = Float(configuration.momentum), undamped = Float(1 - configuration.dampening)
        let nesterov = configuration.nesterov
        forEachChunk(parameter.count) { range in
            switch (isFirst, nesterov) {
            case (true, true): sgdMomentumLoop(range, values, gradients, buffer, rate, decay, momentum, undamped, first: true, nesterov: true)
            case (true, false): sgdMomentumLoop(range, values, gradients, buffer, rate, decay, momentum, undamped, first: true, nesterov: false)
            case (false, true): sgdMomentumLoop(range, values, gradients, buffer, rate, decay, momentum, undamped, first: false, nesterov: true)
            case (false, false): sgdMomentumLoop(range, values, gradients, buffer, rate, decay, momentum, undamped, first: false, nesterov: false)
            }
        }
    }
}

/// One pass of SGD with momentum; `first` and `nesterov` are literals at every call, so each of the four
/// uses compiles to its own branch-free loop.
@inline(__always)
private func sgdMomentumLoop(_ range: Range<Int>, _ values: UnsafeMutablePointer<Float>, _ gradients: UnsafePointer<Float>,
                             _ buffer: UnsafeMutablePointer<Float>, _ rate: Float, _ decay: Float, _ momentum: Float,
                             _ undamped: Float, first: Bool, nesterov: Bool) {
    let rate = FloatVector(repeating: rate), decay = FloatVector(repeating: decay)
    let momentum = FloatVector(repeating: momentum), undamped = FloatVector(repeating: undamped)
    forEachVector(range) { index, count in
        let value = FloatVector(loadingFrom: values + index, count: count)
        let gradient = FloatVector(loadingFrom: gradients + index, count: count) + decay * value
        let velocity = first ? gradient : momentum * FloatVector(loadingFrom: buffer + index, count: count) + undamped * gradient
        velocity.store(to: buffer + index, count: count)
        let direction = nesterov ? gradient + momentum * velocity : velocity
        (value - rate * direction).store(to: values + index, count: count)
    }
}

/// `torch.optim.SGD`'s hyper-parameters and defaults.
public struct SGDConfiguration: OptimizerConfiguration {
    public var learningRate: Double
    public var momentum: Double
    public var dampening: Double
    public var weightDecay: Double
    /// Nesterov momentum; needs `momentum > 0` and `dampening == 0`, as in PyTorch.
    public var nesterov: Bool

    public init(learningRate: Double = 1e-3, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
                nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public init() { self.init(learningRate: 1e-3) }

    public var scheduledMomentum: Double? {
        get { momentum }
        set { if let newValue { momentum = newValue } }
    }

    public func validate() {
        precondition(learningRate >= 0, "SGD: learning rate must not be negative, got \(learningRate)")
        precondition(momentum >= 0, "SGD: momentum must not be negative, got \(momentum)")
        precondition(weightDecay >= 0, "SGD: weight decay must not be negative, got \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum \(momentum), dampening \(dampening)")
    }
}

/// Per-parameter state of `SGD`: the momentum buffer once momentum is used (PyTorch's `momentum_buffer`).
public final class SGDState {
    /// The parameter's shape, which the buffer takes.
    public let shape: [Int]
    /// Steps taken for this parameter.
    public internal(set) var step = 0
    /// The momentum buffer; nil until the first step with momentum.
    public internal(set) var momentumBuffer: Tensor?

    init(shape: [Int]) { self.shape = shape }
}
