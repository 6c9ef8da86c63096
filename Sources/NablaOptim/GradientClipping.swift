import Nabla
#if canImport(Glibc)
import Glibc
#endif

// Clipping replaces each parameter's `grad` with a new tensor instead of scaling it in place: the
// autodiff engine may hand one gradient tensor to several leaves (both inputs of an addition receive
// the same one) or a broadcast view with stride 0 (the gradient of a sum), and writing into either
// would change other gradients or fail. The values are what PyTorch's in-place functions leave.

/// The norm of all gradients of `parameters` taken together as one vector (parameters without a gradient
/// are skipped; 0 when none has one). `normType` is p of the p-norm; `.infinity` gives the largest |g|.
///
/// ```swift
/// let norm = gradientNorm(model.parameters())   // √(Σ g²) over every element of every gradient
/// ```
public func gradientNorm(_ parameters: [Tensor], normType: Double = 2) -> Double {
    precondition(normType > 0, "gradientNorm: norm type must be positive, got \(normType)")
    var total = 0.0
    for parameter in parameters {
        guard let gradient = parameter.grad else { continue }
        gradient.withUnsafeBufferPointer { values in
            let base = values.baseAddress!
            if normType == .infinity {
                var largest: Float = 0
                for index in values.indices {
                    let magnitude = abs(base[index])
                    // Written so that a NaN wins, as in PyTorch.
                    if !(magnitude <= largest) { largest = magnitude }
                }
                if !(Double(largest) <= total) { total = Double(largest) }
                return
            }
            total += sumOverChunks(values.count) { range in
                var sum = 0.0
                if normType == 2 {
                    for index in range { let value = Double(base[index]); sum += value * value }
                } else if normType == 1 {
                    for index in range { sum += Double(abs(base[index])) }
                } else {
                    for index in range { sum += pow(Double(abs(base[index])), normType) }
                }
                return SIMD2(sum, 0)
            }.x
        }
    }
    if normType == .infinity || normType == 1 { return total }
    return normType == 2 ? total.squareRoot() : pow(total, 1 / normType)
}

/// Scales the gradients of `parameters` so that their joint norm is at most `maximumNorm`, like
/// `torch.nn.utils.clip_grad_norm_`, and returns the norm before clipping:
///
/// ```text
/// n ← ‖(g₁, g₂, …)‖_p                     (all gradients as one vector)
/// c ← maximumNorm / (n + 10⁻⁶)
/// if c < 1:  gᵢ ← c·gᵢ for every gradient
/// ```
///
/// A non-finite norm makes every gradient non-finite, as in PyTorch (check the returned value to skip such
/// a step). Differences from PyTorch, same values: each clipped `grad` is replaced by a new tensor rather
/// than scaled in place (see the note at the top of this file), and with c ≥ 1 nothing is touched (PyTorch
/// multiplies by min(c, 1) = 1).
///
/// ```swift
/// loss.backward()
/// let norm = clipGradientNorm(model.parameters(), maximumNorm: 1)
/// optimizer.step()
/// ```
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maximumNorm: Double, normType: Double = 2) -> Double {
    precondition(maximumNorm >= 0, "clipGradientNorm: maximum norm must not be negative, got \(maximumNorm)")
    let norm = gradientNorm(parameters, normType: normType)
    let coefficient = maximumNorm / (norm + 1e-6)
    guard !(coefficient >= 1) else { return norm }
    let factor = Float(coefficient)
    withoutGradients {
        for parameter in parameters {
            if let gradient = parameter.grad { parameter.grad = gradient * factor }
        }
    }
    return norm
}

/// Clamps every gradient element of `parameters` to [−maximum, maximum], like
/// `torch.nn.utils.clip_grad_value_` (each `grad` is replaced by its clamped copy rather than clamped in
/// place).
///
/// ```swift
/// clipGradientValues(model.parameters(), maximum: 0.5)
/// ```
public func clipGradientValues(_ parameters: [Tensor], maximum: Double) {
    precondition(maximum >= 0, "clipGradientValues: maximum must not be negative, got \(maximum)")
    let bound = Float(maximum)
    withoutGradients {
        for parameter in parameters {
            if let gradient = parameter.grad { parameter.grad = gradient.clamped(min: -bound, max: bound) }
        }
    }
}
