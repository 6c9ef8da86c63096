import Nabla

/// An input that a classical method cannot work with: empty data, NaN or infinity, a single class,
/// more components than features, mismatched lengths, a bad setting. Its description names the method
/// and says what is wrong, so a command-line tool can print it as it is.
///
/// ```swift
/// do {
///     _ = try PrincipalComponentAnalysis(componentCount: 10).fit(Matrix(rows: [[1, 2], [3, 4]]))
/// } catch let error as ClassicError {
///     print(error)   // PCA: asks for 10 components but the data has only 2 features ...
/// }
/// ```
public struct ClassicError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of problem this is, for code that wants to react to some of them.
    public enum Kind: String, Sendable {
        /// No samples or no features.
        case emptyData = "empty data"
        /// NaN or infinity among the values.
        case nonFiniteValue = "non-finite value"
        /// Labels with fewer than two classes where a classifier needs at least two.
        case singleClass = "single class"
        /// More components, clusters or neighbours than the data can give.
        case tooManyComponents = "too many components"
        /// Arrays whose lengths do not match (features and labels, training and test features).
        case shapeMismatch = "shape mismatch"
        /// A setting outside its range (a negative regularisation, zero folds).
        case invalidParameter = "invalid parameter"
        /// A computation that failed on this data (a singular matrix, a decomposition that did not converge).
        case numericalFailure = "numerical failure"
    }

    public let kind: Kind
    /// The method that refused the input, e.g. "PCA" or "logistic regression".
    public let method: String
    /// What is wrong, and what to do where that is known.
    public let message: String

    public init(_ kind: Kind, method: String, _ message: String) {
        self.kind = kind
        self.method = method
        self.message = message
    }

    /// `method: message`.
    public var description: String { "\(method): \(message)" }
}

// MARK: - Checks shared by every method

/// Throws unless the matrix has at least `minimumRows` rows, at least one column, and only finite values
/// (unless `checkingValues` is false: for a method whose first pass over the data sees them anyway).
func validate(_ features: Matrix, method: String, minimumRows: Int = 1, name: String = "the data",
              checkingValues: Bool = true) throws {
    if features.rowCount == 0 || features.columnCount == 0 {
        throw ClassicError(.emptyData, method: method,
                           "\(name) is empty (\(features.rowCount) samples × \(features.columnCount) features); give at least \(minimumRows) sample\(minimumRows == 1 ? "" : "s") with at least one feature")
    }
    if features.rowCount < minimumRows {
        throw ClassicError(.emptyData, method: method,
                           "\(name) has \(features.rowCount) sample\(features.rowCount == 1 ? "" : "s"); this method needs at least \(minimumRows)")
    }
    if checkingValues { try checkFinite(features.values, columns: features.columnCount, method: method, name: name) }
}

/// Throws at the first NaN or infinity, naming its row and column.
func checkFinite(_ values: [Double], columns: Int, method: String, name: String = "the data") throws {
    // x · 0 is 0 for finite x and NaN for NaN or ±infinity, so one fast pass (over all cores: it reads
    // the whole data set, hundreds of megabytes for images) usually settles it.
    if values.isEmpty { return }
    let total = values.withUnsafeBufferPointer { buffer in
        let base = UncheckedPointer(buffer.baseAddress!)
        return parallelChunkResults(buffer.count, minimumPerChunk: 1 << 18) { range -> Double in
            var partial = (0.0, 0.0, 0.0, 0.0)
            var index = range.lowerBound
            let values = base.pointer
            while index + 4 <= range.upperBound {
                partial.0 += values[index] * 0; partial.1 += values[index + 1] * 0
                partial.2 += values[index + 2] * 0; partial.3 += values[index + 3] * 0
                index += 4
            }
            while index < range.upperBound { partial.0 += values[index] * 0; index += 1 }
            return partial.0 + partial.1 + partial.2 + partial.3
        }.reduce(0, +)
    }
    if total == 0 { return }   // x * 0 is 0 for finite x and NaN for NaN or ±infinity
    if let position = values.firstIndex(where: { !$0.isFinite }) {
        let value = values[position]
        let what = value.isNaN ? "NaN" : (value > 0 ? "+infinity" : "-infinity")
        throw ClassicError(.nonFiniteValue, method: method,
                           "\(name) holds \(what) at row \(position / max(columns, 1)), column \(position % max(columns, 1)); remove or impute missing and infinite values first")
    }
}

/// Throws unless `labels` has one entry per row, all in `0..<classCount` with at least two classes
/// present. Returns the number of classes (the largest label plus one).
@discardableResult
func validateLabels(_ labels: [Int], rowCount: Int, method: String, minimumClasses: Int = 2) throws -> Int {
    if labels.count != rowCount {
        throw ClassicError(.shapeMismatch, method: method,
                           "\(labels.count) labels for \(rowCount) samples; give one label per sample")
    }
    if let negative = labels.firstIndex(where: { $0 < 0 }) {
        throw ClassicError(.invalidParameter, method: method,
                           "label \(labels[negative]) at sample \(negative) is negative; labels are class numbers 0, 1, 2, ...")
    }
    let classCount = (labels.max() ?? -1) + 1
    let present = Set(labels).count
    if present < minimumClasses {
        throw ClassicError(.singleClass, method: method,
                           present == 0 ? "no labels given" :
                           "every sample has label \(labels[0]); a classifier needs at least \(minimumClasses) classes to tell apart")
    }
    return classCount
}

/// Throws unless the matrix has `columns` columns (a model fitted on `columns` features).
func checkFeatureCount(_ features: Matrix, expected columns: Int, method: String) throws {
    if features.columnCount != columns {
        throw ClassicError(.shapeMismatch, method: method,
                           "the model was fitted on \(columns) features but this data has \(features.columnCount)")
    }
}

/// Throws `.invalidParameter` with `message` unless `condition` holds.
func require(_ condition: Bool, method: String, _ message: @autoclosure () -> String) throws {
    if !condition { throw ClassicError(.invalidParameter, method: method, message()) }
}
