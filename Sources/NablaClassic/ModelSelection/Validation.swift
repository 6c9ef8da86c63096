import Nabla

/// Splitting data for honest evaluation: a train/validation split, N-fold cross-validation, and
/// helpers that fit and score a model on each fold.
///
/// ```swift
/// let split = try Validation.trainValidationSplit(count: 442, validationFraction: 0.2, generator: RandomGenerator(seed: 0))
/// let scores = try Validation.crossValidate(RidgeRegression(penalty: 1), features: x, targets: y,
///                                           folds: 5, generator: RandomGenerator(seed: 0))
/// // scores: one R² per fold
/// ```
public enum Validation {
    /// Sample indices for training and validation.
    public struct Split: Sendable, Equatable {
        public let training: [Int]
        public let validation: [Int]
    }

    /// A random split with `validationFraction` of the samples (rounded up, at least one) held out.
    public static func trainValidationSplit(count: Int, validationFraction: Double = 0.25, generator: RandomGenerator) throws -> Split {
        let method = "train/validation split"
        try require(validationFraction > 0 && validationFraction < 1, method: method,
                    "validation fraction must be between 0 and 1, not \(validationFraction)")
        try require(count >= 2, method: method, "needs at least 2 samples to split, got \(count)")
        let held = min(count - 1, max(1, Int((Double(count) * validationFraction).rounded(.up))))
        let order = generator.permutation(count)
        return Split(training: Array(order[held...]).sorted(), validation: Array(order[..<held]).sorted())
    }

    /// `folds` splits in which each sample is held out exactly once: the (optionally shuffled) samples
    /// are cut into `folds` nearly equal consecutive parts (the first `count % folds` one larger), as
    /// scikit-learn's `KFold`.
    public static func kFold(count: Int, folds: Int, shuffle: Bool = true, generator: RandomGenerator? = nil) throws -> [Split] {
        let method = "cross-validation"
        try require(folds >= 2, method: method, "needs at least 2 folds, not \(folds)")
        try require(folds <= count, method: method, "\(folds) folds for \(count) samples; use at most one fold per sample")
        let order = shuffle ? (generator ?? RandomGenerator(seed: 0)).permutation(count) : Array(0..<count)
        var splits: [Split] = []
        var start = 0
        for fold in 0..<folds {
            let size = count / folds + (fold < count % folds ? 1 : 0)
            let held = Array(order[start..<start + size]).sorted()
            let kept = (Array(order[..<start]) + Array(order[(start + size)...])).sorted()
            splits.append(Split(training: kept, validation: held))
            start += size
        }
        return splits
    }

    /// Fits `trainer` on each fold's training part and scores it on the held-out part with R².
    public static func crossValidate<Trainer: RegressorTrainer>(_ trainer: Trainer, features: Matrix, targets: [Double], folds: Int,
                                                                generator: RandomGenerator? = nil,
                                                                score: ([Double], [Double]) -> Double = RegressionMetrics.rSquared) throws -> [Double] {
        try kFold(count: features.rowCount, folds: folds, generator: generator).map { split in
            let model = try trainer.fit(features.rows(split.training), targets: split.training.map { targets[$0] })
            return score(split.validation.map { targets[$0] }, try model.predict(features.rows(split.validation)))
        }
    }

    /// Fits `trainer` on each fold's training part and scores it on the held-out part with accuracy.
    public static func crossValidate<Trainer: ClassifierTrainer>(_ trainer: Trainer, features: Matrix, labels: [Int], folds: Int,
                                                                 generator: RandomGenerator? = nil,
                                                                 score: ([Int], [Int]) -> Double = ClassificationMetrics.accuracy) throws -> [Double] {
        try kFold(count: features.rowCount, folds: folds, generator: generator).map { split in
            let model = try trainer.fit(features.rows(split.training), labels: split.training.map { labels[$0] })
            return score(split.validation.map { labels[$0] }, try model.predict(features.rows(split.validation)))
        }
    }
}
