/// Self-training with pseudo-labels: fit a classifier on the labelled samples, label the unlabelled
/// samples it is confident about (top probability at least `threshold`) with its own predictions, add
/// them to the training set, and repeat until no new sample passes or after `maximumIterations`
/// rounds (scikit-learn's `SelfTrainingClassifier`). Works with any probabilistic classifier.
///
/// Labels are given as optionals: `nil` marks an unlabelled sample.
///
/// ```swift
/// let partial: [Int?] = labels.enumerated().map { $0.offset % 10 == 0 ? $0.element : nil }
/// let result = try SelfTraining(base: LogisticRegression()).fit(features, labels: partial)
/// result.model, result.pseudoLabels, result.labelledCount
/// ```
public struct SelfTraining<Trainer: ClassifierTrainer>: Sendable {
    public var base: Trainer
    public var threshold: Double
    public var maximumIterations: Int

    public init(base: Trainer, threshold: Double = 0.75, maximumIterations: Int = 10) {
        self.base = base
        self.threshold = threshold
        self.maximumIterations = maximumIterations
    }

    public struct Result: Sendable {
        /// The classifier fitted on the labelled and pseudo-labelled samples.
        public let model: Trainer.Model
        /// Every sample's label: given, pseudo, or nil if still unlabelled.
        public let pseudoLabels: [Int?]
        /// The round in which each sample got its label (0 = given, −1 = never).
        public let labelledInRound: [Int]
        public var labelledCount: Int { pseudoLabels.compactMap { $0 }.count }
    }

    public func fit(_ features: Matrix, labels: [Int?]) throws -> Result {
        let method = "self-training"
        try require(threshold > 0 && threshold <= 1, method: method, "threshold must be in (0, 1], not \(threshold)")
        try require(maximumIterations >= 0, method: method, "maximum iterations must be ≥ 0")
        try validate(features, method: method)
        try validatePartialLabels(labels, rowCount: features.rowCount, method: method)
        var current = labels
        var rounds = labels.map { $0 == nil ? -1 : 0 }
        var model: Trainer.Model
        var round = 0
        while true {
            let known = current.indices.filter { current[$0] != nil }
            model = try base.fit(features.rows(known), labels: known.map { current[$0]! })
            let unknown = current.indices.filter { current[$0] == nil }
            if unknown.isEmpty || round >= maximumIterations { break }
            round += 1
            let probabilities = try model.predictProbabilities(features.rows(unknown))
            var added = 0
            for (position, sample) in unknown.enumerated() {
                var best = 0, bestProbability = -1.0
                for k in 0..<probabilities.columnCount where probabilities[position, k] > bestProbability {
                    bestProbability = probabilities[position, k]; best = k
                }
                if bestProbability >= threshold { current[sample] = best; rounds[sample] = round; added += 1 }
            }
            if added == 0 { break }
        }
        return Result(model: model, pseudoLabels: current, labelledInRound: rounds)
    }
}

/// Throws unless there is one label slot per sample and the given labels cover at least two classes.
func validatePartialLabels(_ labels: [Int?], rowCount: Int, method: String) throws {
    if labels.count != rowCount {
        throw ClassicError(.shapeMismatch, method: method, "\(labels.count) labels for \(rowCount) samples; give one (possibly nil) label per sample")
    }
    let given = labels.compactMap { $0 }
    if given.isEmpty { throw ClassicError(.emptyData, method: method, "no sample is labelled; label at least one sample of each class") }
    _ = try validateLabels(given, rowCount: given.count, method: method)
}
