// Reductions along any axes, with keepDims. `sum` is the primitive; mean, variance, norms and
// log-sum-exp are composed from it, so their gradients (and gradients of gradients) follow.

extension Tensor {
    /// The sum over `axes` (all axes when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let resolved = normalizedAxes(axes ?? Array(0..<rank), rank: rank, operation: "sum")
        let result = reduceKernel(self, axes: resolved, keepDims: keepDims, kind: .sum)
        return record(result, "sum", [self], saves: .nothing) { g, _ in
            [g.reshaped(reducedShape(self.shape, axes: resolved, keepDims: true)).expanded(to: self.shape)]
        }
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// The mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let resolved = normalizedAxes(axes ?? Array(0..<rank), rank: rank, operation: "mean")
        let count = resolved.map { shape[$0] }.reduce(1, *)
        return sum(axes: resolved, keepDims: keepDims) / Float(count)
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// The variance over `axes`; `unbiased` divides by n − 1 (PyTorch's default) instead of n.
    public func variance(axes: [Int]? = nil, unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        let resolved = normalizedAxes(axes ?? Array(0..<rank), rank: rank, operation: "variance")
        let count = resolved.map { shape[$0] }.reduce(1, *)
        let centred = self - mean(axes: resolved, keepDims: true)
        return (centred * centred).sum(axes: resolved, keepDims: keepDims) / Float(unbiased ? count - 1 : count)
    }

    /// The standard deviation over `axes`.
    public func standardDeviation(axes: [Int]? = nil, unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        variance(axes: axes, unbiased: unbiased, keepDims: keepDims).sqrt()
    }

    /// The largest values along `axis` and where they are; the gradient flows to those positions.
    public func max(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: IntTensor) {
        extreme(axis: axis, keepDims: keepDims, largest: true)
    }

    /// The smallest values along `axis` and where they are.
    public func min(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: IntTensor) {
        extreme(axis: axis, keepDims: keepDims, largest: false)
    }

    private func extreme(axis: Int, keepDims: Bool, largest: Bool) -> (values: Tensor, indices: IntTensor) {
        let resolved = normalizedAxes([axis], rank: rank, operation: largest ? "max" : "min")[0]
        let keptShape = reducedShape(shape, axes: [resolved], keepDims: true)
        let indices = IntTensor(argExtremeKernel(self, axis: resolved, largest: largest), shape: keptShape)
        // The values are a gather at the indices, so the gradient rule is gather's.
        let values = gathered(axis: resolved, indices: indices)
        return keepDims ? (values, indices) : (values.squeezed(axis: resolved), indices.reshaped(reducedShape(shape, axes: [resolved], keepDims: false)))
    }

    /// The largest element over `axes` (all when nil), without indices.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let resolved = normalizedAxes(axes ?? Array(0..<rank), rank: rank, operation: "max")
        if resolved.count == 1 { return max(axis: resolved[0], keepDims: keepDims).values }
        let values = reduceKernel(self, axes: resolved, keepDims: true, kind: .maximum)
        let result = Tensor(storage: values.storage, layout: Layout(contiguous: reducedShape(shape, axes: resolved, keepDims: keepDims)))
        // Ties share the gradient equally, as PyTorch's amax does.
        return record(result, "max", [self], saves: .inputsAndOutput) { g, _ in
            let mask = self .== values
            return [g.reshaped(values.shape) * mask / mask.sum(axes: resolved, keepDims: true)]
        }
    }

    /// The smallest element over `axes` (all when nil), without indices.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        -(-self).max(axes: axes, keepDims: keepDims)
    }

    /// Positions of the largest elements along `axis`.
    public func argmax(axis: Int) -> IntTensor {
        let resolved = normalizedAxes([axis], rank: rank, operation: "argmax")[0]
        return IntTensor(argExtremeKernel(self, axis: resolved, largest: true), shape: reducedShape(shape, axes: [resolved], keepDims: false))
    }

    /// Positions of the smallest elements along `axis`.
    public func argmin(axis: Int) -> IntTensor {
        let resolved = normalizedAxes([axis], rank: rank, operation: "argmin")[0]
        return IntTensor(argExtremeKernel(self, axis: resolved, largest: false), shape: reducedShape(shape, axes: [resolved], keepDims: false))
    }

    /// log Σ exp(x) over `axes`, shifted by the maximum so large inputs do not overflow.
    public func logSumExp(axes: [Int], keepDims: Bool = false) -> Tensor {
        let resolved = normalizedAxes(axes, rank: rank, operation: "logSumExp")
        // The shift is a constant for differentiation: the exact gradient does not depend on it.
        var shift = reduceKernel(self, axes: resolved, keepDims: true, kind: .maximum)
        shift = mapElements(shift, Elementwise.FiniteOrZero())
        let total = (self - shift).exp().sum(axes: resolved, keepDims: true).log() + shift
        return keepDims ? total : total.reshaped(reducedShape(shape, axes: resolved, keepDims: false))
    }

    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor { logSumExp(axes: [axis], keepDims: keepDims) }

    /// The p-norm over `axes` (all when nil): (Σ|x|ᵖ)^(1/p); p = 2 is the Euclidean norm.
    ///
    /// Its gradient x·|x|^(p−2) / ‖x‖^(p−1) is taken as 0 where the norm is 0, as in PyTorch (the chain
    /// rule through the square root would give 0 · ∞ = NaN at the zero vector); so is its second derivative.
    public func norm(p: Float = 2, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        if p == 1 { return abs().sum(axes: axes, keepDims: keepDims) }
        if p == .infinity { return abs().max(axes: axes, keepDims: keepDims) }
        let resolved = normalizedAxes(axes ?? Array(0..<rank), rank: rank, operation: "norm")
        let value = withoutGradients {
            p == 2 ? (self * self).sum(axes: resolved, keepDims: keepDims).sqrt()
                   : abs().pow(p).sum(axes: resolved, keepDims: keepDims).pow(1 / p)
        }
        return record(value, "norm", [self]) { g, _ in
            // Recomputed here so that, with createGraph, the rule is itself differentiable.
            let norm = self.norm(p: p, axes: resolved, keepDims: true)
            let nonzero = withoutGradients { norm.detached() .!= 0 }
            let scale = g.reshaped(norm.shape) * nonzero / (norm + (1 - nonzero))
            if p == 2 { return [self * scale] }
            // sign(x)·|x|^(p−1) / ‖x‖^(p−1), with the zero-norm case masked as above.
            return [self.sign() * self.abs().pow(p - 1) * scale / (norm + (1 - nonzero)).pow(p - 2)]
        }
    }

    /// Sums this gradient down to `target` (the inverse of broadcasting).
    func sum(toShape target: [Int]) -> Tensor {
        let lead = rank - target.count
        precondition(lead >= 0, "sum(toShape:): cannot reduce \(describe(shape)) to \(describe(target))")
        let axes = (0..<rank).filter { $0 < lead || (target[$0 - lead] == 1 && shape[$0] != 1) }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }
}
