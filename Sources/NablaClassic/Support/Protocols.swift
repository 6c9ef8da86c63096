/// A fitted model that predicts class labels `0..<classCount`.
public protocol Classifier: Sendable {
    /// The number of classes the model knows (the largest training label plus one).
    var classCount: Int { get }
    /// One predicted label per row.
    func predict(_ features: Matrix) throws -> [Int]
}

/// A classifier that also gives class probabilities.
public protocol ProbabilisticClassifier: Classifier {
    /// `samples × classCount`, each row summing to 1.
    func predictProbabilities(_ features: Matrix) throws -> Matrix
}

extension ProbabilisticClassifier {
    public func predict(_ features: Matrix) throws -> [Int] {
        try predictProbabilities(features).rowArgmax()
    }
}

/// A recipe (its hyper-parameters) that fits a classifier to labelled data.
public protocol ClassifierTrainer: Sendable {
    associatedtype Model: ProbabilisticClassifier
    /// Fits to `features` (one sample per row) with `labels` in `0..<classCount`.
    func fit(_ features: Matrix, labels: [Int]) throws -> Model
}

/// A fitted model that predicts a real value per sample.
public protocol Regressor: Sendable {
    func predict(_ features: Matrix) throws -> [Double]
}

/// A recipe that fits a regressor to data with real-valued targets.
public protocol RegressorTrainer: Sendable {
    associatedtype Model: Regressor
    func fit(_ features: Matrix, targets: [Double]) throws -> Model
}

/// A fitted transformation of feature rows (a scaler, a projection).
public protocol FeatureTransform: Sendable {
    func transform(_ features: Matrix) throws -> Matrix
}

extension Matrix {
    /// The column index of the largest value in each row (the first on ties).
    public func rowArgmax() -> [Int] {
        (0..<rowCount).map { row in
            var best = 0, bestValue = -Double.infinity
            for column in 0..<columnCount where values[row * columnCount + column] > bestValue {
                bestValue = values[row * columnCount + column]; best = column
            }
            return best
        }
    }
}
