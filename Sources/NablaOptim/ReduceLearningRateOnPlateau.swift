import Nabla

/// Whether a watched metric should go down (a loss) or up (an accuracy).
public enum MetricMode: Sendable {
    case minimize
    case maximize
}

/// How much better a metric must be than the best so far to count as an improvement.
public enum ImprovementThreshold: Sendable, Equatable {
    /// Better by this fraction of the best: below best·(1 − r) when minimising, above best·(1 + r) when maximising.
    case relative(Double)
    /// Better by this amount: below best − a, or above best + a.
    case absolute(Double)

    func isImprovement(_ value: Double, over best: Double, mode: MetricMode) -> Bool {
        switch (mode, self) {
        case (.minimize, .relative(let r)): return value < best * (1 - r)
        case (.minimize, .absolute(let a)): return value < best - a
        case (.maximize, .relative(let r)): return value > best * (1 + r)
        case (.maximize, .absolute(let a)): return value > best + a
        }
    }
}

/// Lowers the learning rates when a metric stops improving (PyTorch's `ReduceLROnPlateau`, same defaults;
/// the minimum rate is one value for all groups, where PyTorch also takes a list):
///
/// ```text
/// after each epoch, with metric x:
///     if x improves on the best by the threshold:  best ← x;  bad ← 0      else  bad ← bad + 1
///     if cooling down:                             cooldown ← cooldown − 1;  bad ← 0
///     if bad > patience:
///         for each group:  γ' ← max(γ·factor, γ_min);  γ ← γ' if γ − γ' > ε
///         cooldown ← cooldown steps;  bad ← 0
/// ```
///
/// ```swift
/// let plateau = ReduceLearningRateOnPlateau(optimizer, factor: 0.5, patience: 3)
/// for epoch in 0..<50 {
///     trainOneEpoch()
///     plateau.step(validationLoss())
/// }
/// ```
public final class ReduceLearningRateOnPlateau {
    public let optimizer: any Optimizer
    public let mode: MetricMode
    public let factor: Double
    /// Epochs without improvement that are tolerated; the rate drops on the next one.
    public let patience: Int
    public let threshold: ImprovementThreshold
    /// Epochs after a reduction during which bad epochs are not counted.
    public let cooldown: Int
    public let minimumLearningRate: Double
    /// Reductions smaller than this are skipped.
    public let epsilon: Double

    /// The best metric so far (+∞ or −∞ before the first).
    public internal(set) var best: Double
    /// Consecutive epochs without improvement.
    public internal(set) var badEpochs = 0
    public internal(set) var cooldownRemaining = 0
    /// Epochs seen (calls to `step`).
    public internal(set) var epoch = 0

    public init(_ optimizer: any Optimizer, mode: MetricMode = .minimize, factor: Double = 0.1, patience: Int = 10,
                threshold: ImprovementThreshold = .relative(1e-4), cooldown: Int = 0, minimumLearningRate: Double = 0,
                epsilon: Double = 1e-8) {
        precondition(factor < 1 && factor >= 0, "ReduceLearningRateOnPlateau: factor must be in [0, 1), got \(factor)")
        precondition(patience >= 0 && cooldown >= 0,
                     "ReduceLearningRateOnPlateau: patience and cooldown must not be negative, got \(patience) and \(cooldown)")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.minimumLearningRate = minimumLearningRate
        self.epsilon = epsilon
        best = mode == .minimize ? .infinity : -.infinity
    }

    /// Records one epoch's metric; returns whether the rates were lowered.
    @discardableResult
    public func step(_ metric: Double) -> Bool {
        epoch += 1
        if threshold.isImprovement(metric, over: best, mode: mode) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownRemaining > 0 {
            cooldownRemaining -= 1
            badEpochs = 0
        }
        guard badEpochs > patience else { return false }
        optimizer.learningRates = optimizer.learningRates.map { rate in
            let lowered = max(rate * factor, minimumLearningRate)
            return rate - lowered > epsilon ? lowered : rate
        }
        cooldownRemaining = cooldown
        badEpochs = 0
        return true
    }

    /// The rates now in force.
    public var learningRates: [Double] { optimizer.learningRates }
}
