import CNablaBLAS
import Nabla
import Synchronization

/// The column means of `features` and `(X − 1μᵀ)ᵀ(X − 1μᵀ) · alpha`, in one pass over the data and
/// without a full-size centred copy, in the precision the data carry.
///
/// Forming the covariance is nearly all of PCA's time on tall data (60,000 × 784 is 18 billion
/// multiply-adds). When every value is a float32 number (images, anything loaded from float32
/// tensors) the data carry float32 precision, and the products run in float32 (`ssyrk`, about twice
/// as fast as `dsyrk`), as scikit-learn computes in its input's dtype. Care keeps that accurate:
/// scikit-learn's `covariance_eigh` forms `XᵀX` uncentred and subtracts `n μμᵀ`, which cancels when
/// the means are large against the spread; here each row is first shifted, in float64, by `c`, the
/// mean of the first block's rows, which lies within a small fraction of the spread from the true
/// mean `μ`. Then `Σ(x − μ)(x − μ)ᵀ = Σ(x − c)(x − c)ᵀ − n(μ − c)(μ − c)ᵀ`, and the correction is
/// tiny, so nothing cancels; yet the means and the products come from the same single pass (a
/// second pass over 60,000 × 784 float64 values cost about 7% of PCA's time). Each `ssyrk` sums only
/// `blockRows` rows before its result is added into a float64 total, so round-off grows with the
/// block, not with the data set. Data that are not all float32 numbers go through `dsyrk` in float64
/// (found during the pass: the float32 pass stops at the first such block and the float64 pass runs).
///
/// Blocks are shared out to the cores, each core shifting a block into its own scratch (still in
/// cache for the product that follows) and calling BLAS on one thread. One multithreaded call per
/// block was slower: OpenBLAS's threads wait for each other inside every `ssyrk`, spinning in
/// `sched_yield`, which took a fifth of PCA's time on 60,000 × 784 images.
///
/// Blocks have a fixed size and their sums and products are added in block order, so the result does
/// not depend on the number of cores. Up to `budgetBytes` of block products are kept before they are
/// added (all 15 blocks of Fashion-MNIST's 60,000 images at 784 columns; at least one per core).
/// A NaN or infinity makes its column's mean non-finite (callers check the means).
func centeredCovariance(_ features: Matrix, alpha: Double, blockRows: Int = 4096, budgetBytes: Int = 64 << 20)
    -> (mean: [Double], covariance: Matrix, singlePrecision: Bool) {
    let rowCount = features.rowCount, width = features.columnCount
    if rowCount == 0 || width == 0 {
        return ([Double](repeating: 0, count: width), Matrix(rowCount: width, columnCount: width), false)
    }
    let previousThreads = openblas_get_num_threads()
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(previousThreads) }
    if let single = shiftedCovariance(features, alpha: alpha, singlePrecision: true, blockRows: blockRows, budgetBytes: budgetBytes) {
        return (single.mean, single.covariance, true)
    }
    let double = shiftedCovariance(features, alpha: alpha, singlePrecision: false, blockRows: blockRows, budgetBytes: budgetBytes)!
    return (double.mean, double.covariance, false)
}

/// `centeredCovariance` in one precision; nil when `singlePrecision` and a value is not a float32 number.
private func shiftedCovariance(_ features: Matrix, alpha: Double, singlePrecision: Bool, blockRows: Int, budgetBytes: Int)
    -> (mean: [Double], covariance: Matrix)? {
    let rowCount = features.rowCount, width = features.columnCount
    let blockCount = (rowCount + blockRows - 1) / blockRows
    let square = width * width
    let bytesPerProduct = square * (singlePrecision ? MemoryLayout<Float>.stride : MemoryLayout<Double>.stride)
    let groupBlocks = min(blockCount, max(Cores.count, budgetBytes / bytesPerProduct))
    let scratchRows = min(blockRows, rowCount)
    var covariance = Matrix(rowCount: width, columnCount: width)
    var shift = [Double](repeating: 0, count: width)
    var blockSums = [Double](repeating: 0, count: blockCount * width)
    let found = features.values.withUnsafeBufferPointer { source -> Bool in
        let input = UncheckedPointer(source.baseAddress!)
        for row in 0..<scratchRows {
            for column in 0..<width { shift[column] += input.pointer[row * width + column] }
        }
        for column in 0..<width { shift[column] /= Double(scratchRows) }
        return covariance.values.withUnsafeMutableBufferPointer { output in
            blockSums.withUnsafeMutableBufferPointer { sumsBuffer in
                let total = UncheckedPointer(output.baseAddress!), sums = UncheckedPointer(sumsBuffer.baseAddress!)
                let singleProducts = UncheckedPointer(UnsafeMutablePointer<Float>.allocate(capacity: singlePrecision ? groupBlocks * square : 0))
                let doubleProducts = UncheckedPointer(UnsafeMutablePointer<Double>.allocate(capacity: singlePrecision ? 0 : groupBlocks * square))
                defer { singleProducts.pointer.deallocate(); doubleProducts.pointer.deallocate() }
                let notSingle = Mutex<Bool>(false)
                for groupStart in stride(from: 0, to: blockCount, by: groupBlocks) {
                    let blocksInGroup = min(groupBlocks, blockCount - groupStart)
                    let nextBlock = Mutex<Int>(0)
                    parallelRanges(min(Cores.count, blocksInGroup)) { _ in
                        let singleScratch = UnsafeMutablePointer<Float>.allocate(capacity: singlePrecision ? scratchRows * width : 0)
                        let doubleScratch = UnsafeMutablePointer<Double>.allocate(capacity: singlePrecision ? 0 : scratchRows * width)
                        defer { singleScratch.deallocate(); doubleScratch.deallocate() }
                        while true {
                            let local = nextBlock.withLock { next in defer { next += 1 }; return next }
                            if local >= blocksInGroup || notSingle.withLock({ $0 }) { break }
                            let block = groupStart + local
                            let start = block * blockRows, rows = min(blockRows, rowCount - start)
                            let sum = sums.pointer + block * width
                            var mismatches: UInt8 = 0
                            for row in 0..<rows {
                                let from = input.pointer + (start + row) * width
                                if singlePrecision {
                                    let to = singleScratch + row * width
                                    for column in 0..<width {
                                        let value = from[column], shifted = value - shift[column]
                                        mismatches |= Double(Float(value)) == value ? 0 : 1
                                        sum[column] += shifted
                                        to[column] = Float(shifted)
                                    }
                                } else {
                                    let to = doubleScratch + row * width
                                    for column in 0..<width {
                                        let shifted = from[column] - shift[column]
                                        sum[column] += shifted
                                        to[column] = shifted
                                    }
                                }
                            }
                            if mismatches != 0 { notSingle.withLock { $0 = true }; break }
                            if singlePrecision {
                                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(width), Int32(rows), 1,
                                            singleScratch, Int32(width), 0, singleProducts.pointer + local * square, Int32(width))
                            } else {
                                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(width), Int32(rows), 1,
                                            doubleScratch, Int32(width), 0, doubleProducts.pointer + local * square, Int32(width))
                            }
                        }
                    }
                    if notSingle.withLock({ $0 }) { return false }
                    // The upper triangles, added into the float64 total in block order, rows spread over the cores.
                    parallelRanges(width, minimumPerChunk: 16) { rows in
                        for local in 0..<blocksInGroup {
                            for row in rows {
                                let to = total.pointer + row * width
                                if singlePrecision {
                                    let from = singleProducts.pointer + local * square + row * width
                                    for column in row..<width { to[column] += Double(from[column]) }
                                } else {
                                    let from = doubleProducts.pointer + local * square + row * width
                                    for column in row..<width { to[column] += from[column] }
                                }
                            }
                        }
                    }
                }
                return true
            }
        }
    }
    if !found { return nil }
    // μ − c from the block sums in block order, then the shift's correction n(μ − c)(μ − c)ᵀ.
    var offset = [Double](repeating: 0, count: width)
    for block in 0..<blockCount {
        for column in 0..<width { offset[column] += blockSums[block * width + column] }
    }
    for column in 0..<width { offset[column] /= Double(rowCount) }
    let n = Double(rowCount)
    covariance.values.withUnsafeMutableBufferPointer { output in
        for row in 0..<width {
            for column in row..<width {
                output[row * width + column] = (output[row * width + column] - n * offset[row] * offset[column]) * alpha
            }
            for column in 0..<row { output[row * width + column] = output[column * width + row] }
        }
    }
    return ((0..<width).map { shift[$0] + offset[$0] }, covariance)
}
