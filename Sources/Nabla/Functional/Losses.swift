#if canImport(Glibc)
import Glibc
#endif

// Loss functions with PyTorch's definitions and defaults (`torch.nn.functional`). Each is composed from
// tensor operations, so gradients and gradients of gradients follow; only binary cross-entropy on
// probabilities carries its own rule, to keep PyTorch's finite gradient where a probability is exactly
// 0 or 1.

/// How `klDivergence` sums up its per-element values, as PyTorch's `reduction=` for `kl_div`.
public enum KLReduction: Sendable {
    /// One value per element.
    case none
    /// The mean over all elements (PyTorch's default, though not the mathematical KL divergence).
    case mean
    /// The sum over all elements.
    case sum
    /// The sum divided by the batch size (the first axis): the KL divergence per sample.
    case batchMean
}

/// Applies `reduction` to per-element losses.
private func reduce(_ losses: Tensor, _ reduction: LossReduction) -> Tensor {
    switch reduction {
    case .none: return losses
    case .mean: return losses.mean()
    case .sum: return losses.sum()
    }
}

private func checkSameShape(_ function: String, _ input: Tensor, _ target: Tensor) {
    if input.shape != target.shape {
        fatalError("\(function): input shape \(describe(input.shape)) differs from target shape \(describe(target.shape))")
    }
}

// MARK: - Regression

/// Mean squared error `(x − y)²`, like `F.mse_loss`.
///
/// Shapes: `input` and `target` the same shape; the result is a scalar, or that shape for `.none`.
///
/// ```swift
/// let loss = mseLoss(prediction, target)   // mean of squared differences
/// ```
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape("mseLoss", input, target)
    let difference = input - target
    return reduce(difference * difference, reduction)
}

/// Absolute error `|x − y|`, like `F.l1_loss` (the gradient at a zero difference is zero).
///
/// Shapes: `input` and `target` the same shape; the result is a scalar, or that shape for `.none`.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape("l1Loss", input, target)
    return reduce((input - target).abs(), reduction)
}

/// Huber loss, like `F.huber_loss`: with d = x − y,
///
///     ½d²               if |d| < delta
///     delta·(|d| − ½delta)  otherwise
///
/// Shapes: `input` and `target` the same shape; the result is a scalar, or that shape for `.none`.
public func huberLoss(_ input: Tensor, _ target: Tensor, delta: Float = 1, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape("huberLoss", input, target)
    precondition(delta > 0, "huberLoss: delta must be positive, got \(delta)")
    let difference = input - target
    let size = difference.abs()
    let losses = `where`(size .< delta, difference * difference * 0.5, (size - 0.5 * delta) * delta)
    return reduce(losses, reduction)
}

/// Smooth L1 loss, like `F.smooth_l1_loss`: with d = x − y,
///
///     ½d²/beta       if |d| < beta
///     |d| − ½beta    otherwise
///
/// It equals `huberLoss / beta` for beta > 0, and the L1 loss for beta = 0 (as in PyTorch).
///
/// Shapes: `input` and `target` the same shape; the result is a scalar, or that shape for `.none`.
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, beta: Float = 1, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape("smoothL1Loss", input, target)
    precondition(beta >= 0, "smoothL1Loss: beta must not be negative, got \(beta)")
    if beta == 0 { return l1Loss(input, target, reduction: reduction) }
    let difference = input - target
    let size = difference.abs()
    let losses = `where`(size .< beta, difference * difference * (0.5 / beta), size - 0.5 * beta)
    return reduce(losses, reduction)
}

// MARK: - Classification with class indices

/// Cross-entropy between logits and class indices, like `F.cross_entropy`:
///
///     ℓᵢ = −w[tᵢ]·log softmax(xᵢ)[tᵢ]
///
/// For `.mean` the sum of ℓᵢ is divided by the sum of the target weights w[tᵢ] (the number of targets
/// when `weight` is nil). Targets equal to `ignoreIndex` contribute to neither sum (all ignored gives
/// 0/0 = NaN, as in PyTorch). With `labelSmoothing` ε, PyTorch's definition is followed:
///
///     ℓᵢ = (1 − ε)·w[tᵢ]·(−log pᵢ[tᵢ]) + (ε/C)·Σ_c w[c]·(−log pᵢ[c])
///
/// and `.mean` divides both parts by the same sum of target weights.
///
/// Shapes: `logits` (N, C) or (N, C, d₁, ...) (or (C) for one sample); `target` (N) or (N, d₁, ...)
/// (or () ) with values in 0..<C or `ignoreIndex`; `weight` (C). The result is a scalar, or the target's
/// shape for `.none`.
///
/// ```swift
/// let loss = crossEntropy(model(images), labels)               // logits (64, 10), labels (64)
/// let smoothed = crossEntropy(logits, labels, labelSmoothing: 0.1)
/// ```
public func crossEntropy(_ logits: Tensor, _ target: IntTensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                         labelSmoothing: Float = 0, reduction: LossReduction = .mean) -> Tensor {
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                 "crossEntropy: labelSmoothing must lie in [0, 1], got \(labelSmoothing)")
    let classAxis = logits.rank == 1 ? 0 : 1
    precondition(logits.rank >= 1, "crossEntropy: logits must be (N, C) or (N, C, ...), got a scalar")
    return classIndexLoss("crossEntropy", logits.logSoftmax(axis: classAxis), target, weight: weight,
                          ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing, reduction: reduction)
}

/// Negative log-likelihood of class indices given log-probabilities, like `F.nll_loss`:
///
///     ℓᵢ = −w[tᵢ]·x[i, tᵢ]
///
/// `.mean` divides by the sum of the target weights; `ignoreIndex` targets are left out of both sums.
///
/// Shapes: `logProbabilities` (N, C) or (N, C, d₁, ...) (or (C)); `target` (N) or (N, d₁, ...) (or ());
/// `weight` (C). The result is a scalar, or the target's shape for `.none`.
///
/// ```swift
/// let loss = nllLoss(logits.logSoftmax(axis: 1), labels)   // same as crossEntropy(logits, labels)
/// ```
public func nllLoss(_ logProbabilities: Tensor, _ target: IntTensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                    reduction: LossReduction = .mean) -> Tensor {
    precondition(logProbabilities.rank >= 1, "nllLoss: input must be (N, C) or (N, C, ...), got a scalar")
    return classIndexLoss("nllLoss", logProbabilities, target, weight: weight, ignoreIndex: ignoreIndex,
                          labelSmoothing: 0, reduction: reduction)
}

/// The shared body of `crossEntropy` and `nllLoss`, on log-probabilities with classes along axis 1
/// (axis 0 for a single unbatched sample).
private func classIndexLoss(_ function: String, _ logProbabilities: Tensor, _ target: IntTensor, weight: Tensor?,
                            ignoreIndex: Int, labelSmoothing: Float, reduction: LossReduction) -> Tensor {
    // One sample without a batch axis: (C) with target () becomes (1, C) with target (1).
    if logProbabilities.rank == 1 {
        let loss = classIndexLoss(function, logProbabilities.unsqueezed(axis: 0), target.reshaped([1]), weight: weight,
                                  ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing, reduction: reduction)
        return reduction == .none ? loss.reshaped(target.shape) : loss
    }
    let classes = logProbabilities.shape[1]
    let expectedTarget = [logProbabilities.shape[0]] + Array(logProbabilities.shape[2...])
    guard target.shape == expectedTarget else {
        fatalError("\(function): target of shape \(describe(target.shape)) does not fit input \(describe(logProbabilities.shape)) (expected \(describe(expectedTarget)))")
    }
    if let weight, weight.shape != [classes] {
        fatalError("\(function): weight of shape \(describe(weight.shape)) does not match \(classes) classes of input \(describe(logProbabilities.shape))")
    }
    // Ignored targets gather class 0 and are then zeroed by the mask.
    var kept = [Float](repeating: 1, count: target.count)
    var safeTarget = target
    for (position, label) in target.scalars.enumerated() {
        if label == ignoreIndex {
            kept[position] = 0
            safeTarget.scalars[position] = 0
        } else {
            precondition(label >= 0 && label < classes, "\(function): target \(label) is outside 0..<\(classes)")
        }
    }
    let keptMask = Tensor(kept, shape: target.shape)
    var targetWeights = keptMask
    if let weight {
        targetWeights = weight.indexSelected(axis: 0, indices: safeTarget.reshaped([-1])).reshaped(target.shape) * keptMask
    }
    let picked = logProbabilities.gathered(axis: 1, indices: safeTarget.reshaped([target.shape[0], 1] + Array(target.shape[1...])))
        .squeezed(axis: 1)
    var losses = -picked * targetWeights
    if labelSmoothing > 0 {
        let classShape = [1, classes] + [Int](repeating: 1, count: logProbabilities.rank - 2)
        let weighted = weight.map { logProbabilities * $0.reshaped(classShape) } ?? logProbabilities
        let smooth = -weighted.sum(axis: 1) * keptMask
        losses = losses * (1 - labelSmoothing) + smooth * (labelSmoothing / Float(classes))
    }
    switch reduction {
    case .none: return losses
    case .sum: return losses.sum()
    case .mean: return losses.sum() / targetWeights.sum()
    }
}

/// Cross-entropy between logits and class probabilities (soft targets), like `F.cross_entropy` with a
/// floating-point target:
///
///     ℓᵢ = −Σ_c w[c]·qᵢ[c]·log softmax(xᵢ)[c],   q = (1 − ε)·p + ε/C
///
/// with ε = `labelSmoothing`. As in PyTorch, `.mean` divides by the number of samples (N·d₁·...), not by
/// any sum of weights.
///
/// Shapes: `logits` and `probabilities` (N, C) or (N, C, d₁, ...) (or (C)); `weight` (C). The result is a
/// scalar, or (N, d₁, ...) for `.none`.
///
/// ```swift
/// let loss = crossEntropy(studentLogits, probabilities: (teacherLogits / 2).softmax(axis: 1))
/// ```
public func crossEntropy(_ logits: Tensor, probabilities: Tensor, weight: Tensor? = nil, labelSmoothing: Float = 0,
                         reduction: LossReduction = .mean) -> Tensor {
    checkSameShape("crossEntropy(probabilities:)", logits, probabilities)
    precondition(logits.rank >= 1, "crossEntropy(probabilities:): logits must be (N, C) or (N, C, ...), got a scalar")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                 "crossEntropy(probabilities:): labelSmoothing must lie in [0, 1], got \(labelSmoothing)")
    let classAxis = logits.rank == 1 ? 0 : 1
    let classes = logits.shape[classAxis]
    if let weight, weight.shape != [classes] {
        fatalError("crossEntropy(probabilities:): weight of shape \(describe(weight.shape)) does not match \(classes) classes of logits \(describe(logits.shape))")
    }
    var target = probabilities
    if labelSmoothing > 0 { target = target * (1 - labelSmoothing) + labelSmoothing / Float(classes) }
    var terms = logits.logSoftmax(axis: classAxis) * target
    if let weight {
        var classShape = [Int](repeating: 1, count: logits.rank)
        classShape[classAxis] = classes
        terms = terms * weight.reshaped(classShape)
    }
    return reduce(-terms.sum(axis: classAxis), reduction)
}

// MARK: - Binary classification

/// Binary cross-entropy on logits, like `F.binary_cross_entropy_with_logits`, in the numerically stable
/// form PyTorch uses:
///
///     ℓ = w·[(1 − y)·x − (1 + (pos − 1)·y)·log σ(x)],   log σ(x) = −softplus(−x)
///
/// which equals −w·[pos·y·log σ(x) + (1 − y)·log(1 − σ(x))] without overflow for large |x|.
///
/// Shapes: `logits` and `target` the same shape; `weight` broadcastable to it; `positiveWeight`
/// broadcastable to it, usually (C) for the last (class) axis. The result is a scalar, or the input's
/// shape for `.none`.
///
/// ```swift
/// let loss = binaryCrossEntropyWithLogits(discriminator(fake), Tensor.ones([batch, 1]))
/// ```
public func binaryCrossEntropyWithLogits(_ logits: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                         positiveWeight: Tensor? = nil, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape("binaryCrossEntropyWithLogits", logits, target)
    for (name, tensor) in [("weight", weight), ("positiveWeight", positiveWeight)] {
        if let tensor, broadcastShape(tensor.shape, logits.shape) != logits.shape {
            fatalError("binaryCrossEntropyWithLogits: \(name) of shape \(describe(tensor.shape)) does not broadcast to input \(describe(logits.shape))")
        }
    }
    var logSigmoid = -(-logits).softplus()
    if let positiveWeight { logSigmoid = logSigmoid * ((positiveWeight - 1) * target + 1) }
    var losses = (1 - target) * logits - logSigmoid
    if let weight { losses = losses * weight }
    return reduce(losses, reduction)
}

/// Binary cross-entropy on probabilities, like `F.binary_cross_entropy`:
///
///     ℓ = −w·[y·log p + (1 − y)·log(1 − p)]
///
/// As in PyTorch, each logarithm is clamped to ≥ −100 so p = 0 or 1 gives a finite loss, and the gradient
/// with respect to p is w·(p − y) / max(p·(1 − p), 10⁻¹²), finite even there. Prefer
/// `binaryCrossEntropyWithLogits` when logits are at hand: it is more accurate.
///
/// Shapes: `probabilities` and `target` the same shape, values in [0, 1]; `weight` broadcastable to it.
/// The result is a scalar, or the input's shape for `.none`.
public func binaryCrossEntropy(_ probabilities: Tensor, _ target: Tensor, weight: Tensor? = nil,
                               reduction: LossReduction = .mean) -> Tensor {
    checkSameShape("binaryCrossEntropy", probabilities, target)
    if let weight, broadcastShape(weight.shape, probabilities.shape) != probabilities.shape {
        fatalError("binaryCrossEntropy: weight of shape \(describe(weight.shape)) does not broadcast to input \(describe(probabilities.shape))")
    }
    var losses = binaryCrossEntropyElements(probabilities, target)
    if let weight { losses = losses * weight }
    return reduce(losses, reduction)
}

/// −[y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)] with PyTorch's gradients. The rule is written
/// in tensor operations, so it can be differentiated again.
private func binaryCrossEntropyElements(_ p: Tensor, _ y: Tensor) -> Tensor {
    func clampedLogs(_ p: Tensor) -> (Tensor, Tensor) {
        (p.log().clamped(min: -100), (1 - p).log().clamped(min: -100))
    }
    let value = withoutGradients { () -> Tensor in
        precondition(p.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "binaryCrossEntropy: probabilities must lie in [0, 1]")
        let (logP, logNotP) = clampedLogs(p)
        return -(y * logP + (1 - y) * logNotP)
    }
    return record(value, "binaryCrossEntropy", [p, y]) { g, _ in
        let (logP, logNotP) = clampedLogs(p)
        return [p.requiresGrad ? g * (p - y) / (p * (1 - p)).clamped(min: 1e-12) : nil,
                y.requiresGrad ? g * (logNotP - logP) : nil]
    }
}

// MARK: - Distributions and similarity

/// Kullback–Leibler divergence with `input` holding log-probabilities, like `F.kl_div`:
///
///     ℓ = y·(log y − x)            (logTarget: false; 0 where y = 0)
///     ℓ = eʸ·(y − x)               (logTarget: true, y holding log-probabilities)
///
/// `.batchMean` divides the sum by the size of the first axis, which gives the true KL divergence per
/// sample; `.mean` (PyTorch's default) divides by the number of elements.
///
/// Shapes: `input` and `target` the same shape; the result is a scalar, or that shape for `.none`.
///
/// ```swift
/// let loss = klDivergence(student.logSoftmax(axis: 1), teacher.softmax(axis: 1), reduction: .batchMean)
/// ```
public func klDivergence(_ input: Tensor, _ target: Tensor, reduction: KLReduction = .mean,
                         logTarget: Bool = false) -> Tensor {
    checkSameShape("klDivergence", input, target)
    let losses: Tensor
    if logTarget {
        losses = target.exp() * (target - input)
    } else {
        // y·log y is taken as 0 at y = 0; the log reads 1 there so no NaN reaches the gradient.
        let positive = target .> 0
        losses = target * `where`(positive, target, Tensor(scalar: 1)).log() - target * input
    }
    switch reduction {
    case .none: return losses
    case .mean: return losses.mean()
    case .sum: return losses.sum()
    case .batchMean: return input.rank == 0 ? losses.sum() : losses.sum() / Float(input.shape[0])
    }
}

/// Cosine similarity along `axis`, like `F.cosine_similarity` (PyTorch ≥ 1.12 definition, which clamps
/// each norm separately):
///
///     x·y / (max(‖x‖, ε)·max(‖y‖, ε))
///
/// `a` and `b` broadcast against each other. Where a norm is below ε its gradient is zero (PyTorch lets
/// the unclamped norm's gradient through there); elsewhere the gradients agree.
///
/// Shapes: `a`, `b` broadcastable to a common shape; the result has that shape without `axis`.
///
/// ```swift
/// let similarity = cosineSimilarity(embeddings1, embeddings2)   // (N, D), (N, D) -> (N)
/// ```
public func cosineSimilarity(_ a: Tensor, _ b: Tensor, axis: Int = 1, epsilon: Float = 1e-8) -> Tensor {
    guard let shape = broadcastShape(a.shape, b.shape) else {
        fatalError("cosineSimilarity: shapes \(describe(a.shape)) and \(describe(b.shape)) do not broadcast")
    }
    let axis = normalizedAxes([axis], rank: shape.count, operation: "cosineSimilarity")[0]
    let x = a.expanded(to: shape), y = b.expanded(to: shape)
    // sqrt(max(Σx², ε²)) = max(‖x‖, ε), and its gradient stays finite at a zero vector.
    let normX = (x * x).sum(axis: axis, keepDims: true).clamped(min: epsilon * epsilon).sqrt()
    let normY = (y * y).sum(axis: axis, keepDims: true).clamped(min: epsilon * epsilon).sqrt()
    return ((x / normX) * (y / normY)).sum(axis: axis)
}

/// Cosine embedding loss, like `F.cosine_embedding_loss`: with cos = a·b / √((‖a‖² + 10⁻¹²)(‖b‖² + 10⁻¹²))
/// along the feature axis,
///
///     ℓ = 1 − cos                 where target = 1
///     ℓ = max(0, cos − margin)    where target = −1
///
/// Shapes: `a`, `b` (N, D) with `target` (N), or (D) with `target` (); the result is a scalar, or the
/// target's shape for `.none`.
public func cosineEmbeddingLoss(_ a: Tensor, _ b: Tensor, _ target: Tensor, margin: Float = 0,
                                reduction: LossReduction = .mean) -> Tensor {
    guard a.shape == b.shape, a.rank == 1 || a.rank == 2, target.shape == Array(a.shape.prefix(a.rank - 1)) else {
        fatalError("cosineEmbeddingLoss: inputs \(describe(a.shape)), \(describe(b.shape)) and target \(describe(target.shape)) do not fit ((N, D), (N, D), (N) or (D), (D), ())")
    }
    let axis = a.rank - 1
    let product = (a * b).sum(axis: axis)
    let squaredA = (a * a).sum(axis: axis) + 1e-12
    let squaredB = (b * b).sum(axis: axis) + 1e-12
    let cosine = product / (squaredA * squaredB).sqrt()
    let zero = Tensor(scalar: 0)
    let positive = `where`(target .== 1, 1 - cosine, zero)
    let negative = `where`(target .== -1, (cosine - margin).clamped(min: 0), zero)
    return reduce(positive + negative, reduction)
}
