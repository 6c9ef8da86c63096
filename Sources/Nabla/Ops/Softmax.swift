#if canImport(Glibc)
import Glibc
#endif

// Softmax and log-softmax: fused, numerically stable kernels (shifted by the row maximum) with backward
// rules written in tensor operations.

extension Tensor {
    /// exp(x) / Σ exp(x) along `axis`.
    public func softmax(axis: Int = -1) -> Tensor {
        let axis = normalizedAxes([axis], rank: rank, operation: "softmax")[0]
        let result = softmaxKernel(self, axis: axis, logarithm: false)
        return record(result, "softmax", [self], saves: .output) { g, y in
            [y * (g - (g * y).sum(axis: axis, keepDims: true))]
        }
    }

    /// x − log Σ exp(x) along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let axis = normalizedAxes([axis], rank: rank, operation: "logSoftmax")[0]
        let result = softmaxKernel(self, axis: axis, logarithm: true)
        return record(result, "logSoftmax", [self], saves: .output) { g, y in
            [g - y.exp() * g.sum(axis: axis, keepDims: true)]
        }
    }
}

private func softmaxKernel(_ x: Tensor, axis: Int, logarithm: Bool) -> Tensor {
    let (input, owner, outer, reduced, inner) = reductionView(x, axes: [axis])
    let result = Storage(uninitializedCount: x.count)
    let output = result.pointer
    withExtendedLifetime(owner) {
        parallelChunks(outer, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(reduced * inner, 1))) { rows in
            for row in rows {
                for column in 0..<inner {
                    let from = input + row * reduced * inner + column
                    let to = output + row * reduced * inner + column
                    var largest = -Float.infinity
                    for step in 0..<reduced { largest = Swift.max(largest, from[step * inner]) }
                    if !largest.isFinite { largest = 0 }
                    var total: Float = 0
                    for step in 0..<reduced {
                        let shifted = from[step * inner] - largest
                        let e = expf(shifted)
                        total += e
                        to[step * inner] = logarithm ? shifted : e
                    }
                    if logarithm {
                        let logTotal = logf(total)
                        for step in 0..<reduced { to[step * inner] -= logTotal }
                    } else {
                        let scale = 1 / total
                        for step in 0..<reduced { to[step * inner] *= scale }
                    }
                }
            }
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: x.shape))
}
