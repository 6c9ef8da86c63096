/// `input @ weightᵀ + bias`, like PyTorch's `F.linear`.
///
/// Shapes: input (..., in), weight (out, in), bias (out) → (..., out). The transposed weight is handed
/// to BLAS as a transposed operand, and leading axes fold into one matrix product.
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(weight.rank == 2 && input.rank >= 1 && input.shape.last == weight.shape[1],
                 "linear: input \(describe(input.shape)) does not fit weight \(describe(weight.shape)) (expected last axis \(weight.rank == 2 ? weight.shape[1] : -1))")
    let product = matmul(input, weight.transposed())
    guard let bias else { return product }
    precondition(bias.shape == [weight.shape[0]], "linear: bias \(describe(bias.shape)) does not fit weight \(describe(weight.shape))")
    return product + bias
}

/// The rows of `weight` (vocabulary × features) for each index, like PyTorch's `F.embedding`:
/// shape `indices.shape + [features]`.
public func embedding(_ indices: IntTensor, weight: Tensor) -> Tensor {
    weight.embeddingLookup(indices)
}
