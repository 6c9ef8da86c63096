// Scaled dot-product attention, composed from matmul, softmax and `where`, so its gradients (and their
// gradients) follow from those operations.

/// Scaled dot-product attention, like `F.scaled_dot_product_attention` (its math reference, without
/// dropout):
///
///     scores  = query·keyᵀ · scale  (+ additiveMask)  (−∞ where blocked)
///     output  = softmax(scores, over keys) · value
///
/// - `allowed`: 1 where a query may attend to a key, 0 where it may not (PyTorch's boolean `attn_mask`,
///   True = attend). Blocked scores become −∞.
/// - `additiveMask`: added to the scores (PyTorch's float `attn_mask`), e.g. −∞ or a relative-position bias.
/// - `isCausal`: query i attends only to keys j ≤ i, aligned at the top left as in PyTorch (for L ≠ S
///   this is PyTorch's `tril` mask, not the bottom-right alignment of a key/value cache).
/// - `scale`: defaults to 1/√E.
///
/// The masks may be combined (they all apply); PyTorch refuses an explicit mask together with
/// `is_causal`. A query row whose scores are all −∞ (every key blocked) gives zeros and passes no gradient,
/// as PyTorch's math backend has done since 2.5 (`_safe_softmax`); older versions gave NaN.
///
/// Shapes: `query` (..., L, E), `key` (..., S, E), `value` (..., S, Ev), leading axes broadcast as in
/// `matmul`; `allowed` and `additiveMask` broadcastable to (..., L, S). The result is (..., L, Ev).
///
/// ```swift
/// let heads = scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)   // (B, H, L, E)
/// ```
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, allowed: Tensor? = nil,
                                      additiveMask: Tensor? = nil, isCausal: Bool = false, scale: Float? = nil) -> Tensor {
    let shapes = "query \(describe(query.shape)), key \(describe(key.shape)), value \(describe(value.shape))"
    guard query.rank >= 2, key.rank >= 2, value.rank >= 2,
          query.shape[query.rank - 1] == key.shape[key.rank - 1],
          key.shape[key.rank - 2] == value.shape[value.rank - 2] else {
        fatalError("scaledDotProductAttention: \(shapes) do not fit (..., L, E), (..., S, E), (..., S, Ev)")
    }
    let queries = query.shape[query.rank - 2], keys = key.shape[key.rank - 2]
    let features = query.shape[query.rank - 1]
    guard let batchShape = broadcastShape(Array(query.shape.dropLast(2)), Array(key.shape.dropLast(2))),
          broadcastShape(batchShape, Array(value.shape.dropLast(2))) != nil else {
        fatalError("scaledDotProductAttention: leading axes of \(shapes) do not broadcast")
    }
    var scores = matmul(query, key.transposed()) * (scale ?? 1 / Float(features).squareRoot())
    let scoreShape = scores.shape
    for (name, mask) in [("allowed", allowed), ("additiveMask", additiveMask)] {
        if let mask, broadcastShape(mask.shape, scoreShape) != scoreShape {
            fatalError("scaledDotProductAttention: \(name) of shape \(describe(mask.shape)) does not broadcast to scores (..., L, S) \(describe(scoreShape)) for \(shapes)")
        }
    }
    if let additiveMask { scores = scores + additiveMask }
    var blocked: Tensor? = allowed.map { $0 .== 0 }
    if isCausal {
        var above = [Float](repeating: 0, count: queries * keys)
        for row in 0..<queries { for column in 0..<keys where column > row { above[row * keys + column] = 1 } }
        let causal = Tensor(above, shape: [queries, keys])
        blocked = blocked.map { maximum($0, causal) } ?? causal
    }
    if let blocked { scores = `where`(blocked, Tensor(scalar: -.infinity), scores) }
    guard allowed != nil || additiveMask != nil || isCausal else {
        return matmul(scores.softmax(axis: -1), value)
    }
    // Rows with every score −∞ would give 0/0 in softmax: give them finite scores, then zero weights.
    let rowMaximum = withoutGradients { scores.max(axes: [-1], keepDims: true) }
    let live = rowMaximum .> -Float.infinity
    let weights = `where`(live, scores, Tensor(scalar: 0)).softmax(axis: -1) * live
    return matmul(weights, value)
}
