// Indexing with integer tensors: gather and its adjoint scatter-add, index-select and its adjoint
// index-add. Each pair's backward rules point at each other, so any order of derivative works.

extension Tensor {
    /// `result[i][j][k] = self[i][indices[i][j][k]][k]` for `axis` 1 (likewise for any axis), like
    /// `torch.gather`. `indices` has this tensor's rank; its sizes may be smaller on other axes.
    public func gathered(axis: Int, indices: IntTensor) -> Tensor {
        let axis = normalizedAxes([axis], rank: rank, operation: "gathered")[0]
        precondition(indices.rank == rank && (0..<rank).allSatisfy { $0 == axis || indices.shape[$0] <= shape[$0] },
                     "gathered: indices of shape \(describe(indices.shape)) do not fit input \(describe(shape)) along axis \(axis)")
        let source = contiguous()
        let input = source.storage.pointer + source.layout.offset
        let result = Storage(uninitializedCount: indices.count)
        if let blocks = IndexBlocks(shape: shape, indices: indices, axis: axis) {
            blocks.forEach(operation: "gathered") { position, offset in result.pointer[position] = input[offset] }
        } else {
            let strides = Layout.rowMajorStrides(shape)
            forEachIndexPosition(indices, axis: axis, limit: shape[axis], operation: "gathered") { position, index, coordinates in
                var offset = 0
                for dimension in 0..<rank { offset += (dimension == axis ? index : coordinates[dimension]) * strides[dimension] }
                result.pointer[position] = input[offset]
            }
        }
        let inputShape = shape
        return record(Tensor(storage: result, layout: Layout(contiguous: indices.shape)), "gather", [self], saves: .nothing) { g, _ in
            [g.scattered(intoZerosOf: inputShape, axis: axis, indices: indices)]
        }
    }

    /// This tensor plus `source` added at `indices` along `axis` (the adjoint of `gathered`), like
    /// `torch.scatter_add`. Repeated indices accumulate.
    public func scatterAdding(axis: Int, indices: IntTensor, source: Tensor) -> Tensor {
        precondition(indices.shape == source.shape && indices.rank == rank,
                     "scatterAdding: indices \(describe(indices.shape)), source \(describe(source.shape)) and input \(describe(shape)) do not fit")
        return self + source.scattered(intoZerosOf: shape, axis: axis, indices: indices)
    }

    /// This tensor's elements added into zeros of `shape` at `indices` along `axis`: the adjoint of
    /// `gathered`, and the gradient of max pooling. Its own gradient is a gather.
    func scattered(intoZerosOf shape: [Int], axis: Int, indices: IntTensor) -> Tensor {
        let axis = normalizedAxes([axis], rank: shape.count, operation: "scatterAdding")[0]
        precondition(indices.shape == self.shape && indices.rank == shape.count,
                     "scatterAdding: indices \(describe(indices.shape)), source \(describe(self.shape)) and target \(describe(shape)) do not fit")
        let result = Tensor.zeros(shape)
        let values = contiguous()
        let input = values.storage.pointer + values.layout.offset
        let output = result.storage.pointer
        if let blocks = IndexBlocks(shape: shape, indices: indices, axis: axis) {
            blocks.forEach(operation: "scatterAdding") { position, offset in output[offset] += input[position] }
        } else {
            let strides = result.layout.strides
            forEachIndexPosition(indices, axis: axis, limit: shape[axis], operation: "scatterAdding") { position, index, coordinates in
                var offset = 0
                for dimension in 0..<rank { offset += (dimension == axis ? index : coordinates[dimension]) * strides[dimension] }
                output[offset] += input[position]
            }
        }
        return record(result, "scatter", [self], saves: .nothing) { g, _ in [g.gathered(axis: axis, indices: indices)] }
    }

    /// The slices at `indices` along `axis`, in that order (repeats allowed), like `torch.index_select`.
    public func indexSelected(axis: Int, indices: IntTensor) -> Tensor {
        let axis = normalizedAxes([axis], rank: rank, operation: "indexSelected")[0]
        let source = contiguous()
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *), size = shape[axis]
        var newShape = shape
        newShape[axis] = indices.count
        let result = Storage(uninitializedCount: outer * indices.count * inner)
        let input = source.storage.pointer + source.layout.offset
        for (position, index) in indices.scalars.enumerated() {
            precondition(index >= 0 && index < size, "indexSelected: index \(index) is outside 0..<\(size) for axis \(axis) of shape \(describe(shape))")
            for row in 0..<outer {
                (result.pointer + (row * indices.count + position) * inner).update(from: input + (row * size + index) * inner, count: inner)
            }
        }
        let inputShape = shape
        return record(Tensor(storage: result, layout: Layout(contiguous: newShape)), "indexSelect", [self], saves: .nothing) { g, _ in
            [g.indexAdded(intoShape: inputShape, axis: axis, indices: indices)]
        }
    }

    /// The adjoint of `indexSelected`: zeros of `intoShape` with this tensor's slices added at `indices`.
    func indexAdded(intoShape: [Int], axis: Int, indices: IntTensor) -> Tensor {
        let source = contiguous()
        let outer = intoShape[..<axis].reduce(1, *), inner = intoShape[(axis + 1)...].reduce(1, *), size = intoShape[axis]
        let result = Tensor.zeros(intoShape)
        let input = source.storage.pointer + source.layout.offset
        for (position, index) in indices.scalars.enumerated() {
            for row in 0..<outer {
                let to = result.storage.pointer + (row * size + index) * inner
                let from = input + (row * indices.count + position) * inner
                for element in 0..<inner { to[element] += from[element] }
            }
        }
        return record(result, "indexAdd", [self], saves: .nothing) { g, _ in [g.indexSelected(axis: axis, indices: indices)] }
    }

    /// Rows of this table (rank 2: vocabulary × features) for each index: shape `indices.shape + [features]`.
    public func embeddingLookup(_ indices: IntTensor) -> Tensor {
        precondition(rank == 2, "embeddingLookup: table must be rank 2, got shape \(describe(shape))")
        return indexSelected(axis: 0, indices: indices.reshaped([-1])).reshaped(indices.shape + [shape[1]])
    }
}

/// The common case of gather and scatter: the indices have the input's sizes on every axis but `axis`,
/// so both are [outer, ·, inner] blocks and an element's offset is found without per-axis arithmetic.
private struct IndexBlocks {
    let outer: Int, inner: Int, size: Int, selected: Int
    let indices: [Int]

    init?(shape: [Int], indices: IntTensor, axis: Int) {
        guard (0..<shape.count).allSatisfy({ $0 == axis || indices.shape[$0] == shape[$0] }) else { return nil }
        outer = shape[..<axis].reduce(1, *)
        inner = shape[(axis + 1)...].reduce(1, *)
        size = shape[axis]
        selected = indices.shape[axis]
        self.indices = indices.scalars
    }

    /// Calls `body(position in indices, offset in the contiguous input)` for every index, in order.
    @inline(__always)
    func forEach(operation: String, _ body: (Int, Int) -> Void) {
        indices.withUnsafeBufferPointer { indices in
            var position = 0
            for block in 0..<outer {
                for _ in 0..<selected {
                    for element in 0..<inner {
                        let index = indices[position]
                        precondition(index >= 0 && index < size, "\(operation): index \(index) is outside 0..<\(size)")
                        body(position, (block * size + index) * inner + element)
                        position += 1
                    }
                }
            }
        }
    }
}

/// Calls `body(position, index, coordinates)` for each element of `indices` in row-major order, checking
/// that each index lies in `0..<limit`.
private func forEachIndexPosition(_ indices: IntTensor, axis: Int, limit: Int, operation: String,
                                  _ body: (Int, Int, [Int]) -> Void) {
    var coordinates = [Int](repeating: 0, count: indices.rank)
    for (position, index) in indices.scalars.enumerated() {
        precondition(index >= 0 && index < limit, "\(operation): index \(index) is outside 0..<\(limit) along axis \(axis)")
        body(position, index, coordinates)
        var dimension = indices.rank - 1
        while dimension >= 0 {
            coordinates[dimension] += 1
            if coordinates[dimension] < indices.shape[dimension] { break }
            coordinates[dimension] = 0
            dimension -= 1
        }
    }
}
