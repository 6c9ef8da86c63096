import Nabla

/// Adagrad (Duchi et al., 2011), exactly as `torch.optim.Adagrad`:
///
/// ```text
/// s ← initialAccumulatorValue
/// for each step t = 1, 2, ...:
///     g ← ∇θ + λ·θ                                  (λ = weightDecay)
///     γₜ ← γ / (1 + (t − 1)·η)                      (η = learningRateDecay)
///     s ← s + g²
///     θ ← θ − γₜ · g / (√s + ε)
/// ```
///
/// ```swift
/// let optimizer = Adagrad(model.parameters(), configuration: .init(learningRate: 0.1))
/// ```
public final class Adagrad: OptimizerBase<AdagradConfiguration, AdagradState> {
    public override func makeState(for parameter: Tensor, configuration: AdagradConfiguration) -> AdagradState {
        AdagradState(sum: stateBuffer(like: parameter, value: Float(configuration.initialAccumulatorValue)))
    }

    public override func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                                state: AdagradState, configuration: AdagradConfiguration) {
        state.step += 1
        let rate = FloatVector(repeating: Float(configuration.learningRate / (1 + Double(state.step - 1) * configuration.learningRateDecay)))
        let decay = FloatVector(repeating: Float(configuration.weightDecay)), epsilon = FloatVector(repeating: Float(configuration.epsilon))
        let values = parameter.baseAddress!, gradients = gradient.baseAddress!, sums = state.sum.statePointer
        forEachChunk(parameter.count) { range in
            forEachVector(range) { index, count in
                let value = FloatVector(loadingFrom: values + index, count: count)
                let gradient = FloatVector(loadingFrom: gradients + index, count: count) + decay * value
                let sum = FloatVector(loadingFrom: sums + index, count: count) + gradient * gradient
                sum.store(to: sums + index, count: count)
                (value - rate * gradient / (sum.laneSquareRoot + epsilon)).store(to: values + index, count: count)
            }
        }
    }
}

/// `torch.optim.Adagrad`'s hyper-parameters and defaults.
public struct AdagradConfiguration: OptimizerConfiguration {
    public var learningRate: Double
    /// η: the step's rate is γ / (1 + (t − 1)·η).
    public var learningRateDecay: Double
    public var weightDecay: Double
    /// The starting value of every accumulated sum of squares.
    public var initialAccumulatorValue: Double
    public var epsilon: Double

    public init(learningRate: Double = 1e-2, learningRateDecay: Double = 0, weightDecay: Double = 0,
                initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
    }

    public init() { self.init(learningRate: 1e-2) }

    public func validate() {
        precondition(learningRate >= 0, "Adagrad: learning rate must not be negative, got \(learningRate)")
        precondition(learningRateDecay >= 0, "Adagrad: learning-rate decay must not be negative, got \(learningRateDecay)")
        precondition(weightDecay >= 0, "Adagrad: weight decay must not be negative, got \(weightDecay)")
        precondition(initialAccumulatorValue >= 0, "Adagrad: initial accumulator value must not be negative, got \(initialAccumulatorValue)")
        precondition(epsilon >= 0, "Adagrad: epsilon must not be negative, got \(epsilon)")
    }
}

/// Per-parameter state of `Adagrad` (PyTorch's `step` and `sum`).
public final class AdagradState {
    public internal(set) var step = 0
    /// The accumulated sum of squared gradients.
    public let sum: Tensor

    init(sum: Tensor) { self.sum = sum }
}
