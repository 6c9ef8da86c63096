/// How a tensor's elements sit in its storage: `element[i0, i1, ...] = storage[offset + Σ ik * strides[k]]`.
///
/// A stride of zero repeats an element (that is how `expand` and broadcasting cost nothing).
public struct Layout: Equatable, Sendable {
    public var shape: [Int]
    public var strides: [Int]
    public var offset: Int

    /// A row-major (C order) layout of `shape` starting at `offset`.
    public init(contiguous shape: [Int], offset: Int = 0) {
        self.shape = shape
        self.strides = Layout.rowMajorStrides(shape)
        self.offset = offset
    }

    public init(shape: [Int], strides: [Int], offset: Int) {
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.reduce(1, *) }

    /// True when the elements are the `count` consecutive floats from `offset`, in row-major order.
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    public static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }
}

/// Shapes written the way PyTorch prints them, for error messages: `[2, 3]`.
func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// The shape two shapes broadcast to under NumPy/PyTorch rules, or nil when they do not fit.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for index in 0..<rank {
        let x = index < rank - a.count ? 1 : a[index - (rank - a.count)]
        let y = index < rank - b.count ? 1 : b[index - (rank - b.count)]
        if x == y || y == 1 { result[index] = x } else if x == 1 { result[index] = y } else { return nil }
    }
    return result
}

extension Layout {
    /// This layout seen with `target` shape: new leading axes and size-1 axes get stride zero.
    func broadcast(to target: [Int]) -> Layout {
        let lead = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for axis in 0..<rank where shape[axis] != 1 || target[axis + lead] == 1 {
            newStrides[axis + lead] = shape[axis] == 1 ? 0 : strides[axis]
        }
        return Layout(shape: target, strides: newStrides, offset: offset)
    }

    /// Resolves one `-1` in a requested shape and checks the element count; nil when impossible.
    static func resolve(_ requested: [Int], count: Int) -> [Int]? {
        var shape = requested
        let unknown = shape.indices.filter { shape[$0] == -1 }
        if unknown.count > 1 || shape.contains(where: { $0 < -1 }) { return nil }
        let known = shape.filter { $0 != -1 }.reduce(1, *)
        if let axis = unknown.first {
            guard known > 0, count % known == 0 else { return nil }
            shape[axis] = count / known
        }
        return shape.reduce(1, *) == count ? shape : nil
    }

    /// Strides for viewing this layout as `newShape` without copying, or nil when the memory order forbids it.
    /// Works axis group by axis group, as PyTorch's `view` does: each group of old axes that merges or
    /// splits must itself be laid out contiguously.
    func viewStrides(for newShape: [Int]) -> [Int]? {
        if isContiguous { return Layout.rowMajorStrides(newShape) }
        let oldAxes = (0..<rank).filter { shape[$0] != 1 }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var oldIndex = 0
        var newIndex = 0
        while newIndex < newShape.count || oldIndex < oldAxes.count {
            // Skip size-1 new axes: any stride works.
            if newIndex < newShape.count && newShape[newIndex] == 1 { newStrides[newIndex] = 1; newIndex += 1; continue }
            guard oldIndex < oldAxes.count, newIndex < newShape.count else { return nil }
            // Grow a group on both sides until the element counts agree.
            var oldGroup = [oldAxes[oldIndex]]; var oldSize = shape[oldAxes[oldIndex]]; oldIndex += 1
            var newGroup = [newIndex]; var newSize = newShape[newIndex]; newIndex += 1
            while oldSize != newSize {
                if oldSize < newSize {
                    guard oldIndex < oldAxes.count else { return nil }
                    oldGroup.append(oldAxes[oldIndex]); oldSize *= shape[oldAxes[oldIndex]]; oldIndex += 1
                } else {
                    guard newIndex < newShape.count else { return nil }
                    newGroup.append(newIndex); newSize *= newShape[newIndex]; newIndex += 1
                }
            }
            for pair in zip(oldGroup, oldGroup.dropFirst()) where strides[pair.0] != strides[pair.1] * shape[pair.1] {
                return nil
            }
            var running = strides[oldGroup.last!]
            for axis in newGroup.reversed() {
                newStrides[axis] = running
                running *= newShape[axis]
            }
        }
        return newStrides
    }
}
