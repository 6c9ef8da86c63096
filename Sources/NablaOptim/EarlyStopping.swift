/// Tells when to stop training because a validation metric has stopped improving, and which epoch was
/// best (to restore its checkpoint).
///
/// ```text
/// after each epoch e (counted from 0), with metric x:
///     if x is better than the best by more than minimumDelta:  best ← x;  bestEpoch ← e;  wait ← 0
///     else:                                                     wait ← wait + 1
///         stop when wait ≥ patience   (so patience 0 stops at the first epoch that does not improve)
/// ```
///
/// The first value that is not NaN is always an improvement; NaN never is. (Keras' `EarlyStopping` without
/// baseline; PyTorch has none built in.)
///
/// ```swift
/// var stopping = EarlyStopping(patience: 5)
/// for epoch in 0..<100 {
///     trainOneEpoch()
///     if stopping.update(validationLoss()) { break }
///     if stopping.improved { saveCheckpoint() }
/// }
/// print("best epoch", stopping.bestEpoch!)
/// ```
public struct EarlyStopping: Sendable {
    /// Epochs without improvement before stopping.
    public let patience: Int
    /// The amount by which a metric must beat the best to count as an improvement.
    public let minimumDelta: Double
    public let mode: MetricMode

    public private(set) var bestValue: Double?
    /// The epoch (0-based count of `update` calls) that gave `bestValue`.
    public private(set) var bestEpoch: Int?
    public private(set) var epochsWithoutImprovement = 0
    /// Epochs recorded so far.
    public private(set) var epochCount = 0
    /// Whether the latest epoch was an improvement.
    public private(set) var improved = false
    public private(set) var shouldStop = false

    public init(patience: Int = 10, minimumDelta: Double = 0, mode: MetricMode = .minimize) {
        precondition(patience >= 0, "EarlyStopping: patience must not be negative, got \(patience)")
        precondition(minimumDelta >= 0, "EarlyStopping: minimum delta must not be negative, got \(minimumDelta)")
        self.patience = patience
        self.minimumDelta = minimumDelta
        self.mode = mode
    }

    /// Records one epoch's metric; returns `shouldStop`.
    @discardableResult
    public mutating func update(_ value: Double) -> Bool {
        let epoch = epochCount
        epochCount += 1
        if let best = bestValue {
            improved = ImprovementThreshold.absolute(minimumDelta).isImprovement(value, over: best, mode: mode)
        } else {
            improved = !value.isNaN
        }
        if improved {
            bestValue = value
            bestEpoch = epoch
            epochsWithoutImprovement = 0
        } else {
            epochsWithoutImprovement += 1
        }
        shouldStop = shouldStop || (!improved && epochsWithoutImprovement >= patience)
        return shouldStop
    }
}
