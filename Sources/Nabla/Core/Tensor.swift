/// An N-dimensional array of `Float` that records the operations applied to it, so that gradients can
/// be taken by reverse-mode automatic differentiation.
///
/// A tensor is a `Storage` buffer plus a `Layout` (shape, strides, offset). Views such as `reshaped`,
/// `transposed`, `sliced` and `expanded` share the storage and copy nothing.
///
/// ```swift
/// let x = Tensor([1, 2, 3, 4], shape: [2, 2], requiresGrad: true)
/// let loss = (x * x).sum()
/// loss.backward()
/// print(x.grad!)   // [[2, 4], [6, 8]]
/// ```
public final class Tensor {
    public let storage: Storage
    public let layout: Layout
    /// The operation that produced this tensor, when it was recorded for differentiation.
    let node: GradientNode?
    var isLeafRequiringGrad: Bool
    /// The gradient accumulated by `backward()` into a leaf tensor that requires gradients.
    public var grad: Tensor?

    init(storage: Storage, layout: Layout, node: GradientNode? = nil) {
        self.storage = storage
        self.layout = layout
        self.node = node
        self.isLeafRequiringGrad = false
    }

    /// A tensor holding `scalars` in row-major order.
    public convenience init(_ scalars: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == scalars.count,
                     "Tensor(_:shape:): \(scalars.count) values do not fill shape \(describe(shape))")
        self.init(storage: Storage(scalars), layout: Layout(contiguous: shape))
        self.requiresGrad = requiresGrad
    }

    /// A tensor of `shape` whose elements `body` writes, in row-major order, without zero-filling first
    /// (for readers and kernels that produce every element themselves). `body` must write them all.
    public convenience init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor(shape:initializingWith:): negative size in shape \(describe(shape))")
        let storage = Storage(uninitializedCount: shape.reduce(1, *))
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        self.init(storage: storage, layout: Layout(contiguous: shape))
    }

    /// A one-dimensional tensor holding `scalars`.
    public convenience init(_ scalars: [Float], requiresGrad: Bool = false) {
        self.init(scalars, shape: [scalars.count], requiresGrad: requiresGrad)
    }

    /// A rank-0 tensor holding one value.
    public convenience init(scalar: Float, requiresGrad: Bool = false) {
        self.init([scalar], shape: [], requiresGrad: requiresGrad)
    }

    /// A rank-2 tensor from rows of equal length.
    public convenience init(rows: [[Float]], requiresGrad: Bool = false) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "Tensor(rows:): rows have different lengths")
        self.init(rows.flatMap { $0 }, shape: [rows.count, width], requiresGrad: requiresGrad)
    }

    public var shape: [Int] { layout.shape }
    public var rank: Int { layout.rank }
    /// The number of elements.
    public var count: Int { layout.count }
    public var isContiguous: Bool { layout.isContiguous }

    /// Whether gradients flow to this tensor: set it on leaves (parameters, inputs); results of
    /// operations on such tensors require gradients too.
    public var requiresGrad: Bool {
        get { isLeafRequiringGrad || node != nil }
        set {
            precondition(node == nil || newValue, "requiresGrad: cannot switch off gradients of a computed tensor; use detached()")
            isLeafRequiringGrad = newValue && node == nil
        }
    }

    /// True for tensors not produced by a recorded operation.
    public var isLeaf: Bool { node == nil }

    /// The elements in row-major order.
    public var scalars: [Float] {
        let source = contiguous()
        return Array(UnsafeBufferPointer(start: source.storage.pointer + source.layout.offset, count: count))
    }

    /// The single value of a tensor with one element.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(describe(shape)) has \(count) elements, not 1")
        return storage.pointer[layout.offset]
    }

    /// The element at a full index, e.g. `x[1, 2]` (read only; no gradient).
    public subscript(_ indices: Int...) -> Float {
        precondition(indices.count == rank, "subscript: \(indices.count) indices for a tensor of rank \(rank)")
        var position = layout.offset
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis], "subscript: index \(index) out of range for axis \(axis) of size \(shape[axis])")
            position += index * layout.strides[axis]
        }
        return storage.pointer[position]
    }

    /// The same values with no history: gradients do not flow through the result. Shares storage.
    public func detached() -> Tensor { Tensor(storage: storage, layout: layout) }

    /// A contiguous tensor with the same values; returns `self` when already contiguous.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let result = Tensor(storage: copyToContiguous(self), layout: Layout(contiguous: shape))
        return record(result, "contiguous", [self], saves: .nothing) { gradient, _ in [gradient] }
    }

    /// Runs `body` over the contiguous elements (read only).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let source = contiguous()
        return try body(UnsafeBufferPointer(start: source.storage.pointer + source.layout.offset, count: count))
    }

    /// Writes into this tensor's elements in place. The tensor must be contiguous (parameters and
    /// freshly created tensors are). Used by optimisers; not recorded for differentiation. It counts as
    /// a modification (`Storage.version`): a recorded graph that still needs the old values can no
    /// longer be differentiated.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(isContiguous, "withUnsafeMutableBufferPointer: tensor of shape \(describe(shape)) is not contiguous")
        storage.noteInPlaceWrite()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer + layout.offset, count: count))
    }

    /// Copies `source`'s values into this tensor in place (shapes must match; broadcasting allowed).
    /// Like `withUnsafeMutableBufferPointer`, it counts as a modification (`Storage.version`).
    public func assign(_ source: Tensor) {
        precondition(broadcastShape(source.shape, shape) == shape,
                     "assign: source shape \(describe(source.shape)) does not fit \(describe(shape))")
        storage.noteInPlaceWrite()
        let expanded = Tensor(storage: source.storage, layout: source.layout.broadcast(to: shape))
        copyElements(from: expanded, into: storage.pointer, layout: layout)
    }
}
