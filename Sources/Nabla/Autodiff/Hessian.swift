// Second derivatives of a scalar with respect to a list of tensors, built on gradients of gradients:
// the gradient is recorded once (createGraph), then each Hessian-vector product is one more backward
// pass through that recorded gradient, seeded with the vector.

/// The Hessian-vector product `H·v` of a scalar `output` with respect to `inputs`, where `vector` holds one
/// tensor per input (same shapes) and the result likewise; like `torch.autograd.functional.hvp`.
///
/// Costs one backward pass to record the gradient and one through it, so `H` is never formed: power
/// iteration on it finds the sharpest curvature of a network with millions of parameters.
///
/// ```swift
/// let loss = (w * w * w).sum()                                    // H = diag(6w)
/// let hv = hessianVectorProduct(of: loss, withRespectTo: [w], vector: [Tensor.ones(w.shape)])[0]
/// ```
public func hessianVectorProduct(of output: Tensor, withRespectTo inputs: [Tensor], vector: [Tensor]) -> [Tensor] {
    precondition(vector.count == inputs.count && zip(vector, inputs).allSatisfy { $0.shape == $1.shape },
                 "hessianVectorProduct: vector shapes \(vector.map(\.shape)) do not match input shapes \(inputs.map(\.shape))")
    let firstGradients = gradients(of: output, withRespectTo: inputs, createGraph: true)
    // H·v = ∂(gᵀv)/∂θ, with v held constant.
    let recorded = zip(firstGradients, vector).filter { $0.0.requiresGrad }
    guard let first = recorded.first else { return inputs.map { Tensor.zeros($0.shape) } }
    let projection = recorded.dropFirst().reduce((first.0 * first.1.detached()).sum()) { $0 + ($1.0 * $1.1.detached()).sum() }
    return gradients(of: projection, withRespectTo: inputs)
}

/// The full Hessian of a scalar `output` with respect to `inputs`: a P×P matrix over the inputs' elements
/// flattened in row-major order and concatenated in the given order (P = the inputs' total element count).
/// Row i is ∂gᵢ/∂θ, one backward pass through the recorded gradient g each, so this suits a few thousand
/// parameters at most. Second derivatives are symmetric in exact arithmetic; rounding leaves the result
/// symmetric to float32 precision, not exactly (symmetrise with `(H + Hᵀ)/2` before an eigen-solver).
///
/// ```swift
/// let x = Tensor([1, 2], requiresGrad: true)
/// let h = hessian(of: (x * x * x).sum(), withRespectTo: [x])    // [[6, 0], [0, 12]]
/// symmetricEigenvalues(h)                                         // [6, 12]: a minimum
/// ```
public func hessian(of output: Tensor, withRespectTo inputs: [Tensor]) -> Tensor {
    let total = inputs.reduce(0) { $0 + $1.count }
    let firstGradients = gradients(of: output, withRespectTo: inputs, createGraph: true)
    let flatGradient = Tensor.concat(firstGradients.map { $0.reshaped([$0.count]) }, axis: 0)
    guard flatGradient.requiresGrad else { return Tensor.zeros([total, total]) }
    var rows: [Float] = []
    rows.reserveCapacity(total * total)
    var seed = [Float](repeating: 0, count: total)
    for row in 0..<total {
        seed[row] = 1
        let pieces = gradients(of: flatGradient, withRespectTo: inputs, gradient: Tensor(seed))
        seed[row] = 0
        for piece in pieces { rows += piece.scalars }
    }
    return Tensor(rows, shape: [total, total])
}
