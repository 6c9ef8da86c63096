// Matrix products with PyTorch's `@` semantics: 1-D operands are promoted and the extra axis removed,
// leading (batch) axes broadcast.

/// The matrix product of `a` and `b`, like `a @ b` in PyTorch.
///
/// ```swift
/// let y = matmul(x, w.T)   // [batch, in] @ [in, out]
/// ```
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.rank >= 1 && b.rank >= 1, "matmul: shapes \(describe(a.shape)) and \(describe(b.shape)) need at least one axis each")
    if a.rank == 1 && b.rank == 1 { return matmul(a.unsqueezed(axis: 0), b.unsqueezed(axis: 1)).reshaped([]) }
    if a.rank == 1 { return matmul(a.unsqueezed(axis: 0), b).squeezed(axis: -2) }
    if b.rank == 1 { return matmul(a, b.unsqueezed(axis: 1)).squeezed(axis: -1) }
    guard a.shape[a.rank - 1] == b.shape[b.rank - 2] else {
        fatalError("matmul: shapes \(describe(a.shape)) and \(describe(b.shape)) do not fit (\(a.shape[a.rank - 1]) ≠ \(b.shape[b.rank - 2]))")
    }
    return record(matmulKernel(a, b), "matmul", [a, b]) { g, _ in
        // dA = G·Bᵀ, dB = Aᵀ·G; broadcast batch axes are summed away by the engine.
        let gradientA = a.requiresGrad ? matmul(g, b.transposed()) : nil
        guard b.requiresGrad else { return [gradientA, nil] }
        if b.rank == 2 {
            // A matrix shared by every row (a linear layer, also on a sequence): one product over all
            // rows at once instead of one per batch entry and a sum.
            let rows = a.reshaped([-1, a.shape[a.rank - 1]]), gradientRows = g.reshaped([-1, g.shape[g.rank - 1]])
            if b.layout.strides[0] == 1 && b.layout.strides[1] != 1 {
                // B is a transposed view (a linear layer's Wᵀ): (Gᵀ·A)ᵀ reaches W through the transpose
                // already laid out like W, so no strided copy follows.
                return [gradientA, matmul(gradientRows.transposed(), rows).transposed()]
            }
            return [gradientA, matmul(rows.transposed(), gradientRows)]
        }
        return [gradientA, matmul(a.transposed(), g)]
    }
}

extension Tensor {
    /// The matrix product `self @ other`.
    public func matmul(_ other: Tensor) -> Tensor { Nabla.matmul(self, other) }
}
