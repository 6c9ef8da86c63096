/// Bad settings or data given to a compression method: each case names the setting and what to do.
public enum CompressionError: Error, Equatable, CustomStringConvertible {
    /// A sparsity (fraction of weights to remove) outside [0, 1).
    case sparsityOutOfRange(Double)
    /// Calibration was asked to choose quantisation ranges from no data.
    case emptyCalibrationSet
    /// A percentile for an observer outside (0, 100].
    case percentileOutOfRange(Double)
    /// A distillation temperature that is not positive, or a mixing weight outside [0, 1].
    case invalidDistillationSetting(String)
    /// A student with more parameters than the budget stated for it.
    case studentOverBudget(parameters: Int, budget: Int)
    /// Pruning was asked for a module that holds no prunable (linear or convolution) weights.
    case nothingToPrune

    public var description: String {
        switch self {
        case .sparsityOutOfRange(let value):
            return "sparsity \(value) is outside [0, 1): give the fraction of weights to remove, e.g. 0.5"
        case .emptyCalibrationSet:
            return "the calibration set is empty: give at least one batch of inputs to observe activation ranges"
        case .percentileOutOfRange(let value):
            return "percentile \(value) is outside (0, 100]: use e.g. 99.99"
        case .invalidDistillationSetting(let detail):
            return "distillation setting: \(detail)"
        case .studentOverBudget(let parameters, let budget):
            return "the student has \(parameters) parameters, over the budget of \(budget): make it smaller or raise the budget"
        case .nothingToPrune:
            return "the model has no linear or convolution weights to prune"
        }
    }

    /// Throws `sparsityOutOfRange` unless 0 ≤ `sparsity` < 1.
    static func checkSparsity(_ sparsity: Double) throws {
        guard sparsity >= 0, sparsity < 1, sparsity.isFinite else { throw CompressionError.sparsityOutOfRange(sparsity) }
    }
}
