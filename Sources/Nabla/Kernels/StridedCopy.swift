/// Copies a tensor's elements, in row-major order of its shape, into fresh contiguous storage.
func copyToContiguous(_ tensor: Tensor) -> Storage {
    let result = Storage(uninitializedCount: tensor.count)
    copyElements(from: tensor, into: result.pointer, layout: Layout(contiguous: tensor.shape))
    return result
}

/// Copies `source` (any strides) into `destination` laid out by `layout` (same shape).
/// The innermost axis is a tight loop; outer axes are walked with an index counter, never per element.
func copyElements(from source: Tensor, into destination: UnsafeMutablePointer<Float>, layout: Layout) {
    let shape = source.shape
    let count = source.count
    if count == 0 { return }
    let input = source.storage.pointer
    if source.layout.isContiguous && layout.isContiguous {
        (destination + layout.offset).update(from: input + source.layout.offset, count: count)
        return
    }
    forEachRow(shape: shape, strides: [source.layout.strides, layout.strides],
               offsets: [source.layout.offset, layout.offset]) { offsets, length, innerStrides in
        let from = input + offsets[0], to = destination + offsets[1]
        let fromStride = innerStrides[0], toStride = innerStrides[1]
        if fromStride == 1 && toStride == 1 {
            to.update(from: from, count: length)
        } else {
            for index in 0..<length { to[index * toStride] = from[index * fromStride] }
        }
    }
}

/// Walks every innermost row of `shape` for several layouts at once, giving each layout's offset of the
/// row start, the row length and each layout's stride along the row. Adjacent axes that are laid out
/// together in every layout are merged first, so broadcast and transposed views still get long rows.
@inline(__always)
func forEachRow(shape: [Int], strides: [[Int]], offsets: [Int],
                _ body: (_ offsets: [Int], _ length: Int, _ innerStrides: [Int]) -> Void) {
    var (mergedShape, mergedStrides) = coalesce(shape: shape, strides: strides)
    if mergedShape.isEmpty { mergedShape = [1]; mergedStrides = strides.map { _ in [1] } }
    let rank = mergedShape.count
    let length = mergedShape[rank - 1]
    let inner = mergedStrides.map { $0[rank - 1] }
    let rows = mergedShape.dropLast().reduce(1, *)
    var index = [Int](repeating: 0, count: rank)
    var current = offsets
    for _ in 0..<rows {
        body(current, length, inner)
        // Advance the odometer over the outer axes.
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            for layout in current.indices { current[layout] += mergedStrides[layout][axis] }
            if index[axis] < mergedShape[axis] { break }
            for layout in current.indices { current[layout] -= mergedStrides[layout][axis] * mergedShape[axis] }
            index[axis] = 0
            axis -= 1
        }
    }
}

/// Drops size-1 axes and merges neighbouring axes that are contiguous with each other in every layout.
func coalesce(shape: [Int], strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var newShape: [Int] = []
    var newStrides: [[Int]] = strides.map { _ in [] }
    for axis in shape.indices where shape[axis] != 1 {
        if let last = newShape.last,
           strides.indices.allSatisfy({ newStrides[$0].last! == strides[$0][axis] * shape[axis] }) {
            newShape[newShape.count - 1] = last * shape[axis]
            for layout in strides.indices { newStrides[layout][newStrides[layout].count - 1] = strides[layout][axis] }
        } else {
            newShape.append(shape[axis])
            for layout in strides.indices { newStrides[layout].append(strides[layout][axis]) }
        }
    }
    return (newShape, newStrides)
}
