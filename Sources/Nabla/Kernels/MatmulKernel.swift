import CNablaBLAS

/// Batched, broadcasting matrix products through OpenBLAS's `cblas_sgemm`.
///
/// Transposed views are passed to BLAS as transposed operands instead of being copied; a batch that
/// multiplies by one shared matrix (a linear layer on [batch, time, features]) becomes a single GEMM.
///
/// Threading: Nabla splits the work over the cores itself (`parallelGEMM`) and runs OpenBLAS with one
/// thread inside each part. OpenBLAS's own worker threads spin after every call, waiting for more work;
/// on two cores that spinning took the cores away from Nabla's element-wise kernels between the matrix
/// products (15–30% of a convolutional training step went to `sched_yield`). One set of threads for
/// everything avoids the fight.
func matmulKernel(_ a: Tensor, _ b: Tensor) -> Tensor {
    let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
    let n = b.shape[b.rank - 1]
    guard b.shape[b.rank - 2] == k, let batch = broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
        fatalError("matmul: shapes \(describe(a.shape)) and \(describe(b.shape)) do not fit")
    }
    let left = matrixOperand(a), right = matrixOperand(b)
    let result = Storage(uninitializedCount: batch.reduce(1, *) * m * n)
    let shape = batch + [m, n]
    if m * n == 0 { return Tensor(storage: result, layout: Layout(contiguous: shape)) }
    if k == 0 { result.pointer.update(repeating: 0, count: shape.reduce(1, *)); return Tensor(storage: result, layout: Layout(contiguous: shape)) }
    let batchA = Array(left.tensor.layout.broadcast(to: batch + [m, k]).strides.dropLast(2))
    let batchB = Array(right.tensor.layout.broadcast(to: batch + [k, n]).strides.dropLast(2))
    let pointerA = left.tensor.storage.pointer, pointerB = right.tensor.storage.pointer

    BLASThreads.useOne()
    // One shared right matrix and left rows that run on through the batch: fold the batch into M.
    if batchB.allSatisfy({ $0 == 0 }) && !left.transposed,
       let rowStride = foldedRowStride(shape: batch + [m], strides: batchA + [left.leading]), rowStride >= k {
        parallelGEMM(left.transposed, right.transposed, batch.reduce(1, *) * m, n, k,
                     pointerA + left.tensor.layout.offset, rowStride,
                     pointerB + right.tensor.layout.offset, right.leading, result.pointer, n)
        return Tensor(storage: result, layout: Layout(contiguous: shape))
    }
    let batchCount = batch.reduce(1, *)
    // Where each batch entry's matrices start.
    let offsets = (0..<batchCount).map { batchIndex -> (Int, Int) in
        var remainder = batchIndex, offsetA = left.tensor.layout.offset, offsetB = right.tensor.layout.offset
        for axis in stride(from: batch.count - 1, through: 0, by: -1) {
            let position = remainder % batch[axis]
            remainder /= batch[axis]
            offsetA += position * batchA[axis]
            offsetB += position * batchB[axis]
        }
        return (offsetA, offsetB)
    }
    let output = result.pointer
    if batchCount >= Parallelism.cores && m * n * k < parallelThreshold {
        // Many small products: whole products per core.
        parallelChunks(batchCount, minimumPerChunk: 1) { range in
            for batchIndex in range {
                gemm(left.transposed, right.transposed, m, n, k, pointerA + offsets[batchIndex].0, left.leading,
                     pointerB + offsets[batchIndex].1, right.leading, output + batchIndex * m * n, n)
            }
        }
    } else {
        for (batchIndex, (offsetA, offsetB)) in offsets.enumerated() {
            parallelGEMM(left.transposed, right.transposed, m, n, k, pointerA + offsetA, left.leading,
                         pointerB + offsetB, right.leading, output + batchIndex * m * n, n)
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: shape))
}

/// Products smaller than this many multiply-adds are not worth splitting over cores.
private let parallelThreshold = 1 << 18

/// One product C = op(A)·op(B) split into a block of rows (or columns) per core, each computed by
/// single-threaded OpenBLAS. Rows are split when there are enough of them, columns otherwise.
private func parallelGEMM(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                          _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                          _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    let cores = Parallelism.cores
    guard cores > 1, m * n * k >= parallelThreshold else {
        gemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc)
        return
    }
    // Split the larger side, so each core reads only its share of the bigger operand.
    if m >= n {
        // Rows of C come from rows of op(A): row r of A starts at r·lda, or at r when A is transposed.
        parallelChunks(m, minimumPerChunk: (m + cores - 1) / cores) { rows in
            let rowStart = rows.lowerBound
            gemm(transposeA, transposeB, rows.count, n, k, a + rowStart * (transposeA ? 1 : lda), lda,
                 b, ldb, c + rowStart * ldc, ldc)
        }
    } else {
        // Columns of C come from columns of op(B): column j of B starts at j, or at j·ldb when B is transposed.
        parallelChunks(n, minimumPerChunk: (n + cores - 1) / cores) { columns in
            let columnStart = columns.lowerBound
            gemm(transposeA, transposeB, m, columns.count, k, a, lda,
                 b + columnStart * (transposeB ? ldb : 1), ldb, c + columnStart, ldc)
        }
    }
}

/// Keeps OpenBLAS to one thread of its own (see `matmulKernel`).
public enum BLASThreads {
    private static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    static func useOne() { _ = configured }
}

/// A matrix operand as BLAS wants it: the last two axes either row-major or transposed with unit stride
/// inside a row, plus the leading dimension. Anything else is copied to contiguous first.
private func matrixOperand(_ x: Tensor) -> (tensor: Tensor, transposed: Bool, leading: Int) {
    let rows = x.shape[x.rank - 2], columns = x.shape[x.rank - 1]
    let rowStride = x.layout.strides[x.rank - 2], columnStride = x.layout.strides[x.rank - 1]
    if columnStride == 1 || columns == 1, rowStride >= max(columns, 1) { return (x, false, rowStride) }
    if rowStride == 1 || rows == 1, columnStride >= max(rows, 1) { return (x, true, columnStride) }
    let copy = Tensor(storage: copyToContiguous(x), layout: Layout(contiguous: x.shape))
    return (copy, false, max(columns, 1))
}

/// The single row stride when the batch axes and the row axis walk memory as one evenly spaced axis.
private func foldedRowStride(shape: [Int], strides: [Int]) -> Int? {
    let (merged, mergedStrides) = coalesce(shape: shape, strides: [strides])
    if merged.isEmpty { return strides.last }
    return merged.count == 1 ? mergedStrides[0][0] : nil
}

@inline(__always)
private func gemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                  _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                  _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
}
