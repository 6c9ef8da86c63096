// Resizing images. Nearest neighbour is an index selection along each spatial axis; bilinear is two
// small interpolation matrices applied by matrix products. Both are differentiable for free.

public enum InterpolationMode: Sendable { case nearest, bilinear }

/// Resizes (N, C, H, W) by an integer factor, like `F.interpolate(x, scale_factor=s, mode=...)`.
public func interpolate(_ input: Tensor, scaleFactor: Int, mode: InterpolationMode = .nearest,
                        alignCorners: Bool = false) -> Tensor {
    precondition(input.rank == 4 && scaleFactor > 0, "interpolate: input must be (N, C, H, W) and scale positive, got \(describe(input.shape)), \(scaleFactor)")
    return interpolate(input, size: Size2(input.shape[2] * scaleFactor, input.shape[3] * scaleFactor),
                       mode: mode, alignCorners: alignCorners)
}

/// Resizes (N, C, H, W) to `size`, like `F.interpolate(x, size=..., mode=...)`. Nearest neighbour reads
/// source index ⌊i · in/out⌋; bilinear follows PyTorch's half-pixel rule unless `alignCorners`.
public func interpolate(_ input: Tensor, size: Size2, mode: InterpolationMode = .nearest,
                        alignCorners: Bool = false) -> Tensor {
    precondition(input.rank == 4 && size.height > 0 && size.width > 0,
                 "interpolate: input must be (N, C, H, W) and size positive, got \(describe(input.shape)) → \(size)")
    let (height, width) = (input.shape[2], input.shape[3])
    switch mode {
    case .nearest:
        func sources(_ inputs: Int, _ outputs: Int) -> IntTensor {
            IntTensor((0..<outputs).map { Swift.min(Int((Float($0) * Float(inputs) / Float(outputs)).rounded(.down)), inputs - 1) })
        }
        return input.indexSelected(axis: 2, indices: sources(height, size.height))
            .indexSelected(axis: 3, indices: sources(width, size.width))
    case .bilinear:
        let rows = interpolationMatrix(from: height, to: size.height, alignCorners: alignCorners)
        let columns = interpolationMatrix(from: width, to: size.width, alignCorners: alignCorners)
        return matmul(matmul(rows, input), columns.T)
    }
}

/// A [outputs, inputs] matrix of linear-interpolation weights along one axis.
private func interpolationMatrix(from inputs: Int, to outputs: Int, alignCorners: Bool) -> Tensor {
    var values = [Float](repeating: 0, count: outputs * inputs)
    for row in 0..<outputs {
        var source: Float
        if alignCorners {
            source = outputs > 1 ? Float(row) * Float(inputs - 1) / Float(outputs - 1) : 0
        } else {
            source = Swift.max((Float(row) + 0.5) * Float(inputs) / Float(outputs) - 0.5, 0)
        }
        let lower = Swift.min(Int(source), inputs - 1), upper = Swift.min(lower + 1, inputs - 1)
        let fraction = source - Float(lower)
        values[row * inputs + lower] += 1 - fraction
        values[row * inputs + upper] += fraction
    }
    return Tensor(values, shape: [outputs, inputs])
}
