import CNablaBLAS
import Nabla

/// The column means of `features` and `(X − 1μᵀ)ᵀ(X − 1μᵀ) · alpha`, centred block by block without a
/// full-size centred copy, in the precision the data carry.
///
/// Forming the covariance is nearly all of PCA's time on tall data (60,000 × 784 is 18 billion
/// multiply-adds). When every value is a float32 number (images, anything loaded from float32
/// tensors) the data carry float32 precision, and the products run in float32 (`ssyrk`, about twice
/// as fast as `dsyrk`), as scikit-learn computes in its input's dtype. Care keeps that accurate: the
/// rows are centred in float64 before rounding (scikit-learn's `covariance_eigh` forms `XᵀX`
/// uncentred and subtracts `n μμᵀ`, which cancels when the means are large against the spread), and
/// each `ssyrk` sums only `blockRows` rows before its result is added into a float64 total, so
/// round-off grows with the block, not with the data set. Other data go through `dsyrk` in float64.
/// (The block is 8,192 rows because each `ssyrk` call costs a start-up: on 60,000 × 784 images,
/// 4,096-row blocks took about 20% longer than one call over all rows; 8,192 rows recover most of it.)
///
/// Blocks have a fixed size, so the result does not depend on the number of cores.
func centeredCovariance(_ features: Matrix, alpha: Double, blockRows: Int = 8192)
    -> (mean: [Double], covariance: Matrix, singlePrecision: Bool) {
    let rowCount = features.rowCount, width = features.columnCount
    var covariance = Matrix(rowCount: width, columnCount: width)
    if rowCount == 0 || width == 0 { return ([Double](repeating: 0, count: width), covariance, false) }
    let blockCount = (rowCount + blockRows - 1) / blockRows
    let (mean, singlePrecision) = blockColumnMeans(features, blockRows: blockRows, blockCount: blockCount)
    let rowsPerBlock = min(blockRows, rowCount)
    let singleBlock = UnsafeMutablePointer<Float>.allocate(capacity: singlePrecision ? rowsPerBlock * width : 0)
    let doubleBlock = UnsafeMutablePointer<Double>.allocate(capacity: singlePrecision ? 0 : rowsPerBlock * width)
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: singlePrecision ? width * width : 0)
    defer { singleBlock.deallocate(); doubleBlock.deallocate(); partial.deallocate() }
    withAllCoresForBLAS {
        features.values.withUnsafeBufferPointer { source in
            covariance.values.withUnsafeMutableBufferPointer { output in
                let input = UncheckedPointer(source.baseAddress!)
                let singleTarget = UncheckedPointer(singleBlock), doubleTarget = UncheckedPointer(doubleBlock)
                for blockIndex in 0..<blockCount {
                    let start = blockIndex * blockRows, rows = min(blockRows, rowCount - start)
                    parallelRanges(rows, minimumPerChunk: 256) { range in
                        for local in range {
                            let from = input.pointer + (start + local) * width
                            if singlePrecision {
                                let to = singleTarget.pointer + local * width
                                for column in 0..<width { to[column] = Float(from[column] - mean[column]) }
                            } else {
                                let to = doubleTarget.pointer + local * width
                                for column in 0..<width { to[column] = from[column] - mean[column] }
                            }
                        }
                    }
                    Parallelism.restWorkers()   // the centring above woke them; the product wants every core
                    if singlePrecision {
                        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(width), Int32(rows), 1,
                                    singleBlock, Int32(width), 0, partial, Int32(width))
                        for row in 0..<width {
                            for column in row..<width { output[row * width + column] += Double(partial[row * width + column]) }
                        }
                    } else {
                        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(width), Int32(rows), 1,
                                    doubleBlock, Int32(width), 1, output.baseAddress, Int32(width))
                    }
                }
                for row in 0..<width {
                    for column in row..<width { output[row * width + column] *= alpha }
                    for column in 0..<row { output[row * width + column] = output[column * width + row] }
                }
            }
        }
    }
    return (mean, covariance, singlePrecision)
}

/// Column means with one partial sum per block of `blockRows` rows (blocks spread over the cores) and
/// the partial sums added in block order, so the result is the same on any number of cores; and
/// whether every value is a float32 number, checked in the same pass over the data.
private func blockColumnMeans(_ features: Matrix, blockRows: Int, blockCount: Int) -> (mean: [Double], singlePrecision: Bool) {
    let rowCount = features.rowCount, width = features.columnCount
    var partials = [Double](repeating: 0, count: blockCount * width)
    var blockIsSingle = [Bool](repeating: true, count: blockCount)
    features.values.withUnsafeBufferPointer { source in
        partials.withUnsafeMutableBufferPointer { sums in
            blockIsSingle.withUnsafeMutableBufferPointer { flags in
                let input = UncheckedPointer(source.baseAddress!), target = UncheckedPointer(sums.baseAddress!)
                let singles = UncheckedPointer(flags.baseAddress!)
                parallelForEach(blockCount) { blockIndex in
                    let sum = target.pointer + blockIndex * width
                    var mismatches: UInt8 = 0
                    for row in (blockIndex * blockRows)..<min((blockIndex + 1) * blockRows, rowCount) {
                        let from = input.pointer + row * width
                        for column in 0..<width {
                            let value = from[column]
                            sum[column] += value
                            mismatches |= Double(Float(value)) == value ? 0 : 1
                        }
                    }
                    singles.pointer[blockIndex] = mismatches == 0
                }
            }
        }
    }
    var mean = [Double](repeating: 0, count: width)
    for blockIndex in 0..<blockCount {
        for column in 0..<width { mean[column] += partials[blockIndex * width + column] }
    }
    return (mean.map { $0 / Double(rowCount) }, blockIsSingle.allSatisfy { $0 })
}
