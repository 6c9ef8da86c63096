/// Reductions over a set of axes. The input is brought to the form [outer, reduced, inner] (a transpose
/// copy only when the reduced axes are not adjacent), then reduced with contiguous inner loops.

enum ReductionKind { case sum, maximum, minimum }

/// Normalised, sorted, unique axes; negative axes count from the end.
func normalizedAxes(_ axes: [Int], rank: Int, operation: String) -> [Int] {
    let resolved = axes.map { axis -> Int in
        let value = axis < 0 ? axis + rank : axis
        precondition(value >= 0 && value < Swift.max(rank, 1), "\(operation): axis \(axis) is out of range for rank \(rank)")
        return value
    }
    return Array(Set(resolved)).sorted()
}

/// The tensor viewed as contiguous [outer, reduced, inner] for reducing `axes` (sorted, unique).
func reductionView(_ x: Tensor, axes: [Int]) -> (pointer: UnsafePointer<Float>, owner: Tensor, outer: Int, reduced: Int, inner: Int) {
    let shape = x.shape
    let isBlock = axes.isEmpty || axes.last! - axes.first! + 1 == axes.count
    if isBlock {
        let source = x.contiguous()
        let first = axes.first ?? shape.count, last = axes.last ?? shape.count - 1
        let outer = shape[..<first].reduce(1, *)
        let reduced = axes.isEmpty ? 1 : shape[first...last].reduce(1, *)
        let inner = shape[(last + 1)...].reduce(1, *)
        return (UnsafePointer(source.storage.pointer + source.layout.offset), source, outer, reduced, inner)
    }
    let kept = (0..<shape.count).filter { !axes.contains($0) }
    let permuted = Tensor(storage: x.storage, layout: Layout(shape: (kept + axes).map { shape[$0] },
                                                             strides: (kept + axes).map { x.layout.strides[$0] },
                                                             offset: x.layout.offset))
    let source = Tensor(storage: copyToContiguous(permuted), layout: Layout(contiguous: permuted.shape))
    return (UnsafePointer(source.storage.pointer), source,
            kept.map { shape[$0] }.reduce(1, *), axes.map { shape[$0] }.reduce(1, *), 1)
}

/// The shape left after reducing `axes`.
func reducedShape(_ shape: [Int], axes: [Int], keepDims: Bool) -> [Int] {
    keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
             : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
}

/// Sums, maxima or minima over `axes` into a new contiguous tensor.
func reduceKernel(_ x: Tensor, axes: [Int], keepDims: Bool, kind: ReductionKind) -> Tensor {
    if let last = axes.last, axes.count > 1, last - axes.first! + 1 != axes.count {
        // Axes in separate runs (a bias gradient sums [N, C, H, W] over 0, 2 and 3): reduce the last
        // run first, then the rest, each over adjacent axes, instead of transposing a copy of the input.
        var runStart = axes.count - 1
        while runStart > 0 && axes[runStart - 1] == axes[runStart] - 1 { runStart -= 1 }
        let partial = reduceKernel(x, axes: Array(axes[runStart...]), keepDims: true, kind: kind)
        let whole = reduceKernel(partial, axes: Array(axes[..<runStart]), keepDims: true, kind: kind)
        return keepDims ? whole : Tensor(storage: whole.storage, layout: Layout(contiguous: reducedShape(x.shape, axes: axes, keepDims: false)))
    }
    let (input, owner, outer, reduced, inner) = reductionView(x, axes: axes)
    let result = Storage(uninitializedCount: outer * inner)
    let output = result.pointer
    withExtendedLifetime(owner) {
        if inner == 1 && kind == .sum && outer < Parallelism.cores && reduced >= 1 << 18 {
            // Few long rows (a full sum): the cores share each row's blocks instead of the rows.
            for row in 0..<outer { output[row] = sumLongRow(input + row * reduced, count: reduced) }
        } else if inner == 1 {
            parallelChunks(outer, minimumPerChunk: Swift.max(1, (1 << 16) / Swift.max(reduced, 1))) { rows in
                for row in rows { output[row] = reduceRow(input + row * reduced, count: reduced, kind: kind) }
            }
        } else {
            // Each output element reduces a column of `reduced` values `inner` apart; the outputs are
            // shared among the cores in contiguous runs, which never changes the order of any sum.
            parallelChunks(outer * inner, minimumPerChunk: Swift.max(1, (1 << 16) / Swift.max(reduced, 1))) { outputs in
                var position = outputs.lowerBound
                while position < outputs.upperBound {
                    let row = position / inner, column = position % inner
                    let end = Swift.min(outputs.upperBound, (row + 1) * inner)
                    reduceColumns(input + row * reduced * inner + column, reduced: reduced, stride: inner,
                                  count: end - position, into: output + position, kind: kind)
                    position = end
                }
            }
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: reducedShape(x.shape, axes: axes, keepDims: keepDims)))
}

/// `count` adjacent columns reduced, each over `reduced` values `stride` apart, written to `output`.
/// Sums follow `reduceRow`'s scheme across rows: float sums over blocks of 512 rows, added up in double
/// precision, so a million rows keep about six significant digits where a running float sum loses
/// three. Over several blocks, columns go in tiles of 2¹⁶ (long contiguous reads of each row, sums that
/// stay in the L2 cache); 512 rows or fewer are one block, whose float sum is already the result.
func reduceColumns(_ input: UnsafePointer<Float>, reduced: Int, stride: Int, count: Int,
                   into output: UnsafeMutablePointer<Float>, kind: ReductionKind) {
    if reduced == 0 { output.update(repeating: kind == .sum ? 0 : .nan, count: count); return }
    let blockRows = 512, tileWidth = reduced > blockRows ? 1 << 16 : Swift.max(count, 1)
    let totals = UnsafeMutablePointer<Double>.allocate(capacity: reduced > blockRows ? Swift.min(count, tileWidth) : 0)
    defer { totals.deallocate() }
    var tileStart = 0
    while tileStart < count {
        let width = Swift.min(tileWidth, count - tileStart)
        let out = output + tileStart, base = input + tileStart
        switch kind {
        case .sum:
            let isOneBlock = reduced <= blockRows
            if !isOneBlock { totals.update(repeating: 0, count: width) }
            var blockStart = 0
            while blockStart < reduced {
                let blockEnd = Swift.min(blockStart + blockRows, reduced)
                out.update(from: base + blockStart * stride, count: width)
                for step in (blockStart + 1)..<blockEnd {
                    let line = base + step * stride
                    for index in 0..<width { out[index] += line[index] }
                }
                if !isOneBlock { for index in 0..<width { totals[index] += Double(out[index]) } }
                blockStart = blockEnd
            }
            if !isOneBlock { for index in 0..<width { out[index] = Float(totals[index]) } }
        case .maximum, .minimum:
            out.update(from: base, count: width)
            for step in 1..<reduced {
                let line = base + step * stride
                if kind == .maximum {
                    for index in 0..<width { out[index] = Swift.max(out[index], line[index]) }
                } else {
                    for index in 0..<width { out[index] = Swift.min(out[index], line[index]) }
                }
            }
        }
        tileStart += width
    }
}

/// One contiguous row reduced. Sums add float blocks of `sumBlockLength` elements (see `blockSum`) in
/// double precision, so ten million elements keep about seven significant digits.
@inline(__always)
func reduceRow(_ row: UnsafePointer<Float>, count: Int, kind: ReductionKind) -> Float {
    switch kind {
    case .sum:
        var total: Double = 0
        for start in stride(from: 0, to: count, by: sumBlockLength) {
            total += Double(blockSum(row + start, count: Swift.min(sumBlockLength, count - start)))
        }
        return Float(total)
    case .maximum:
        var best = -Float.infinity
        for index in 0..<count { let v = row[index]; if v > best || v.isNaN { best = v } }
        return count == 0 ? .nan : best
    case .minimum:
        var best = Float.infinity
        for index in 0..<count { let v = row[index]; if v < best || v.isNaN { best = v } }
        return count == 0 ? .nan : best
    }
}

/// The position of the largest (or smallest) element along one axis, shape without that axis.
func argExtremeKernel(_ x: Tensor, axis: Int, largest: Bool) -> [Int] {
    let (input, owner, outer, reduced, inner) = reductionView(x, axes: [axis])
    precondition(reduced > 0, "argmax/argmin: axis \(axis) of shape \(describe(x.shape)) is empty")
    var indices = [Int](repeating: 0, count: outer * inner)
    withExtendedLifetime(owner) {
        for row in 0..<outer {
            for column in 0..<inner {
                let base = input + row * reduced * inner + column
                var best = base[0], bestIndex = 0
                for step in 1..<reduced {
                    let value = base[step * inner]
                    if best.isNaN { break }
                    if largest ? (value > best || value.isNaN) : (value < best || value.isNaN) { best = value; bestIndex = step }
                }
                indices[row * inner + column] = bestIndex
            }
        }
    }
    return indices
}

/// Elements a float partial sum covers before it is added to a double total.
let sumBlockLength = 4096

/// The float sum of up to `sumBlockLength` elements in four independent 8-lane accumulators, so
/// additions overlap instead of waiting on one another (one accumulator ran at about a quarter of
/// the memory's speed).
@inline(__always)
func blockSum(_ values: UnsafePointer<Float>, count: Int) -> Float {
    var first = SIMD8<Float>(), second = SIMD8<Float>(), third = SIMD8<Float>(), fourth = SIMD8<Float>()
    let raw = UnsafeRawPointer(values)
    var index = 0
    while index + 32 <= count {
        first += raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
        second += raw.loadUnaligned(fromByteOffset: (index + 8) * 4, as: SIMD8<Float>.self)
        third += raw.loadUnaligned(fromByteOffset: (index + 16) * 4, as: SIMD8<Float>.self)
        fourth += raw.loadUnaligned(fromByteOffset: (index + 24) * 4, as: SIMD8<Float>.self)
        index += 32
    }
    while index + 8 <= count {
        first += raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
        index += 8
    }
    var total = ((first + second) + (third + fourth)).sum()
    while index < count { total += values[index]; index += 1 }
    return total
}

/// `reduceRow`'s sum of one long row with its blocks shared among the cores: each block's float sum
/// is the same whoever computes it, and the blocks are added in order in double precision, so the
/// result equals `reduceRow`'s on any number of cores.
func sumLongRow(_ row: UnsafePointer<Float>, count: Int) -> Float {
    let blockCount = (count + sumBlockLength - 1) / sumBlockLength
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: blockCount)
    defer { partials.deallocate() }
    parallelChunks(blockCount, minimumPerChunk: 16) { blocks in
        for block in blocks {
            let start = block * sumBlockLength
            partials[block] = blockSum(row + start, count: Swift.min(sumBlockLength, count - start))
        }
    }
    var total: Double = 0
    for block in 0..<blockCount { total += Double(partials[block]) }
    return Float(total)
}
