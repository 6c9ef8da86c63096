/// An N-dimensional array of integers, for class labels and indices (gather, index-select, embedding
/// look-ups, targets of a classification loss). Integer tensors carry no gradients.
public struct IntTensor: Equatable, CustomStringConvertible, Sendable {
    public let shape: [Int]
    /// The elements in row-major order.
    public var scalars: [Int]

    public init(_ scalars: [Int], shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == scalars.count,
                     "IntTensor(_:shape:): \(scalars.count) values do not fill shape \(describe(shape))")
        self.shape = shape
        self.scalars = scalars
    }

    public init(_ scalars: [Int]) { self.init(scalars, shape: [scalars.count]) }

    public var rank: Int { shape.count }
    public var count: Int { scalars.count }

    public subscript(_ indices: Int...) -> Int {
        precondition(indices.count == rank, "IntTensor subscript: \(indices.count) indices for rank \(rank)")
        var position = 0
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis], "IntTensor subscript: index \(index) out of range for axis \(axis) of size \(shape[axis])")
            position = position * shape[axis] + index
        }
        return scalars[position]
    }

    public func reshaped(_ newShape: [Int]) -> IntTensor {
        guard let resolved = Layout.resolve(newShape, count: count) else {
            fatalError("reshaped: cannot view IntTensor of shape \(describe(shape)) as \(describe(newShape))")
        }
        return IntTensor(scalars, shape: resolved)
    }

    /// The values as floats, e.g. to compute with labels.
    public var asTensor: Tensor { Tensor(scalars.map(Float.init), shape: shape) }

    /// How many elements equal the corresponding element of `other` (same shape), e.g. correct predictions.
    public func countEqual(_ other: IntTensor) -> Int {
        precondition(shape == other.shape, "countEqual: shapes \(describe(shape)) and \(describe(other.shape)) differ")
        return zip(scalars, other.scalars).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    }

    public var description: String { formatNested(scalars.map(String.init), shape: shape) }
}

extension Tensor {
    /// The values rounded toward zero as integers (e.g. labels stored as floats).
    public var asIntTensor: IntTensor { IntTensor(scalars.map { Int($0) }, shape: shape) }
}
