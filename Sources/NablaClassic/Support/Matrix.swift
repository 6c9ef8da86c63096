import Nabla

/// A dense matrix of `Double` in row-major order: the currency of NablaClassic. Samples are rows,
/// features are columns. Classical methods need double precision (covariances, eigenvectors, normal
/// equations lose digits in float32), so data arriving as a float32 `Tensor` is widened once here.
///
/// ```swift
/// let x = Matrix(rows: [[1, 2], [3, 4], [5, 6]])
/// x.rowCount, x.columnCount        // 3, 2
/// x[2, 1]                          // 6
/// let images = Matrix(try FashionMNIST(.test).images)   // 10000×784, one image per row
/// ```
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    public let rowCount: Int
    public let columnCount: Int
    /// `values[row * columnCount + column]`.
    public var values: [Double]

    /// A matrix holding `values` in row-major order.
    public init(rowCount: Int, columnCount: Int, values: [Double]) {
        precondition(rowCount >= 0 && columnCount >= 0 && values.count == rowCount * columnCount,
                     "Matrix: \(values.count) values do not fill \(rowCount)×\(columnCount)")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.values = values
    }

    /// A matrix filled with `value`.
    public init(rowCount: Int, columnCount: Int, repeating value: Double = 0) {
        self.init(rowCount: rowCount, columnCount: columnCount,
                  values: [Double](repeating: value, count: rowCount * columnCount))
    }

    /// A matrix from rows of equal length.
    public init(rows: [[Double]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "Matrix(rows:): rows have different lengths")
        self.init(rowCount: rows.count, columnCount: width, values: rows.flatMap { $0 })
    }

    /// A one-column matrix.
    public init(column: [Double]) {
        self.init(rowCount: column.count, columnCount: 1, values: column)
    }

    /// A matrix whose elements `body` writes in row-major order (every one of them), without zero-filling.
    public init(rowCount: Int, columnCount: Int, initializingWith body: (UnsafeMutableBufferPointer<Double>) throws -> Void) rethrows {
        let values = try [Double](unsafeUninitializedCapacity: rowCount * columnCount) { buffer, count in
            try body(buffer)
            count = rowCount * columnCount
        }
        self.init(rowCount: rowCount, columnCount: columnCount, values: values)
    }

    /// The identity matrix of size `size`.
    public static func identity(_ size: Int) -> Matrix {
        var result = Matrix(rowCount: size, columnCount: size)
        for index in 0..<size { result.values[index * size + index] = 1 }
        return result
    }

    /// A float32 tensor widened to double: rank 2 as it is, rank 1 as one column, higher ranks flattened
    /// to one row per entry of the first axis (images `N×1×28×28` become `N×784`).
    public init(_ tensor: Tensor) {
        let shape = tensor.shape
        let rows = shape.isEmpty ? 1 : shape[0]
        let columns = shape.count == 1 ? 1 : shape.dropFirst().reduce(1, *)
        self.init(rowCount: rows, columnCount: columns) { output in
            tensor.withUnsafeBufferPointer { input in
                parallelRanges(input.count, minimumPerChunk: 1 << 18) { range in
                    for index in range { output[index] = Double(input[index]) }
                }
            }
        }
    }

    /// The values narrowed to a float32 tensor of shape `[rowCount, columnCount]`.
    public var tensor: Tensor {
        Tensor(shape: [rowCount, columnCount]) { output in
            values.withUnsafeBufferPointer { input in
                for index in input.indices { output[index] = Float(input[index]) }
            }
        }
    }

    public var shape: (rows: Int, columns: Int) { (rowCount, columnCount) }
    public var isEmpty: Bool { rowCount == 0 || columnCount == 0 }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columnCount + column] }
        set { values[row * columnCount + column] = newValue }
    }

    /// One row as an array.
    public func row(_ index: Int) -> [Double] {
        Array(values[index * columnCount..<(index + 1) * columnCount])
    }

    /// One column as an array.
    public func column(_ index: Int) -> [Double] {
        (0..<rowCount).map { values[$0 * columnCount + index] }
    }

    /// The rows at `indices`, in that order (indices may repeat, as in a bootstrap sample).
    public func rows(_ indices: [Int]) -> Matrix {
        let width = columnCount
        return Matrix(rowCount: indices.count, columnCount: width) { output in
            values.withUnsafeBufferPointer { input in
                for (position, index) in indices.enumerated() {
                    let source = input.baseAddress! + index * width
                    (output.baseAddress! + position * width).update(from: source, count: width)
                }
            }
        }
    }

    /// A block of consecutive rows.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rowCount: range.count, columnCount: columnCount,
               values: Array(values[range.lowerBound * columnCount..<range.upperBound * columnCount]))
    }

    /// The columns at `indices`, in that order.
    public func columns(_ indices: [Int]) -> Matrix {
        Matrix(rowCount: rowCount, columnCount: indices.count) { output in
            var position = 0
            for row in 0..<rowCount {
                for index in indices { output[position] = values[row * columnCount + index]; position += 1 }
            }
        }
    }

    /// The transpose.
    public var transposed: Matrix {
        Matrix(rowCount: columnCount, columnCount: rowCount) { output in
            values.withUnsafeBufferPointer { input in
                // Blocks keep both the read and the write side in cache.
                let block = 32
                for rowStart in stride(from: 0, to: rowCount, by: block) {
                    for columnStart in stride(from: 0, to: columnCount, by: block) {
                        for row in rowStart..<min(rowStart + block, rowCount) {
                            for column in columnStart..<min(columnStart + block, columnCount) {
                                output[column * rowCount + row] = input[row * columnCount + column]
                            }
                        }
                    }
                }
            }
        }
    }

    /// `self` with the columns of `other` appended on the right.
    public func appendingColumns(_ other: Matrix) -> Matrix {
        precondition(other.rowCount == rowCount, "appendingColumns: \(rowCount) rows beside \(other.rowCount)")
        let width = columnCount + other.columnCount
        return Matrix(rowCount: rowCount, columnCount: width) { output in
            for row in 0..<rowCount {
                for column in 0..<columnCount { output[row * width + column] = values[row * columnCount + column] }
                for column in 0..<other.columnCount {
                    output[row * width + columnCount + column] = other.values[row * other.columnCount + column]
                }
            }
        }
    }

    /// The rows of `self` followed by the rows of `other`.
    public func appendingRows(_ other: Matrix) -> Matrix {
        precondition(other.columnCount == columnCount || isEmpty || other.isEmpty,
                     "appendingRows: \(columnCount) columns above \(other.columnCount)")
        if rowCount == 0 { return other }
        if other.rowCount == 0 { return self }
        return Matrix(rowCount: rowCount + other.rowCount, columnCount: columnCount, values: values + other.values)
    }

    /// The mean of each column.
    public func columnMeans() -> [Double] {
        var sums = [Double](repeating: 0, count: columnCount)
        values.withUnsafeBufferPointer { input in
            sums.withUnsafeMutableBufferPointer { sums in
                for row in 0..<rowCount {
                    let base = input.baseAddress! + row * columnCount
                    for column in 0..<columnCount { sums[column] += base[column] }
                }
            }
        }
        return sums.map { $0 / Double(max(rowCount, 1)) }
    }

    /// Each row minus `vector` (a row vector of length `columnCount`).
    public func subtractingFromRows(_ vector: [Double]) -> Matrix {
        precondition(vector.count == columnCount, "subtractingFromRows: vector of \(vector.count) for \(columnCount) columns")
        let width = columnCount
        return Matrix(rowCount: rowCount, columnCount: width) { output in
            values.withUnsafeBufferPointer { input in
                vector.withUnsafeBufferPointer { vector in
                    let source = UncheckedPointer(input.baseAddress!), target = UncheckedPointer(output.baseAddress!)
                    parallelRanges(rowCount, minimumPerChunk: max(1, (1 << 16) / max(width, 1))) { rows in
                        for row in rows {
                            for column in 0..<width {
                                target.pointer[row * width + column] = source.pointer[row * width + column] - vector[column]
                            }
                        }
                    }
                }
            }
        }
    }

    /// The squared Euclidean norm of each row.
    public func rowSquaredNorms() -> [Double] {
        let width = columnCount
        return [Double](unsafeUninitializedCapacity: rowCount) { output, count in
            values.withUnsafeBufferPointer { input in
                for row in 0..<rowCount {
                    var sum = 0.0
                    let base = input.baseAddress! + row * width
                    for column in 0..<width { sum += base[column] * base[column] }
                    output[row] = sum
                }
            }
            count = rowCount
        }
    }

    public var description: String {
        let shown = min(rowCount, 8)
        var lines = (0..<shown).map { row in
            "[" + (0..<min(columnCount, 8)).map { formatNumber(self[row, $0]) }.joined(separator: ", ")
                + (columnCount > 8 ? ", …" : "") + "]"
        }
        if rowCount > shown { lines.append("… (\(rowCount)×\(columnCount))") }
        return "[" + lines.joined(separator: "\n ") + "]"
    }
}

/// A raw pointer handed to worker threads that write disjoint parts of its buffer.
struct UncheckedPointer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
    init(_ pointer: UnsafePointer<Element>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
}
