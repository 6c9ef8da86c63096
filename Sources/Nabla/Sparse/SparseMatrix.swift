/// A sparse float32 matrix: its non-zero entries in compressed-sparse-row order (CSR), with the row of
/// every entry kept too, so it reads as coordinates (COO) as well.
///
/// The values are a `Tensor` of shape [nonZeroCount]: they may require gradients (a graph attention
/// layer's edge weights), and the product with a dense matrix is differentiable in both, like
/// `torch.sparse.mm`. The structure (rows, columns) is fixed.
///
/// Duplicate coordinates are kept as separate entries and add up wherever the matrix acts (products,
/// `dense()`), as in PyTorch's uncoalesced COO tensors.
///
/// ```swift
/// let a = SparseMatrix(rows: [0, 1, 1], columns: [1, 0, 2], values: Tensor([2, 3, 4]), shape: (2, 3))
/// a.matmul(Tensor.ones([3, 5]))   // [[2, …], [7, …]]
/// ```
public final class SparseMatrix {
    public let rowCount: Int
    public let columnCount: Int
    /// Where each row's entries start in `columns` and `values`: rowCount + 1 offsets (CSR).
    public let rowOffsets: [Int]
    /// The row of every entry, in storage order (non-decreasing).
    public let rows: [Int]
    /// The column of every entry, in storage order.
    public let columns: [Int]
    /// The entries' values, shape [nonZeroCount].
    public let values: Tensor
    /// The transpose, built once on first use (the backward of every product needs it).
    private var cachedTranspose: SparseMatrix?
    /// The matrix this one is the transpose of (weak: the original holds its transpose strongly).
    private weak var transposeSource: SparseMatrix?

    public var nonZeroCount: Int { columns.count }
    public var shape: [Int] { [rowCount, columnCount] }

    /// From coordinates (COO) in any order; entries are sorted by row, stably, and `values` follows
    /// (differentiably). Preconditions name the first coordinate outside the shape.
    public convenience init(rows: [Int], columns: [Int], values: Tensor, shape: (rows: Int, columns: Int)) {
        precondition(rows.count == columns.count && values.shape == [rows.count],
                     "SparseMatrix: \(rows.count) rows, \(columns.count) columns and values of shape \(describe(values.shape)) do not fit")
        precondition(shape.rows >= 0 && shape.columns >= 0, "SparseMatrix: negative shape (\(shape.rows), \(shape.columns))")
        for (row, column) in zip(rows, columns) {
            precondition(row >= 0 && row < shape.rows && column >= 0 && column < shape.columns,
                         "SparseMatrix: coordinate (\(row), \(column)) is outside the shape (\(shape.rows), \(shape.columns))")
        }
        let order = countingSortOrder(rows, bucketCount: shape.rows)
        let isSorted = order.enumerated().allSatisfy { $0.offset == $0.element }
        self.init(rowCount: shape.rows, columnCount: shape.columns,
                  sortedRows: isSorted ? rows : order.map { rows[$0] },
                  columns: isSorted ? columns : order.map { columns[$0] },
                  values: isSorted ? values : values.indexSelected(axis: 0, indices: IntTensor(order)))
    }

    /// From compressed rows (CSR): `rowOffsets` has rowCount + 1 non-decreasing entries from 0 to the
    /// entry count.
    public convenience init(rowOffsets: [Int], columns: [Int], values: Tensor, columnCount: Int) {
        precondition(rowOffsets.first == 0 && rowOffsets.last == columns.count && zip(rowOffsets, rowOffsets.dropFirst()).allSatisfy { $0 <= $1 },
                     "SparseMatrix: row offsets must rise from 0 to the entry count \(columns.count)")
        precondition(values.shape == [columns.count], "SparseMatrix: values of shape \(describe(values.shape)) for \(columns.count) entries")
        precondition(columns.allSatisfy { $0 >= 0 && $0 < columnCount }, "SparseMatrix: a column index is outside 0..<\(columnCount)")
        var rows = [Int]()
        rows.reserveCapacity(columns.count)
        for row in 0..<(rowOffsets.count - 1) { rows += repeatElement(row, count: rowOffsets[row + 1] - rowOffsets[row]) }
        self.init(rowCount: rowOffsets.count - 1, columnCount: columnCount, sortedRows: rows, columns: columns, values: values)
    }

    private init(rowCount: Int, columnCount: Int, sortedRows: [Int], columns: [Int], values: Tensor) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rows = sortedRows
        self.columns = columns
        self.values = values
        var offsets = [Int](repeating: 0, count: rowCount + 1)
        for row in sortedRows { offsets[row + 1] += 1 }
        for row in 0..<rowCount { offsets[row + 1] += offsets[row] }
        rowOffsets = offsets
    }

    /// The same structure with other values (e.g. normalised weights, or attention coefficients).
    public func replacingValues(_ newValues: Tensor) -> SparseMatrix {
        precondition(newValues.shape == [nonZeroCount], "SparseMatrix.replacingValues: shape \(describe(newValues.shape)) for \(nonZeroCount) entries")
        let result = SparseMatrix(rowCount: rowCount, columnCount: columnCount, sortedRows: rows, columns: columns, values: newValues)
        return result
    }

    /// The transpose (columnCount × rowCount); its values are this matrix's, reordered differentiably.
    public func transposed() -> SparseMatrix {
        if let cachedTranspose { return cachedTranspose }
        if let transposeSource { return transposeSource }
        let order = countingSortOrder(columns, bucketCount: columnCount)
        let result = SparseMatrix(rowCount: columnCount, columnCount: rowCount, sortedRows: order.map { columns[$0] },
                                  columns: order.map { rows[$0] },
                                  values: values.indexSelected(axis: 0, indices: IntTensor(order)))
        result.transposeSource = self
        cachedTranspose = result
        return result
    }

    /// The dense matrix (duplicates added), differentiable in the values.
    public func dense() -> Tensor {
        let flat = IntTensor(zip(rows, columns).map { $0 * columnCount + $1 })
        return values.indexAdded(intoShape: [rowCount * columnCount], axis: 0, indices: flat).reshaped([rowCount, columnCount])
    }

    /// The sum of each row's values, shape [rowCount] (a graph's weighted degrees).
    public func rowSums() -> Tensor {
        values.indexAdded(intoShape: [rowCount], axis: 0, indices: IntTensor(rows))
    }

    /// diag(left) · A · diag(right): every entry (i, j) times left[i]·right[j]; differentiable in all
    /// three. Degree normalisation is `scaled(rows: d.pow(-0.5), columns: d.pow(-0.5))`.
    public func scaled(rows left: Tensor?, columns right: Tensor?) -> SparseMatrix {
        var newValues = values
        if let left {
            precondition(left.shape == [rowCount], "SparseMatrix.scaled: row factors \(describe(left.shape)) for \(rowCount) rows")
            newValues = newValues * left.indexSelected(axis: 0, indices: IntTensor(rows))
        }
        if let right {
            precondition(right.shape == [columnCount], "SparseMatrix.scaled: column factors \(describe(right.shape)) for \(columnCount) columns")
            newValues = newValues * right.indexSelected(axis: 0, indices: IntTensor(columns))
        }
        return replacingValues(newValues)
    }

    /// The product A · dense for a dense [columnCount, k] (or [columnCount]) tensor, like
    /// `torch.sparse.mm`: differentiable in `dense` (gradient Aᵀ·G) and in the values
    /// (gradient G[row]·dense[column] per entry).
    public func matmul(_ dense: Tensor) -> Tensor {
        if dense.rank == 1 { return matmul(dense.unsqueezed(axis: 1)).squeezed(axis: 1) }
        precondition(dense.rank == 2 && dense.shape[0] == columnCount,
                     "SparseMatrix.matmul: sparse \(describe(shape)) does not fit dense \(describe(dense.shape))")
        let width = dense.shape[1]
        let result = sparseDenseProduct(self, dense.contiguous())
        return record(result, "sparseMatmul", [values, dense]) { [self] g, _ in
            let gradientDense = dense.requiresGrad ? self.transposed().matmul(g) : nil
            guard values.requiresGrad else { return [nil, gradientDense] }
            if width == 0 { return [Tensor.zeros([nonZeroCount]), gradientDense] }
            let rowsIndex = IntTensor(rows), columnsIndex = IntTensor(columns)
            let gradientValues = (g.indexSelected(axis: 0, indices: rowsIndex) * dense.indexSelected(axis: 0, indices: columnsIndex)).sum(axis: 1)
            return [gradientValues, gradientDense]
        }
    }
}

/// The permutation that sorts `keys` (each in 0..<bucketCount) stably: a counting sort, O(n + buckets).
func countingSortOrder(_ keys: [Int], bucketCount: Int) -> [Int] {
    var starts = [Int](repeating: 0, count: bucketCount + 1)
    for key in keys { starts[key + 1] += 1 }
    for bucket in 0..<bucketCount { starts[bucket + 1] += starts[bucket] }
    var order = [Int](repeating: 0, count: keys.count)
    for (position, key) in keys.enumerated() {
        order[starts[key]] = position
        starts[key] += 1
    }
    return order
}

/// Row-parallel CSR × dense: each output row is a weighted sum of dense rows.
private func sparseDenseProduct(_ sparse: SparseMatrix, _ dense: Tensor) -> Tensor {
    let width = dense.shape[1]
    let result = Tensor.zeros([sparse.rowCount, width])
    let values = sparse.values.contiguous()
    let output = result.storage.pointer
    let input = dense.storage.pointer + dense.layout.offset
    let weights = values.storage.pointer + values.layout.offset
    sparse.rowOffsets.withUnsafeBufferPointer { offsets in
        sparse.columns.withUnsafeBufferPointer { columns in
            let averageWork = Swift.max(1, sparse.nonZeroCount / Swift.max(sparse.rowCount, 1)) * Swift.max(width, 1)
            parallelChunks(sparse.rowCount, minimumPerChunk: Swift.max(1, (1 << 15) / averageWork)) { range in
                for row in range {
                    let to = output + row * width
                    for entry in offsets[row]..<offsets[row + 1] {
                        let weight = weights[entry]
                        let from = input + columns[entry] * width
                        for column in 0..<width { to[column] += weight * from[column] }
                    }
                }
            }
        }
    }
    return result
}
