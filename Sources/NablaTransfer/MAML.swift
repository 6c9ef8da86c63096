import Nabla

/// Model-agnostic meta-learning (Finn et al., 2017) over any functional forward pass.
///
/// For each task i of a meta-batch, the inner loop adapts the shared weights θ by gradient descent on
/// the task's support set, θ'ᵢ = θ − α ∇θ L_support,i(θ) (repeated `steps` times), and the meta-loss
/// is the mean query loss of the adapted weights, Σᵢ L_query,i(θ'ᵢ) / tasks. Its gradient with respect
/// to θ flows through the inner update: second-order MAML keeps the inner gradients in the graph
/// (`createGraph`, so the Hessian-vector products come from Nabla's own autodiff, nothing derived by
/// hand); first-order MAML treats them as constants.
///
/// Tasks run batched: the weights carry a leading task axis (see `FastWeightMLP.perTask`), and the
/// per-task inner gradients come from one backward pass of the summed support losses, since task i's
/// loss depends on its own copy of the weights only.
///
/// ```swift
/// let maml = MAML(innerLearningRate: 0.01, innerSteps: 1, order: .second)
/// let loss = maml.metaLoss(weights: net.perTask(tasks: 25), support: (xs, ys), query: (xq, yq),
///                          forward: net.forward, loss: MAML.meanSquaredErrorPerTask)
/// minimize(loss, with: adam)
/// ```
public struct MAML: Sendable {
    public enum Order: String, Sendable { case first, second }

    public var innerLearningRate: Float
    public var innerSteps: Int
    public var order: Order

    public init(innerLearningRate: Float = 0.01, innerSteps: Int = 1, order: Order = .second) {
        precondition(innerSteps >= 0, "MAML: innerSteps \(innerSteps) must be at least 0")
        self.innerLearningRate = innerLearningRate
        self.innerSteps = innerSteps
        self.order = order
    }

    /// Per-task loss, (tasks): the mean squared error over each task's points.
    public static func meanSquaredErrorPerTask(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let difference = prediction - target
        return (difference * difference).mean(axes: Array(1..<prediction.rank))
    }

    /// The weights after `steps` inner gradient steps on the support set (per task). With `createGraph`
    /// the result stays differentiable with respect to `weights` through the inner gradients.
    public static func adapt(weights: [Tensor], support: (x: Tensor, y: Tensor), steps: Int, learningRate: Float, createGraph: Bool,
                             forward: (Tensor, [Tensor]) -> Tensor, loss: (Tensor, Tensor) -> Tensor) -> [Tensor] {
        var fast = weights
        for _ in 0..<steps {
            // The sum of per-task losses: task i's gradient lands on task i's weights only. Without
            // `createGraph` the gradients are constants, so θ' = θ − α·g passes the outer gradient
            // through as the identity: first-order MAML.
            let grads = valueAndGradient(at: fast, createGraph: createGraph) { weights in
                loss(forward(support.x, weights), support.y).sum()
            }.gradients
            fast = zip(fast, grads).map { $0 - $1 * learningRate }
        }
        return fast
    }

    /// The meta-loss: the mean over tasks of the query loss after adapting on the support set.
    /// `weights` need a leading task axis and must be recorded (views of trainable parameters).
    public func metaLoss(weights: [Tensor], support: (x: Tensor, y: Tensor), query: (x: Tensor, y: Tensor),
                         forward: (Tensor, [Tensor]) -> Tensor, loss: (Tensor, Tensor) -> Tensor) -> Tensor {
        let fast = Self.adapt(weights: weights, support: support, steps: innerSteps, learningRate: innerLearningRate,
                              createGraph: order == .second, forward: forward, loss: loss)
        return loss(forward(query.x, fast), query.y).mean()
    }

    /// Query losses per task (tasks) after 0…`steps` inner steps, without recording: how fast a model
    /// adapts (the MAML paper's sinusoid figure measures these).
    public static func lossesAfterSteps(weights: [Tensor], support: (x: Tensor, y: Tensor), query: (x: Tensor, y: Tensor), steps: Int,
                                        learningRate: Float, forward: (Tensor, [Tensor]) -> Tensor,
                                        loss: (Tensor, Tensor) -> Tensor) -> [[Float]] {
        var fast = weights.map { $0.detached() }
        var losses: [[Float]] = []
        for step in 0...steps {
            losses.append(withoutGradients { loss(forward(query.x, fast), query.y) }.scalars)
            if step == steps { break }
            fast = adapt(weights: fast, support: support, steps: 1, learningRate: learningRate, createGraph: false, forward: forward, loss: loss)
                .map { $0.detached() }
        }
        return losses
    }
}
