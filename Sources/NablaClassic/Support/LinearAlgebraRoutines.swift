import CNablaBLAS

// Double-precision BLAS and LAPACK behind every decomposition in NablaClassic. Each wrapper takes and
// returns row-major `Matrix` values; a failure that the data can cause (a singular matrix, a
// decomposition that does not converge) is a thrown `ClassicError` naming the calling method.

private func lapackCharacter(_ character: Character) -> CChar { CChar(bitPattern: character.asciiValue!) }

/// `op(a) · op(b) · alpha`, where `op` transposes when asked (BLAS `dgemm`).
func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false, alpha: Double = 1) -> Matrix {
    let m = transposeA ? a.columnCount : a.rowCount
    let inner = transposeA ? a.rowCount : a.columnCount
    let n = transposeB ? b.rowCount : b.columnCount
    precondition(inner == (transposeB ? b.columnCount : b.rowCount),
                 "multiply: inner sizes differ (\(a.rowCount)×\(a.columnCount)\(transposeA ? "ᵀ" : "") · \(b.rowCount)×\(b.columnCount)\(transposeB ? "ᵀ" : ""))")
    var result = Matrix(rowCount: m, columnCount: n)
    if m == 0 || n == 0 || inner == 0 { return result }
    a.values.withUnsafeBufferPointer { left in
        b.values.withUnsafeBufferPointer { right in
            result.values.withUnsafeMutableBufferPointer { output in
                cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n), Int32(inner), alpha, left.baseAddress, Int32(max(a.columnCount, 1)),
                            right.baseAddress, Int32(max(b.columnCount, 1)), 0, output.baseAddress, Int32(n))
            }
        }
    }
    return result
}

/// `a · vector` for a column vector given as an array.
func multiply(_ a: Matrix, vector: [Double]) -> [Double] {
    precondition(vector.count == a.columnCount, "multiply: \(a.columnCount) columns times a vector of \(vector.count)")
    var result = [Double](repeating: 0, count: a.rowCount)
    if a.isEmpty { return result }
    a.values.withUnsafeBufferPointer { matrix in
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(a.rowCount), Int32(a.columnCount), 1, matrix.baseAddress,
                    Int32(a.columnCount), vector, 1, 0, &result, 1)
    }
    return result
}

/// `aᵀ · a · alpha` (features × features), both triangles filled (BLAS `dsyrk`): half the work of a
/// general product, which is what makes covariance-based PCA and LDA fast.
func gram(_ a: Matrix, alpha: Double = 1) -> Matrix {
    let n = a.columnCount
    var result = Matrix(rowCount: n, columnCount: n)
    if a.rowCount == 0 || n == 0 { return result }
    a.values.withUnsafeBufferPointer { input in
        result.values.withUnsafeMutableBufferPointer { output in
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(a.rowCount), alpha,
                        input.baseAddress, Int32(n), 0, output.baseAddress, Int32(n))
            for row in 0..<n { for column in 0..<row { output[row * n + column] = output[column * n + row] } }
        }
    }
    return result
}

/// `a · aᵀ · alpha` (samples × samples), both triangles filled.
func outerGram(_ a: Matrix, alpha: Double = 1) -> Matrix {
    let n = a.rowCount
    var result = Matrix(rowCount: n, columnCount: n)
    if n == 0 || a.columnCount == 0 { return result }
    a.values.withUnsafeBufferPointer { input in
        result.values.withUnsafeMutableBufferPointer { output in
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(a.columnCount), alpha,
                        input.baseAddress, Int32(a.columnCount), 0, output.baseAddress, Int32(n))
            for row in 0..<n { for column in 0..<row { output[row * n + column] = output[column * n + row] } }
        }
    }
    return result
}

/// Eigenvalues in ascending order and the matching eigenvectors as the columns of an `n×n` matrix,
/// for a symmetric matrix (LAPACK `dsyevd`, divide and conquer).
func symmetricEigendecomposition(_ matrix: Matrix, method: String) throws -> (values: [Double], vectors: Matrix) {
    let n = matrix.rowCount
    precondition(n == matrix.columnCount, "symmetricEigendecomposition: \(n)×\(matrix.columnCount) is not square")
    var vectors = matrix
    var values = [Double](repeating: 0, count: n)
    if n == 0 { return (values, vectors) }
    let status = vectors.values.withUnsafeMutableBufferPointer { entries in
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, lapackCharacter("V"), lapackCharacter("U"), Int32(n), entries.baseAddress, Int32(n), &values)
    }
    if status != 0 {
        throw lapackFailure("dsyevd", "the eigendecomposition", status: status, method: method)
    }
    return (values, vectors)
}

/// The eigenpairs with ascending indices `range` (0-based, in ascending order of eigenvalue) of a
/// symmetric matrix (LAPACK `dsyevr`): the few smallest or largest without computing all `n`.
///
/// `singlePrecision` decomposes in float32 (`ssyevr`), for a matrix formed from float32 data, as
/// scikit-learn does in its input's dtype: the reduction to tridiagonal form, nearly all the time,
/// moves half the bytes (the top 50 of a 784 × 784 covariance: about 17 ms instead of 30).
func symmetricEigenpairs(_ matrix: Matrix, indices range: ClosedRange<Int>, method: String,
                         singlePrecision: Bool = false) throws -> (values: [Double], vectors: Matrix) {
    let n = matrix.rowCount
    precondition(n == matrix.columnCount && range.lowerBound >= 0 && range.upperBound < n,
                 "symmetricEigenpairs: indices \(range) for a \(n)×\(matrix.columnCount) matrix")
    let wanted = range.count
    var support = [Int32](repeating: 0, count: 2 * max(wanted, 1))
    var found: Int32 = 0
    let first = Int32(range.lowerBound + 1), last = Int32(range.upperBound + 1)
    let status: Int32, values: [Double], vectors: [Double]
    if singlePrecision {
        var entries = matrix.values.map { Float($0) }
        var singleValues = [Float](repeating: 0, count: n), singleVectors = [Float](repeating: 0, count: n * wanted)
        status = withAllCoresForBLAS {
            LAPACKE_ssyevr(LAPACK_ROW_MAJOR, lapackCharacter("V"), lapackCharacter("I"), lapackCharacter("U"), Int32(n),
                           &entries, Int32(n), 0, 0, first, last, 0, &found, &singleValues, &singleVectors, Int32(wanted), &support)
        }
        values = singleValues.map { Double($0) }
        vectors = singleVectors.map { Double($0) }
    } else {
        var entries = matrix.values
        var doubleValues = [Double](repeating: 0, count: n), doubleVectors = [Double](repeating: 0, count: n * wanted)
        status = withAllCoresForBLAS {
            LAPACKE_dsyevr(LAPACK_ROW_MAJOR, lapackCharacter("V"), lapackCharacter("I"), lapackCharacter("U"), Int32(n),
                           &entries, Int32(n), 0, 0, first, last, 0, &found, &doubleValues, &doubleVectors, Int32(wanted), &support)
        }
        values = doubleValues
        vectors = doubleVectors
    }
    if status != 0 || Int(found) != wanted {
        let routine = singlePrecision ? "ssyevr" : "dsyevr"
        throw lapackFailure(routine, "the eigendecomposition", status: status == 0 ? 1 : status, method: method)
    }
    return (Array(values.prefix(wanted)), Matrix(rowCount: n, columnCount: wanted, values: vectors))
}

/// The thin singular value decomposition `a = u · diag(s) · vt` with `k = min(m, n)` singular values in
/// descending order (LAPACK `dgesdd`).
func singularValueDecomposition(_ a: Matrix, method: String) throws -> (u: Matrix, s: [Double], vt: Matrix) {
    let m = a.rowCount, n = a.columnCount, k = min(m, n)
    var entries = a.values
    var s = [Double](repeating: 0, count: k)
    var u = [Double](repeating: 0, count: m * k)
    var vt = [Double](repeating: 0, count: k * n)
    if k == 0 { return (Matrix(rowCount: m, columnCount: 0), s, Matrix(rowCount: 0, columnCount: n)) }
    let status = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, lapackCharacter("S"), Int32(m), Int32(n), &entries, Int32(n),
                                &s, &u, Int32(k), &vt, Int32(n))
    if status != 0 {
        throw lapackFailure("dgesdd", "the singular value decomposition", status: status, method: method)
    }
    return (Matrix(rowCount: m, columnCount: k, values: u), s, Matrix(rowCount: k, columnCount: n, values: vt))
}

/// An orthonormal basis of the column space of `a` (`m×n`, `m ≥ n`): the thin `Q` of a QR factorisation
/// (LAPACK `dgeqrf` + `dorgqr`).
func orthonormalColumns(_ a: Matrix, method: String) throws -> Matrix {
    let m = a.rowCount, n = a.columnCount
    precondition(m >= n, "orthonormalColumns: \(m)×\(n) has more columns than rows")
    var entries = a.values
    var tau = [Double](repeating: 0, count: max(n, 1))
    var status = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), &entries, Int32(n), &tau)
    if status == 0 { status = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(n), &entries, Int32(n), tau) }
    if status != 0 {
        throw lapackFailure("dgeqrf", "the QR factorisation", status: status, method: method)
    }
    return Matrix(rowCount: m, columnCount: n, values: entries)
}

/// The minimum-norm least-squares solution of `a · x ≈ b` by QR with column pivoting (LAPACK `dgelsy`),
/// which copes with rank-deficient `a`. Returns `x` (`n × b.columnCount`) and the rank found.
func leastSquaresSolution(_ a: Matrix, _ b: Matrix, method: String) throws -> (solution: Matrix, rank: Int) {
    let m = a.rowCount, n = a.columnCount, columns = b.columnCount
    precondition(b.rowCount == m, "leastSquaresSolution: \(m) rows against \(b.rowCount)")
    var entries = a.values
    // dgelsy writes the n-row solution into a max(m, n)-row right-hand side.
    let rows = max(m, n)
    var right = [Double](repeating: 0, count: rows * columns)
    for row in 0..<m { for column in 0..<columns { right[row * columns + column] = b[row, column] } }
    var pivots = [Int32](repeating: 0, count: n)
    var rank: Int32 = 0
    let status = LAPACKE_dgelsy(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(columns), &entries, Int32(n),
                                &right, Int32(columns), &pivots, 1e-12, &rank)
    if status != 0 {
        throw lapackFailure("dgelsy", "the least-squares solve", status: status, method: method)
    }
    return (Matrix(rowCount: n, columnCount: columns, values: Array(right.prefix(n * columns))), Int(rank))
}

/// Solves `a · x = b` for a general square `a` (LAPACK `dgesv`, LU with partial pivoting).
func solveLinearSystem(_ a: Matrix, _ b: Matrix, method: String) throws -> Matrix {
    let n = a.rowCount
    precondition(n == a.columnCount && b.rowCount == n, "solveLinearSystem: \(a.rowCount)×\(a.columnCount) against \(b.rowCount) rows")
    var entries = a.values, right = b.values
    var pivots = [Int32](repeating: 0, count: n)
    let status = LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(b.columnCount), &entries, Int32(n), &pivots,
                               &right, Int32(max(b.columnCount, 1)))
    if status > 0 {
        throw ClassicError(.numericalFailure, method: method, "the system matrix is singular (LAPACK dgesv: U(\(status),\(status)) is zero); add regularisation or remove duplicate features")
    }
    if status < 0 { throw lapackFailure("dgesv", "the linear solve", status: status, method: method) }
    return Matrix(rowCount: n, columnCount: b.columnCount, values: right)
}

/// The lower Cholesky factor `L` of a symmetric positive definite matrix, `a = L·Lᵀ` (LAPACK `dpotrf`);
/// the upper triangle of the result is zero.
func choleskyFactor(_ a: Matrix, method: String) throws -> Matrix {
    let n = a.rowCount
    var entries = a.values
    let status = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, lapackCharacter("L"), Int32(n), &entries, Int32(n))
    if status != 0 { throw lapackFailure("dpotrf", "the Cholesky factorisation of a covariance matrix", status: status, method: method) }
    for row in 0..<n { for column in (row + 1)..<max(row + 1, n) { entries[row * n + column] = 0 } }
    return Matrix(rowCount: n, columnCount: n, values: entries)
}

/// Solves `L · x = b` in place for each row of `rows`: forward substitution with a lower-triangular
/// `L` applied to row vectors (`rows · L⁻ᵀ`), BLAS `dtrsm`.
func solveLowerTriangularForRows(_ lower: Matrix, _ rows: Matrix) -> Matrix {
    var result = rows
    let n = lower.rowCount
    if rows.rowCount == 0 || n == 0 { return result }
    lower.values.withUnsafeBufferPointer { factor in
        result.values.withUnsafeMutableBufferPointer { output in
            // X · Lᵀ = B  ⇔  L · Xᵀ = Bᵀ
            cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, Int32(rows.rowCount), Int32(n), 1,
                        factor.baseAddress, Int32(n), output.baseAddress, Int32(n))
        }
    }
    return result
}

/// Solves `a · x = b` for symmetric positive definite `a` by Cholesky (LAPACK `dposv`).
func solvePositiveDefinite(_ a: Matrix, _ b: Matrix, method: String) throws -> Matrix {
    let n = a.rowCount
    var entries = a.values, right = b.values
    let status = LAPACKE_dposv(LAPACK_ROW_MAJOR, lapackCharacter("L"), Int32(n), Int32(b.columnCount), &entries, Int32(n),
                               &right, Int32(max(b.columnCount, 1)))
    if status != 0 { throw lapackFailure("dposv", "the positive definite solve", status: status, method: method) }
    return Matrix(rowCount: n, columnCount: b.columnCount, values: right)
}

/// Flips the sign of each column of `vectors` so that its entry of largest magnitude is positive, so
/// results do not depend on LAPACK's arbitrary sign choice (scikit-learn's `svd_flip` does the same
/// for PCA).
func fixColumnSigns(_ vectors: inout Matrix) {
    for column in 0..<vectors.columnCount {
        var largest = 0.0
        for row in 0..<vectors.rowCount where abs(vectors[row, column]) > abs(largest) { largest = vectors[row, column] }
        if largest < 0 { for row in 0..<vectors.rowCount { vectors[row, column] = -vectors[row, column] } }
    }
}

/// `Σ_blocks Bᵀ B · alpha` for a tall matrix produced block by block: `fill(rows, buffer)` writes rows
/// `rows` (row-major, `columns` wide) into `buffer`, and each block is added with one `dsyrk`. Forms a
/// covariance of transformed (centred, standardised) rows without a full-size transformed copy.
func blockedGram(rowCount: Int, columnCount: Int, alpha: Double, blockRows: Int = 4096,
                 fill: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> Matrix {
    let n = columnCount
    var result = Matrix(rowCount: n, columnCount: n)
    if rowCount == 0 || n == 0 { return result }
    let rowsPerBlock = max(1, min(blockRows, rowCount))
    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: rowsPerBlock * n)
    defer { buffer.deallocate() }
    result.values.withUnsafeMutableBufferPointer { output in
        for start in stride(from: 0, to: rowCount, by: rowsPerBlock) {
            let rows = start..<min(start + rowsPerBlock, rowCount)
            fill(rows, buffer)
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(rows.count), alpha,
                        buffer, Int32(n), 1, output.baseAddress, Int32(n))
        }
        for row in 0..<n { for column in 0..<row { output[row * n + column] = output[column * n + row] } }
    }
    return result
}

/// A LAPACK status as what went wrong and what to do, instead of "dpotrf failed with status -4".
/// LAPACKE returns `-i` when argument `i` is invalid, and it checks every input matrix for NaN and
/// infinity first, returning minus the matrix's argument position: with Nabla's calls (sizes always
/// valid) a negative status means non-finite numbers reached the solver. A positive status is the
/// routine's own failure: a zero pivot, a matrix that is not positive definite, no convergence.
func lapackFailure(_ routine: String, _ what: String, status: Int32, method: String) -> ClassicError {
    if status < 0 {
        return ClassicError(.numericalFailure, method: method,
                            "\(what) met NaN or infinity (LAPACK \(routine) refused argument \(-status)): the values overflowed or a constant column was divided by zero; rescale the features (--scale standard), remove constant columns, or add regularisation (--penalty)")
    }
    let problem: String
    switch routine {
    case "dpotrf", "dposv":
        problem = "the matrix is not positive definite (it stopped at column \(status)): some features are constant or duplicates of others, or there are fewer samples than features; add regularisation (--penalty) or remove constant and duplicate columns"
    case "dgesv":
        problem = "the matrix is singular (zero pivot at \(status)); add regularisation or remove duplicate features"
    default:
        problem = "it did not converge (\(status) values left unresolved); rescale the features (--scale standard) or remove near-duplicate columns"
    }
    return ClassicError(.numericalFailure, method: method, "\(what) failed (LAPACK \(routine)): \(problem)")
}
