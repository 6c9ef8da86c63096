#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nabla
import NablaData

/// A table of samples for a classical method: features, their names, and what to predict.
///
/// The built-in sets are the classic small ones that scikit-learn ships, read from Debian's
/// `python3-sklearn` data folder (`/usr/lib/python3/dist-packages/sklearn/datasets/data`, or the folder
/// in `NABLA_SKLEARN_DATA`): iris, wine, breast cancer, digits (classification), diabetes and Boston
/// house prices (regression). Any CSV file works too.
///
/// ```swift
/// let iris = try ClassicDataset.builtIn(.iris)
/// iris.features.shape            // (150, 4)
/// iris.labels!.prefix(3)         // [0, 0, 0]
/// iris.classNames                // ["setosa", "versicolor", "virginica"]
/// let houses = try ClassicDataset.csv("houses.csv", target: "price")
/// ```
public struct ClassicDataset: Sendable {
    /// What the samples are to be matched with.
    public enum Target: Sendable, Equatable {
        /// Class labels `0..<names.count`.
        case classes(labels: [Int], names: [String])
        /// A real-valued quantity.
        case values([Double])
        /// Nothing (clustering and embedding only).
        case none
    }

    /// The built-in data sets.
    public enum BuiltIn: String, CaseIterable, Sendable {
        case iris, wine
        case breastCancer = "breast-cancer"
        case digits, diabetes, boston

        /// One line about the set.
        public var summary: String {
            switch self {
            case .iris: "150 irises, 4 measurements, 3 species (classification)"
            case .wine: "178 wines, 13 chemical measurements, 3 cultivars (classification)"
            case .breastCancer: "569 tumours, 30 cell-nucleus features, malignant or benign (classification)"
            case .digits: "1,797 handwritten digits, 8×8 pixels 0–16, 10 classes (classification)"
            case .diabetes: "442 patients, 10 baseline variables, disease progression after a year (regression)"
            case .boston: "506 Boston districts, 13 features, median house value in $1000s (regression); deprecated: "
                + "scikit-learn removed it in 1.2 because one feature encodes the share of Black residents"
            }
        }
    }

    public let name: String
    public var features: Matrix
    public var featureNames: [String]
    public var target: Target

    public init(name: String, features: Matrix, featureNames: [String]? = nil, target: Target) {
        self.name = name
        self.features = features
        self.featureNames = featureNames ?? (0..<features.columnCount).map { "x\($0)" }
        self.target = target
    }

    /// The class labels, for a classification set.
    public var labels: [Int]? { if case .classes(let labels, _) = target { labels } else { nil } }
    /// The class names, for a classification set (empty otherwise).
    public var classNames: [String] { if case .classes(_, let names) = target { names } else { [] } }
    /// The real-valued targets, for a regression set.
    public var values: [Double]? { if case .values(let values) = target { values } else { nil } }

    /// Where Debian's `python3-sklearn` keeps the data files.
    public static let defaultFolder = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
    /// The environment variable naming another folder with the same files.
    public static let environmentVariable = "NABLA_SKLEARN_DATA"

    /// The folder to read built-in sets from: the argument, else the environment variable, else Debian's.
    public static func resolveFolder(_ folder: String? = nil) -> String {
        if let folder, !folder.isEmpty { return folder }
        if let value = getenv(environmentVariable).map({ String(cString: $0) }), !value.isEmpty { return value }
        return defaultFolder
    }

    /// Reads a built-in set. Throws `DataError.notFound` with installation advice when the files are missing.
    public static func builtIn(_ set: BuiltIn, folder: String? = nil) throws -> ClassicDataset {
        let folder = resolveFolder(folder)
        func path(_ file: String) throws -> String {
            let path = folder + "/" + file
            guard FileReading.exists(path) else {
                throw DataError(.notFound, file: set.rawValue,
                                "\(file) is not in \(folder); install Debian's `python3-sklearn` (sudo apt-get install python3-sklearn) or set \(environmentVariable) to a folder holding scikit-learn's data files")
            }
            return path
        }
        switch set {
        case .iris:
            return try readCountedTable(path("iris.csv"), name: set.rawValue,
                                        featureNames: ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"])
        case .wine:
            return try readCountedTable(path("wine_data.csv"), name: set.rawValue, featureNames: [
                "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
                "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline"])
        case .breastCancer:
            let measures = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
                            "concave points", "symmetry", "fractal dimension"]
            let names = measures.map { "mean \($0)" } + measures.map { "\($0) error" } + measures.map { "worst \($0)" }
            return try readCountedTable(path("breast_cancer.csv"), name: set.rawValue, featureNames: names)
        case .digits:
            let rows = try numericRows(path("digits.csv.gz"), separator: ",", skipping: 0)
            let names = (0..<64).map { "pixel_\($0 / 8)_\($0 % 8)" }
            return try table(rows, name: set.rawValue, featureNames: names, file: "digits.csv.gz") { labels in
                .classes(labels: labels, names: (0..<10).map(String.init))
            }
        case .diabetes:
            let features = try numericRows(path("diabetes_data_raw.csv.gz"), separator: " ", skipping: 0)
            let targets = try numericRows(path("diabetes_target.csv.gz"), separator: " ", skipping: 0)
            guard features.count == targets.count, features.allSatisfy({ $0.count == 10 }), targets.allSatisfy({ $0.count == 1 }) else {
                throw DataError(.invalidFormat, file: "diabetes", "expected 10 features and one target per patient in diabetes_data_raw.csv.gz and diabetes_target.csv.gz")
            }
            return ClassicDataset(name: set.rawValue, features: Matrix(rows: features),
                                  featureNames: ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"],
                                  target: .values(targets.map { $0[0] }))
        case .boston:
            let file = try path("boston_house_prices.csv")
            let text = String(decoding: try FileReading.decompressedBytes(at: file), as: UTF8.self)
            let lines = text.split(whereSeparator: \.isNewline)
            guard lines.count > 2 else { throw DataError(.invalidFormat, file: file, "has no data rows") }
            let names = lines[1].split(separator: ",").map { $0.trimmingQuotes() }
            let rows = try parseRows(lines.dropFirst(2), separator: ",", file: file, firstLine: 3)
            guard rows.allSatisfy({ $0.count == names.count }) else {
                throw DataError(.raggedRow, file: file, "rows must have \(names.count) fields like the header")
            }
            return ClassicDataset(name: set.rawValue, features: Matrix(rows: rows.map { Array($0.dropLast()) }),
                                  featureNames: Array(names.dropLast()), target: .values(rows.map { $0.last! }))
        }
    }

    /// Reads a CSV file (gzip allowed) through NablaData's reader. `target` names the column to predict:
    /// a categorical column, or integers when `classification` is true, become class labels; otherwise the
    /// column is a real value. Without `target` every column is a feature. Categorical features are
    /// one-hot encoded.
    public static func csv(_ path: String, target: String? = nil, classification: Bool? = nil,
                           options: CSVOptions = CSVOptions()) throws -> ClassicDataset {
        let table = try CSV.read(path, options: options)
        if let target { _ = try table.column(target) }
        // Built from the columns directly (not through a float32 tensor) so numbers keep float64 precision.
        var blocks: [[Double]] = [], names: [String] = []
        for column in table.columns where column.name != target {
            switch column.values {
            case .numeric(let numbers):
                blocks.append(numbers); names.append(column.name)
            case .categorical(let codes, let categories):
                for (code, category) in categories.enumerated() {
                    blocks.append(codes.map { $0 == code ? 1 : 0 }); names.append("\(column.name)=\(category)")
                }
            }
        }
        let rows = table.rowCount
        let features = Matrix(rowCount: rows, columnCount: blocks.count) { output in
            for (column, block) in blocks.enumerated() {
                for row in 0..<rows { output[row * blocks.count + column] = block[row] }
            }
        }
        guard let target else { return ClassicDataset(name: path, features: features, featureNames: names, target: .none) }
        let column = try table.column(target)
        let asClasses = classification ?? !column.isNumeric
        if asClasses {
            let (labels, classes) = try table.labels(target)
            return ClassicDataset(name: path, features: features, featureNames: names,
                                  target: .classes(labels: labels.scalars, names: classes))
        }
        guard column.isNumeric else {
            throw DataError(.invalidRequest, file: path, "column '\(target)' is categorical, so it cannot be a regression target")
        }
        return ClassicDataset(name: path, features: features, featureNames: names, target: .values(column.numbers))
    }

    /// The first `count` samples (all when there are fewer).
    public func prefix(_ count: Int) -> ClassicDataset {
        let kept = min(count, features.rowCount)
        var result = self
        result.features = features.rows(0..<kept)
        switch target {
        case .classes(let labels, let names): result.target = .classes(labels: Array(labels.prefix(kept)), names: names)
        case .values(let values): result.target = .values(Array(values.prefix(kept)))
        case .none: break
        }
        return result
    }

    /// The samples at `indices`.
    public func subset(_ indices: [Int]) -> ClassicDataset {
        var result = self
        result.features = features.rows(indices)
        switch target {
        case .classes(let labels, let names): result.target = .classes(labels: indices.map { labels[$0] }, names: names)
        case .values(let values): result.target = .values(indices.map { values[$0] })
        case .none: break
        }
        return result
    }

    // MARK: - Reading scikit-learn's files

    /// iris, wine and breast cancer: a first line `samples,features,class names...`, then rows of
    /// features followed by an integer class.
    private static func readCountedTable(_ file: String, name: String, featureNames: [String]) throws -> ClassicDataset {
        let text = String(decoding: try FileReading.decompressedBytes(at: file), as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline)
        guard let first = lines.first else { throw DataError(.invalidFormat, file: file, "is empty") }
        let header = first.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        guard header.count >= 2, let samples = Int(header[0]), let featureCount = Int(header[1]), featureCount == featureNames.count else {
            throw DataError(.invalidFormat, file: file, line: 1, "expected `samples,features,class names...` with \(featureNames.count) features")
        }
        let classNames = Array(header.dropFirst(2))
        let rows = try parseRows(lines.dropFirst(), separator: ",", file: file, firstLine: 2)
        guard rows.count == samples else {
            throw DataError(.invalidFormat, file: file, "declares \(samples) samples but holds \(rows.count)")
        }
        return try table(rows, name: name, featureNames: featureNames, file: file) { labels in
            .classes(labels: labels, names: classNames)
        }
    }

    /// Rows whose last field is an integer class.
    private static func table(_ rows: [[Double]], name: String, featureNames: [String], file: String,
                              target: ([Int]) -> Target) throws -> ClassicDataset {
        let width = featureNames.count + 1
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw DataError(.raggedRow, file: file, "row \(bad + 1) has \(rows[bad].count) fields, not \(width)")
        }
        var labels: [Int] = []
        for (index, row) in rows.enumerated() {
            guard let label = Int(exactly: row[width - 1]), label >= 0 else {
                throw DataError(.invalidFormat, file: file, "row \(index + 1) ends in \(row[width - 1]), not a class number")
            }
            labels.append(label)
        }
        return ClassicDataset(name: name, features: Matrix(rows: rows.map { Array($0.dropLast()) }),
                              featureNames: featureNames, target: target(labels))
    }

    private static func numericRows(_ file: String, separator: Character, skipping: Int) throws -> [[Double]] {
        let text = String(decoding: try FileReading.decompressedBytes(at: file), as: UTF8.self)
        return try parseRows(text.split(whereSeparator: \.isNewline).dropFirst(skipping), separator: separator,
                             file: file, firstLine: skipping + 1)
    }

    private static func parseRows<Lines: Collection>(_ lines: Lines, separator: Character, file: String, firstLine: Int) throws -> [[Double]]
        where Lines.Element == Substring {
        var rows: [[Double]] = []
        rows.reserveCapacity(lines.count)
        for (offset, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            var row: [Double] = []
            for field in line.split(separator: separator, omittingEmptySubsequences: separator == " ") {
                guard let value = Double(field.trimmingCharacters()) else {
                    throw DataError(.invalidFormat, file: file, line: firstLine + offset, "'\(field)' is not a number")
                }
                row.append(value)
            }
            rows.append(row)
        }
        return rows
    }
}

private extension Substring {
    func trimmingCharacters() -> Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }

    func trimmingQuotes() -> String {
        var text = trimmingCharacters()
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        return String(text)
    }
}
