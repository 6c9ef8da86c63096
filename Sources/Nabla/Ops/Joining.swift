// Joining and padding: concat, stack, split and constant padding. Each backward rule is a slice.

extension Tensor {
    /// The tensors joined along `axis`; all other sizes must agree.
    public static func concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "concat: needs at least one tensor")
        let first = tensors[0]
        let resolved = axis < 0 ? axis + first.rank : axis
        for tensor in tensors where tensor.rank != first.rank || (0..<first.rank).contains(where: { $0 != resolved && tensor.shape[$0] != first.shape[$0] }) {
            fatalError("concat: shapes \(describe(first.shape)) and \(describe(tensor.shape)) do not fit along axis \(axis)")
        }
        var shape = first.shape
        shape[resolved] = tensors.map { $0.shape[resolved] }.reduce(0, +)
        let result = Tensor.zeros(shape)
        var starts: [Int] = []
        var position = 0
        for tensor in tensors {
            starts.append(position)
            var target = result.layout
            target.shape[resolved] = tensor.shape[resolved]
            target.offset = position * result.layout.strides[resolved]
            copyElements(from: tensor, into: result.storage.pointer, layout: target)
            position += tensor.shape[resolved]
        }
        return record(result, "concat", tensors, saves: .nothing) { g, _ in
            zip(tensors, starts).map { tensor, start in
                g.sliced(axis: resolved, start: start, end: start + tensor.shape[resolved])
            }
        }
    }

    /// The tensors (all one shape) stacked along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: needs at least one tensor")
        for tensor in tensors where tensor.shape != tensors[0].shape {
            fatalError("stack: shapes \(describe(tensors[0].shape)) and \(describe(tensor.shape)) differ")
        }
        return concat(tensors.map { $0.unsqueezed(axis: axis) }, axis: axis < 0 ? axis + tensors[0].rank + 1 : axis)
    }

    /// Pieces of the given sizes along `axis` (views; the sizes must add up to the axis length).
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(sizes.reduce(0, +) == shape[resolved], "split: sizes \(sizes) do not add up to \(shape[resolved]) along axis \(axis) of shape \(describe(shape))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(axis: resolved, start: start, end: start + size)
        }
    }

    /// Pieces of `size` along `axis` (the last may be shorter), like `torch.split(x, size)`.
    public func split(size: Int, axis: Int = 0) -> [Tensor] {
        let length = shape[axis < 0 ? axis + rank : axis]
        return split(sizes: stride(from: 0, to: length, by: size).map { Swift.min(size, length - $0) }, axis: axis)
    }

    /// Constant padding in PyTorch's order: `(before, after)` pairs for the last axis first, then the one
    /// before it, and so on (`F.pad(x, (1, 2, 0, 1))` pads the last axis by 1 and 2, the one before by 0 and 1).
    public func padded(_ padding: [Int], value: Float = 0) -> Tensor {
        precondition(padding.count % 2 == 0 && padding.count / 2 <= rank && padding.allSatisfy { $0 >= 0 },
                     "padded: \(padding) must be non-negative (before, after) pairs for at most \(rank) axes")
        var before = [Int](repeating: 0, count: rank), after = before
        for pair in 0..<padding.count / 2 {
            before[rank - 1 - pair] = padding[2 * pair]
            after[rank - 1 - pair] = padding[2 * pair + 1]
        }
        let result = Tensor.full((0..<rank).map { shape[$0] + before[$0] + after[$0] }, value: value)
        var target = result.layout
        target.shape = shape
        target.offset = (0..<rank).map { before[$0] * result.layout.strides[$0] }.reduce(0, +)
        copyElements(from: self, into: result.storage.pointer, layout: target)
        let inputShape = shape
        return record(result, "pad", [self], saves: .nothing) { g, _ in
            var inside = g
            for axis in 0..<inputShape.count where before[axis] != 0 || after[axis] != 0 {
                inside = inside.sliced(axis: axis, start: before[axis], end: before[axis] + inputShape[axis])
            }
            return [inside]
        }
    }
}
