/// Products of a tall float32 matrix with a few vectors — `X Wᵀ` and `Gᵀ X` with `X` of `n × d` and only
/// a handful of rows in `W` — the shape of k-means distances and logistic-regression gradients.
///
/// BLAS is tuned for square-ish products and runs these shapes at a fraction of memory speed; these
/// loops stream `X` once with the few weight rows held in cache, four classes at a time in SIMD
/// registers, split over all cores. Sums over `d` run in float32 (like BLAS on float32 data); sums over
/// samples are flushed to float64 every block, so long sums keep their digits.
final class SinglePrecisionRows: @unchecked Sendable {
    let rowCount: Int
    let columnCount: Int
    let values: UnsafeMutablePointer<Float>

    /// A float32 copy of `matrix`, each row shifted by `subtracting` when given.
    init(_ matrix: Matrix, subtracting shift: [Double]? = nil) {
        rowCount = matrix.rowCount
        columnCount = matrix.columnCount
        let width = columnCount
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: max(rowCount * width, 1))
        values = storage
        let target = UncheckedPointer(storage)
        matrix.values.withUnsafeBufferPointer { source in
            parallelRanges(matrix.rowCount, minimumPerChunk: 256) { rows in
                for row in rows {
                    for column in 0..<width {
                        target.pointer[row * width + column] = Float(source[row * width + column] - (shift?[column] ?? 0))
                    }
                }
            }
        }
    }

    deinit { values.deallocate() }

    /// `out[i * paddedCount + j] = xᵢ · wⱼ` for rows `rows`, where `weights` holds `paddedCount` rows of
    /// width `columnCount` (`paddedCount` a multiple of 4; pad with zeros). `out` is indexed from the
    /// first row of `rows`. Twelve classes at a time stay in registers while a row streams past once.
    func products(rows: Range<Int>, weights: UnsafePointer<Float>, paddedCount: Int, into out: UnsafeMutablePointer<Float>) {
        let d = columnCount
        let vectorBytes = (d & ~3) &* 4
        let stride = d &* 4
        typealias V = SIMD4<Float>
        for row in rows {
            let x = UnsafeRawPointer(values + row &* d)
            let output = out + (row &- rows.lowerBound) &* paddedCount
            var group = 0
            while group &+ 12 <= paddedCount {
                let w = UnsafeRawPointer(weights + group &* d)
                var a0 = V(), a1 = V(), a2 = V(), a3 = V(), a4 = V(), a5 = V()
                var a6 = V(), a7 = V(), a8 = V(), a9 = V(), a10 = V(), a11 = V()
                var offset = 0
                while offset < vectorBytes {
                    let v = x.loadUnaligned(fromByteOffset: offset, as: V.self)
                    let w0 = w + offset
                    a0 += v * w0.loadUnaligned(as: V.self)
                    a1 += v * w0.loadUnaligned(fromByteOffset: stride, as: V.self)
                    a2 += v * w0.loadUnaligned(fromByteOffset: stride &* 2, as: V.self)
                    a3 += v * w0.loadUnaligned(fromByteOffset: stride &* 3, as: V.self)
                    a4 += v * w0.loadUnaligned(fromByteOffset: stride &* 4, as: V.self)
                    a5 += v * w0.loadUnaligned(fromByteOffset: stride &* 5, as: V.self)
                    a6 += v * w0.loadUnaligned(fromByteOffset: stride &* 6, as: V.self)
                    a7 += v * w0.loadUnaligned(fromByteOffset: stride &* 7, as: V.self)
                    a8 += v * w0.loadUnaligned(fromByteOffset: stride &* 8, as: V.self)
                    a9 += v * w0.loadUnaligned(fromByteOffset: stride &* 9, as: V.self)
                    a10 += v * w0.loadUnaligned(fromByteOffset: stride &* 10, as: V.self)
                    a11 += v * w0.loadUnaligned(fromByteOffset: stride &* 11, as: V.self)
                    offset &+= 16
                }
                output[group] = a0.sum(); output[group &+ 1] = a1.sum(); output[group &+ 2] = a2.sum()
                output[group &+ 3] = a3.sum(); output[group &+ 4] = a4.sum(); output[group &+ 5] = a5.sum()
                output[group &+ 6] = a6.sum(); output[group &+ 7] = a7.sum(); output[group &+ 8] = a8.sum()
                output[group &+ 9] = a9.sum(); output[group &+ 10] = a10.sum(); output[group &+ 11] = a11.sum()
                if d & 3 != 0 {
                    for index in 0..<12 { output[group &+ index] += tail(x: row, weights: weights, weightRow: group &+ index) }
                }
                group &+= 12
            }
            while group < paddedCount {
                let w = UnsafeRawPointer(weights + group &* d)
                var a0 = V(), a1 = V(), a2 = V(), a3 = V()
                var offset = 0
                while offset < vectorBytes {
                    let v = x.loadUnaligned(fromByteOffset: offset, as: V.self)
                    let w0 = w + offset
                    a0 += v * w0.loadUnaligned(as: V.self)
                    a1 += v * w0.loadUnaligned(fromByteOffset: stride, as: V.self)
                    a2 += v * w0.loadUnaligned(fromByteOffset: stride &* 2, as: V.self)
                    a3 += v * w0.loadUnaligned(fromByteOffset: stride &* 3, as: V.self)
                    offset &+= 16
                }
                output[group] = a0.sum() + tail(x: row, weights: weights, weightRow: group)
                output[group &+ 1] = a1.sum() + tail(x: row, weights: weights, weightRow: group &+ 1)
                output[group &+ 2] = a2.sum() + tail(x: row, weights: weights, weightRow: group &+ 2)
                output[group &+ 3] = a3.sum() + tail(x: row, weights: weights, weightRow: group &+ 3)
                group &+= 4
            }
        }
    }

    /// The part of a dot product past the last full group of four columns.
    @inline(__always)
    private func tail(x row: Int, weights: UnsafePointer<Float>, weightRow: Int) -> Float {
        let d = columnCount
        var sum: Float = 0
        var column = d & ~3
        while column < d { sum += values[row &* d &+ column] * weights[weightRow &* d &+ column]; column &+= 1 }
        return sum
    }

    /// `accumulator[j] += Σᵢ g[i][j] xᵢ` over rows `rows` (`g` indexed from the first row, `paddedCount`
    /// per row): for each group of four columns, twelve (or four) classes' partial sums stay in
    /// registers while the block's rows stream past.
    func accumulateTransposedProducts(rows: Range<Int>, coefficients g: UnsafePointer<Float>, paddedCount: Int,
                                      into accumulator: UnsafeMutablePointer<Float>) {
        let d = columnCount
        let vectorEnd = d & ~3
        let rowBytes = d &* 4
        typealias V = SIMD4<Float>
        @inline(__always) func add(_ sum: V, to target: UnsafeMutableRawPointer) {
            target.storeBytes(of: target.loadUnaligned(as: V.self) + sum, as: V.self)
        }
        var group = 0
        while group &+ 12 <= paddedCount {
            var column = 0
            while column < vectorEnd {
                var a0 = V(), a1 = V(), a2 = V(), a3 = V(), a4 = V(), a5 = V()
                var a6 = V(), a7 = V(), a8 = V(), a9 = V(), a10 = V(), a11 = V()
                var x = UnsafeRawPointer(values + (rows.lowerBound &* d &+ column))
                var c = g + group
                for _ in rows {
                    let v = x.loadUnaligned(as: V.self)
                    a0 += v * c[0]; a1 += v * c[1]; a2 += v * c[2]; a3 += v * c[3]
                    a4 += v * c[4]; a5 += v * c[5]; a6 += v * c[6]; a7 += v * c[7]
                    a8 += v * c[8]; a9 += v * c[9]; a10 += v * c[10]; a11 += v * c[11]
                    x += rowBytes
                    c += paddedCount
                }
                let t = UnsafeMutableRawPointer(accumulator + (group &* d &+ column))
                add(a0, to: t); add(a1, to: t + rowBytes); add(a2, to: t + rowBytes &* 2); add(a3, to: t + rowBytes &* 3)
                add(a4, to: t + rowBytes &* 4); add(a5, to: t + rowBytes &* 5); add(a6, to: t + rowBytes &* 6)
                add(a7, to: t + rowBytes &* 7); add(a8, to: t + rowBytes &* 8); add(a9, to: t + rowBytes &* 9)
                add(a10, to: t + rowBytes &* 10); add(a11, to: t + rowBytes &* 11)
                column &+= 4
            }
            group &+= 12
        }
        while group < paddedCount {
            var column = 0
            while column < vectorEnd {
                var a0 = V(), a1 = V(), a2 = V(), a3 = V()
                var x = UnsafeRawPointer(values + (rows.lowerBound &* d &+ column))
                var c = g + group
                for _ in rows {
                    let v = x.loadUnaligned(as: V.self)
                    a0 += v * c[0]; a1 += v * c[1]; a2 += v * c[2]; a3 += v * c[3]
                    x += rowBytes
                    c += paddedCount
                }
                let t = UnsafeMutableRawPointer(accumulator + (group &* d &+ column))
                add(a0, to: t); add(a1, to: t + rowBytes); add(a2, to: t + rowBytes &* 2); add(a3, to: t + rowBytes &* 3)
                column &+= 4
            }
            group &+= 4
        }
        // Columns past the last group of four.
        var column = vectorEnd
        while column < d {
            for row in rows {
                let v = values[row &* d &+ column]
                let c = g + (row &- rows.lowerBound) &* paddedCount
                for index in 0..<paddedCount { accumulator[index &* d &+ column] += v * c[index] }
            }
            column &+= 1
        }
    }
}

/// `count` rounded up to a multiple of 4.
@inline(__always) func paddedToFour(_ count: Int) -> Int { (count + 3) & ~3 }
