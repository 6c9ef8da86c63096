import Nabla

// Penalties are composed from tensor operations, so they are differentiable (also twice) and are
// simply added to the loss. Weight decay λ in SGD or Adam equals adding (λ/2)·l2Penalty to the loss.

/// Σ θ² over every element of every parameter: a scalar tensor to add to the loss (ridge, L2).
///
/// ```swift
/// let loss = crossEntropy(model(x), labels) + 1e-4 * l2Penalty(model.parameters())
/// ```
public func l2Penalty(_ parameters: [Tensor]) -> Tensor {
    parameters.map { ($0 * $0).sum() }.reduce(Tensor(scalar: 0), +)
}

/// Σ |θ| over every element of every parameter (lasso, L1). Its gradient at 0 is 0, as in PyTorch.
///
/// ```swift
/// let loss = mseLoss(model(x), y) + 1e-3 * l1Penalty(model.parameters())
/// ```
public func l1Penalty(_ parameters: [Tensor]) -> Tensor {
    parameters.map { $0.abs().sum() }.reduce(Tensor(scalar: 0), +)
}

/// α·Σ|θ| + β·Σθ²: the elastic-net penalty.
public func elasticNetPenalty(_ parameters: [Tensor], l1Weight: Float, l2Weight: Float) -> Tensor {
    l1Weight * l1Penalty(parameters) + l2Weight * l2Penalty(parameters)
}
