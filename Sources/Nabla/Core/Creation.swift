extension Tensor {
    /// A tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], value: Float, requiresGrad: Bool = false) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "full: negative size in shape \(describe(shape))")
        let tensor = Tensor(storage: Storage(repeating: value, count: shape.reduce(1, *)), layout: Layout(contiguous: shape))
        tensor.requiresGrad = requiresGrad
        return tensor
    }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, value: 0, requiresGrad: requiresGrad)
    }

    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, value: 1, requiresGrad: requiresGrad)
    }

    /// Zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape) }

    /// 0, 1, …, up to but not including `end` (like `torch.arange(end)`).
    public static func arange(_ end: Float) -> Tensor { arange(0, end) }

    /// Values from `start` up to but not including `end`, `step` apart (like `torch.arange`).
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange: step must not be zero")
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<count).map { start + Float($0) * step })
    }

    /// `count` evenly spaced values from `start` to `end`, both included (like `torch.linspace`).
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> Tensor {
        precondition(count >= 0, "linspace: count must not be negative, got \(count)")
        if count == 1 { return Tensor([start]) }
        let step = (Double(end) - Double(start)) / Double(count - 1)
        // Like PyTorch: the second half counts back from `end`, so both ends are exact.
        return Tensor((0..<count).map { index in
            index < count / 2 ? Float(Double(start) + step * Double(index))
                              : Float(Double(end) - step * Double(count - 1 - index))
        })
    }

    /// The `rows`×`columns` identity matrix (ones on the diagonal).
    public static func eye(_ rows: Int, _ columns: Int? = nil) -> Tensor {
        let columns = columns ?? rows
        var values = [Float](repeating: 0, count: rows * columns)
        for index in 0..<Swift.min(rows, columns) { values[index * columns + index] = 1 }
        return Tensor(values, shape: [rows, columns])
    }

    /// One-hot rows: `result[..., k] = 1` where `k == labels[...]`, shape `labels.shape + [classes]`.
    public static func oneHot(_ labels: IntTensor, classes: Int) -> Tensor {
        var values = [Float](repeating: 0, count: labels.count * classes)
        for (row, label) in labels.scalars.enumerated() {
            precondition(label >= 0 && label < classes, "oneHot: label \(label) is outside 0..<\(classes)")
            values[row * classes + label] = 1
        }
        return Tensor(values, shape: labels.shape + [classes])
    }
}
