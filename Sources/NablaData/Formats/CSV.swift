import Nabla

/// How to read a CSV file.
public struct CSVOptions: Sendable {
    /// The field separator: `,` by default; `;` and tab are common too. Must be one ASCII character other
    /// than a quote or a line break.
    public var separator: Character = ","
    /// Whether the first record names the columns (otherwise they are `column1`, `column2`, ...).
    public var hasHeader = true
    /// Field texts that mean "no value".
    public var missingValueMarkers: Set<String> = ["", "NA", "N/A", "NaN", "nan", "?"]
    /// Whether missing values are allowed: numeric ones become NaN, categorical ones code −1. When false,
    /// the first missing value is an error naming its line and column.
    public var allowsMissingValues = false
    /// Columns to read as categories even if every value is a number (e.g. numbered classes, zip codes).
    public var categoricalColumns: Set<String> = []
    /// Whether spaces around unquoted fields are dropped.
    public var trimsWhitespace = true

    public init(separator: Character = ",", hasHeader: Bool = true, allowsMissingValues: Bool = false,
                categoricalColumns: Set<String> = [], trimsWhitespace: Bool = true) {
        self.separator = separator
        self.hasHeader = hasHeader
        self.allowsMissingValues = allowsMissingValues
        self.categoricalColumns = categoricalColumns
        self.trimsWhitespace = trimsWhitespace
    }
}

/// One column of a CSV table.
public struct CSVColumn: Equatable, Sendable {
    /// A column's values: numbers, or categories stored as integer codes.
    public enum Values: Equatable, Sendable {
        /// NaN marks a missing value (only when missing values are allowed).
        case numeric([Double])
        /// `codes[row]` indexes `categories` (sorted, as scikit-learn's `LabelEncoder` sorts them); −1 marks
        /// a missing value.
        case categorical(codes: [Int], categories: [String])
    }

    public let name: String
    public let values: Values

    public var isNumeric: Bool { if case .numeric = values { true } else { false } }

    /// The values as numbers: numeric values as they are, categories as their codes (missing: NaN).
    public var numbers: [Double] {
        switch values {
        case .numeric(let numbers): numbers
        case .categorical(let codes, _): codes.map { $0 < 0 ? .nan : Double($0) }
        }
    }

    /// One row per value with a 1 in its category's position (all zeros for a missing value), shape
    /// `rows × categories`. Throws for a numeric column.
    ///
    /// ```swift
    /// // colour column: red, blue, red  →  categories [blue, red]
    /// try table.column("colour").oneHotEncoded()   // [[0, 1], [1, 0], [0, 1]]
    /// ```
    public func oneHotEncoded() throws -> Tensor {
        guard case .categorical(let codes, let categories) = values else {
            throw DataError(.invalidRequest, "column '\(name)' is numeric; only categorical columns are one-hot encoded")
        }
        return oneHot(codes: codes, categoryCount: categories.count)
    }
}

/// A table read from a CSV file: named columns, each numeric or categorical, with the line each row
/// came from so that later errors can point into the file.
///
/// ```swift
/// let table = try CSV.read("penguins.csv", options: CSVOptions(allowsMissingValues: true))
/// let (features, featureNames) = try table.features(excluding: ["species"])   // categorical → one-hot
/// let (labels, classes) = try table.labels("species")                        // codes 0..<3, class names
/// ```
public struct CSVTable: Sendable {
    /// The file the table came from, for messages.
    public let name: String
    public let columns: [CSVColumn]
    /// The 1-based line on which each row starts.
    public let lines: [Int]

    public var columnNames: [String] { columns.map(\.name) }
    public var rowCount: Int { lines.count }

    /// The column called `name`; throws `.invalidRequest` listing the columns if there is none.
    public func column(_ columnName: String) throws -> CSVColumn {
        guard let column = columns.first(where: { $0.name == columnName }) else {
            throw DataError(.invalidRequest, file: name,
                            "has no column '\(columnName)'; its columns are \(columnNames.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return column
    }

    /// How categorical columns become features.
    public enum CategoricalEncoding: Sendable {
        /// One feature per category, 1 for the row's category (`colour=red`, `colour=blue`).
        case oneHot
        /// One feature holding the category's code (NaN when missing).
        case codes
    }

    /// Every column except `excluded`, in file order, as a `rows × features` tensor with the features'
    /// names. Numeric columns give one feature each (NaN where missing); categorical ones as `encoding` says.
    public func features(excluding excluded: [String] = [], encoding: CategoricalEncoding = .oneHot) throws -> (tensor: Tensor, names: [String]) {
        for columnName in excluded { _ = try column(columnName) }
        var blocks: [(values: [Float], width: Int)] = []
        var names: [String] = []
        for column in columns where !excluded.contains(column.name) {
            switch (column.values, encoding) {
            case (.categorical(let codes, let categories), .oneHot):
                blocks.append((oneHot(codes: codes, categoryCount: categories.count).scalars, categories.count))
                names += categories.map { "\(column.name)=\($0)" }
            default:
                blocks.append((column.numbers.map(Float.init), 1))
                names.append(column.name)
            }
        }
        let width = names.count
        var values = [Float](repeating: 0, count: rowCount * width)
        var offset = 0
        for block in blocks {
            for row in 0..<rowCount {
                for index in 0..<block.width { values[row * width + offset + index] = block.values[row * block.width + index] }
            }
            offset += block.width
        }
        return (Tensor(values, shape: [rowCount, width]), names)
    }

    /// Class labels from one column, as codes `0..<classes.count` with the class names. Categories keep
    /// their codes; a numeric column must hold integers, which are coded in increasing order (so labels
    /// 0…9 stay 0…9). A missing or fractional value throws, naming its line.
    public func labels(_ columnName: String) throws -> (labels: IntTensor, classes: [String]) {
        let column = try column(columnName)
        switch column.values {
        case .categorical(let codes, let categories):
            if let row = codes.firstIndex(of: -1) {
                throw DataError(.missingValue, file: name, line: lines[row], "column '\(columnName)' has no label on this row")
            }
            return (IntTensor(codes), categories)
        case .numeric(let numbers):
            var integers: [Int] = []
            integers.reserveCapacity(numbers.count)
            for (row, number) in numbers.enumerated() {
                guard number.isFinite, number == number.rounded(), abs(number) < 1e15 else {
                    let problem = number.isNaN ? "has no label on this row" : "holds \(number), not an integer class label"
                    throw DataError(number.isNaN ? .missingValue : .invalidRequest, file: name, line: lines[row],
                                    "column '\(columnName)' \(problem)")
                }
                integers.append(Int(number))
            }
            let classes = Array(Set(integers)).sorted()
            let code = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            return (IntTensor(integers.map { code[$0] ?? -1 }), classes.map(String.init))
        }
    }

    /// A numeric column as a float tensor of shape `[rows]`, e.g. a regression target.
    public func targets(_ columnName: String) throws -> Tensor {
        let column = try column(columnName)
        guard column.isNumeric else {
            throw DataError(.invalidRequest, file: name, "column '\(columnName)' is categorical, not numeric; use labels(_:) for classes")
        }
        return Tensor(column.numbers.map(Float.init))
    }
}

/// Reads CSV files (RFC 4180) into `CSVTable`s: a header row, a separator, quoted fields that may hold
/// separators, quotes (`""`) and line breaks, numeric and categorical columns, and missing values.
///
/// Errors name the file and line: a row with the wrong number of fields, a missing value (unless
/// allowed), a quote in the wrong place, a quoted field never closed.
///
/// ```swift
/// // name,height,colour
/// // "Smith, Jo",1.82,red
/// let table = try CSV.parse(text, name: "people.csv")
/// table.columnNames          // ["name", "height", "colour"]
/// ```
public enum CSV {
    /// Reads a CSV file (gunzipped first if compressed).
    public static func read(_ path: String, options: CSVOptions = CSVOptions()) throws -> CSVTable {
        try parse(FileReading.decompressedBytes(at: path), name: path, options: options)
    }

    /// Parses CSV text; `name` labels errors.
    public static func parse(_ text: String, name: String, options: CSVOptions = CSVOptions()) throws -> CSVTable {
        try parse(Array(text.utf8), name: name, options: options)
    }

    /// Parses CSV bytes (UTF-8); `name` labels errors.
    public static func parse(_ bytes: [UInt8], name: String, options: CSVOptions = CSVOptions()) throws -> CSVTable {
        guard let separator = options.separator.asciiValue, !["\"", "\n", "\r"].contains(options.separator) else {
            throw DataError(.invalidRequest, file: name, "the separator '\(options.separator)' must be one ASCII character other than a quote or a line break")
        }
        var records = try parseCSVRecords(bytes, separator: separator, trimsWhitespace: options.trimsWhitespace, name: name)
        guard let first = records.first else {
            throw DataError(.invalidFormat, file: name, "is empty; a CSV file needs \(options.hasHeader ? "a header row" : "at least one row")")
        }
        let columnCount = first.fields.count
        var names = (1...columnCount).map { "column\($0)" }
        if options.hasHeader {
            records.removeFirst()
            var seen: [String: Int] = [:]
            for (index, field) in first.fields.enumerated() where !field.isEmpty {
                if let earlier = seen[field] {
                    throw DataError(.invalidFormat, file: name, line: first.line,
                                    "the header names column '\(field)' twice (columns \(earlier + 1) and \(index + 1)); column names must differ")
                }
                seen[field] = index
                names[index] = field
            }
        }
        let separatorName = options.separator == "\t" ? "tab" : "'\(options.separator)'"
        for record in records where record.fields.count != columnCount {
            throw DataError(.raggedRow, file: name, line: record.line,
                            "\(record.fields.count) fields but \(options.hasHeader ? "the header has" : "the first row has") \(columnCount); check for a missing or extra \(separatorName), or quote fields that contain one")
        }
        if !options.allowsMissingValues {
            for record in records {
                if let field = record.fields.firstIndex(where: { options.missingValueMarkers.contains($0) }) {
                    let shown = record.fields[field].isEmpty ? "empty" : "'\(record.fields[field])'"
                    throw DataError(.missingValue, file: name, line: record.line,
                                    "column '\(names[field])' (field \(field + 1)) is \(shown); fill in the value or delete the row (library callers may instead read with CSVOptions(allowsMissingValues: true) to get NaN, code −1 for categories)")
                }
            }
        }
        let columns = (0..<columnCount).map { index in
            makeColumn(name: names[index], fields: records.map { $0.fields[index] }, options: options)
        }
        return CSVTable(name: name, columns: columns, lines: records.map(\.line))
    }

    /// A numeric column when every present value is a number and the column is not named categorical;
    /// otherwise categories with sorted codes.
    private static func makeColumn(name: String, fields: [String], options: CSVOptions) -> CSVColumn {
        let missing = fields.map { options.missingValueMarkers.contains($0) }
        if !options.categoricalColumns.contains(name) {
            var numbers: [Double] = []
            numbers.reserveCapacity(fields.count)
            for (field, isMissing) in zip(fields, missing) {
                if isMissing { numbers.append(.nan); continue }
                guard let number = Double(field) else { break }
                numbers.append(number)
            }
            if numbers.count == fields.count { return CSVColumn(name: name, values: .numeric(numbers)) }
        }
        let categories = Array(Set(zip(fields, missing).filter { !$0.1 }.map(\.0))).sorted()
        let code = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
        let codes = zip(fields, missing).map { field, isMissing in isMissing ? -1 : code[field] ?? -1 }
        return CSVColumn(name: name, values: .categorical(codes: codes, categories: categories))
    }
}

/// Rows with a 1 at each code's position, shape `codes.count × categoryCount`; a code outside
/// `0..<categoryCount` (−1 for missing) gives a row of zeros.
///
/// ```swift
/// oneHot(codes: [1, 0, -1], categoryCount: 2)   // [[0, 1], [1, 0], [0, 0]]
/// ```
public func oneHot(codes: [Int], categoryCount: Int) -> Tensor {
    precondition(categoryCount >= 0, "oneHot: category count \(categoryCount) is negative")
    var values = [Float](repeating: 0, count: codes.count * categoryCount)
    for (row, code) in codes.enumerated() where code >= 0 && code < categoryCount {
        values[row * categoryCount + code] = 1
    }
    return Tensor(values, shape: [codes.count, categoryCount])
}
