// Views: new shapes and strides over the same storage. Nothing is copied unless the memory order makes
// a view impossible (reshaping a transposed tensor), in which case `reshaped` copies, like PyTorch's
// `reshape`.

extension Tensor {
    /// The same elements in row-major order with a new shape; one axis may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        guard let resolved = Layout.resolve(newShape, count: count) else {
            fatalError("reshaped: cannot view shape \(describe(shape)) (\(count) elements) as \(describe(newShape))")
        }
        if resolved == shape { return self }
        let source = layout.viewStrides(for: resolved) == nil ? contiguous() : self
        let view = Tensor(storage: source.storage,
                          layout: Layout(shape: resolved, strides: source.layout.viewStrides(for: resolved)!, offset: source.layout.offset))
        return record(view, "reshape", [source], saves: .nothing) { g, _ in [g.reshaped(source.shape)] }
    }

    /// All axes from `startAxis` on merged into one.
    public func flattened(startAxis: Int = 0) -> Tensor {
        let start = startAxis < 0 ? startAxis + rank : startAxis
        return reshaped(Array(shape[..<start]) + [shape[start...].reduce(1, *)])
    }

    /// The axes reordered: axis `k` of the result is axis `axes[k]` of this tensor.
    public func permuted(_ axes: [Int]) -> Tensor {
        let resolved = axes.map { $0 < 0 ? $0 + rank : $0 }
        precondition(resolved.sorted() == Array(0..<rank), "permuted: \(axes) is not a permutation of the axes of shape \(describe(shape))")
        let view = Tensor(storage: storage, layout: Layout(shape: resolved.map { shape[$0] },
                                                           strides: resolved.map { layout.strides[$0] },
                                                           offset: layout.offset))
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in resolved.enumerated() { inverse[axis] = position }
        return record(view, "permute", [self], saves: .nothing) { g, _ in [g.permuted(inverse)] }
    }

    /// Two axes swapped (by default the last two, the matrix transpose).
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(first < 0 ? first + rank : first, second < 0 ? second + rank : second)
        return permuted(axes)
    }

    /// The matrix transpose of a rank-2 tensor.
    public var T: Tensor {
        precondition(rank == 2, "T: needs a rank-2 tensor, got shape \(describe(shape))")
        return transposed(0, 1)
    }

    /// Elements `start, start + step, ...` before `end` along `axis` (negative bounds count from the end,
    /// like Python's `x[start:end:step]`).
    public func sliced(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) -> Tensor {
        let axis = axis < 0 ? axis + rank : axis
        precondition(axis >= 0 && axis < rank, "sliced: axis \(axis) out of range for shape \(describe(shape))")
        precondition(step > 0, "sliced: step must be positive, got \(step)")
        let size = shape[axis]
        func clampBound(_ value: Int) -> Int { Swift.min(Swift.max(value < 0 ? value + size : value, 0), size) }
        let first = clampBound(start), last = Swift.max(first, clampBound(end ?? size))
        var newLayout = layout
        newLayout.shape[axis] = (last - first + step - 1) / step
        newLayout.strides[axis] = layout.strides[axis] * step
        newLayout.offset = layout.offset + first * layout.strides[axis]
        let inputShape = shape
        return record(Tensor(storage: storage, layout: newLayout), "slice", [self], saves: .nothing) { g, _ in
            [g.embedded(inShape: inputShape, axis: axis, start: first, step: step)]
        }
    }

    /// The adjoint of `sliced`: this tensor placed at `start, start + step, ...` along `axis` of a zero
    /// tensor of `inShape`.
    func embedded(inShape: [Int], axis: Int, start: Int, step: Int) -> Tensor {
        let result = Tensor.zeros(inShape)
        var target = result.layout
        target.shape[axis] = shape[axis]
        target.strides[axis] *= step
        target.offset = start * result.layout.strides[axis]
        copyElements(from: self, into: result.storage.pointer, layout: target)
        let end = start + (shape[axis] - 1) * step + 1
        return record(result, "embed", [self], saves: .nothing) { g, _ in [g.sliced(axis: axis, start: start, end: end, step: step)] }
    }

    /// A view with size-1 axes repeated to `target` (and new leading axes), copying nothing.
    public func expanded(to target: [Int]) -> Tensor {
        guard target.count >= rank, broadcastShape(shape, target) == target else {
            fatalError("expanded: shape \(describe(shape)) cannot be expanded to \(describe(target))")
        }
        if target == shape { return self }
        let inputShape = shape
        return record(Tensor(storage: storage, layout: layout.broadcast(to: target)), "expand", [self], saves: .nothing) { g, _ in
            [g.sum(toShape: inputShape)]
        }
    }

    /// The tensor without the size-1 axis `axis` (or without every size-1 axis when nil).
    public func squeezed(axis: Int? = nil) -> Tensor {
        guard let axis else { return reshaped(shape.filter { $0 != 1 }) }
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < rank, "squeezed: axis \(axis) out of range for shape \(describe(shape))")
        if shape[resolved] != 1 { return self }
        var newShape = shape
        newShape.remove(at: resolved)
        return reshaped(newShape)
    }

    /// The tensor with a new size-1 axis inserted at `axis`.
    public func unsqueezed(axis: Int) -> Tensor {
        let resolved = axis < 0 ? axis + rank + 1 : axis
        precondition(resolved >= 0 && resolved <= rank, "unsqueezed: axis \(axis) out of range for shape \(describe(shape))")
        var newShape = shape
        newShape.insert(1, at: resolved)
        return reshaped(newShape)
    }
}
