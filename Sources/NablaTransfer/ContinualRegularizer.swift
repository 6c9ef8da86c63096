import Nabla
import NablaNN

/// Importance-weighted anchoring of the weights learnt on earlier tasks, the family of regularisation
/// methods of life-long learning. After each task the weights θ* are kept with an importance Ω per
/// weight, and later tasks train on their loss plus
///
///     λ Σ Ω (θ − θ*)²,
///
/// so important weights stay near their old values and unimportant ones are free to move. The methods
/// differ in Ω:
/// - EWC (Kirkpatrick et al., 2017): the diagonal of the Fisher information, E[(∂ log p(y|x)/∂θ)²] over
///   the task's examples, per example (online EWC: the older tasks' Ω decays by γ before the new is added);
/// - SI (Zenke et al., 2017): the path integral ω = Σ −g·Δθ of the task loss's gradient along the
///   training trajectory, over (θ_end − θ_start)² + ξ;
/// - MAS (Aljundi et al., 2018): E|∂‖f(x)‖²/∂θ|, how much the output moves, needing no labels.
///
/// Ω and θ* live in buffers (one child module per parameter), so a training checkpoint carries them.
public final class ContinualRegularizer: Module {
    public enum Method: String, CaseIterable, Sendable { case ewc, si, mas }

    /// The anchor, importance and SI's running path integral of one parameter.
    public final class ParameterMemory: Module {
        @Buffer public var anchor: Tensor
        @Buffer public var importance: Tensor
        @Buffer public var pathIntegral: Tensor
        @Buffer public var taskStart: Tensor

        init(_ parameter: Tensor) {
            anchor = Tensor.zeros(parameter.shape)
            importance = Tensor.zeros(parameter.shape)
            pathIntegral = Tensor.zeros(parameter.shape)
            taskStart = Tensor(parameter.scalars, shape: parameter.shape)
            super.init()
        }
    }

    public let method: Method
    /// λ (EWC, MAS) or c (SI).
    public let strength: Float
    /// Online EWC's decay of older importance (1: plain EWC, the sum over tasks).
    public let decay: Float
    /// SI's damping ξ.
    public let damping: Float
    public let memories: [ParameterMemory]
    /// How many tasks have been consolidated (a one-element buffer).
    @Buffer public var tasksConsolidated: Tensor

    public init(method: Method, parameters: [Tensor], strength: Float, decay: Float = 1, damping: Float = 0.1) {
        self.method = method
        self.strength = strength
        self.decay = decay
        self.damping = damping
        memories = parameters.map(ParameterMemory.init)
        tasksConsolidated = Tensor.zeros([1])
        super.init()
    }

    public var hasAnchor: Bool { tasksConsolidated.scalars[0] > 0 }

    /// λ Σ Ω (θ − θ*)², or nil before the first task is consolidated.
    public func penalty(_ parameters: [Tensor]) -> Tensor? {
        guard hasAnchor else { return nil }
        precondition(parameters.count == memories.count, "ContinualRegularizer.penalty: \(parameters.count) parameters for \(memories.count) memories")
        let terms = zip(parameters, memories).map { parameter, memory -> Tensor in
            let difference = parameter - memory.anchor
            return (memory.importance * difference * difference).sum()
        }
        return terms.dropFirst().reduce(terms[0], +) * strength
    }

    /// SI's bookkeeping after an optimiser step: ω += −g·(θ_after − θ_before), with g the gradient of
    /// the task's own loss (without the penalty). Other methods ignore it.
    public func recordStep(taskGradients: [Tensor], before: [Tensor], after: [Tensor]) {
        guard method == .si else { return }
        withoutGradients {
            for (index, memory) in memories.enumerated() {
                memory.pathIntegral.assign(memory.pathIntegral - taskGradients[index] * (after[index] - before[index]))
            }
        }
    }

    /// Ends a task at `parameters`: adds its importance (EWC and MAS: `estimate`, the per-weight mean
    /// over the task's examples; SI: from the path integral) and moves the anchor to the current weights.
    public func consolidate(_ parameters: [Tensor], estimate: () -> [Tensor]) {
        let estimated = method == .si ? nil : estimate()
        withoutGradients {
            for (index, memory) in memories.enumerated() {
                let current = parameters[index].detached()
                let added: Tensor
                if let estimated { added = estimated[index] } else {
                    let moved = current - memory.taskStart
                    added = (memory.pathIntegral / (moved * moved + damping)).clamped(min: 0)
                }
                memory.importance.assign(memory.importance * decay + added)
                memory.anchor.assign(current)
                memory.taskStart.assign(current)
                memory.pathIntegral.assign(Tensor.zeros(current.shape))
            }
            tasksConsolidated.assign(tasksConsolidated + 1)
        }
    }

    /// The mean over examples of each parameter's squared (EWC) or absolute (MAS) per-example gradient of
    /// `quantity(example)`: log p(y|x) for EWC's empirical Fisher, ‖f(x)‖² for MAS.
    public static func meanPerExample(_ parameters: [Tensor], examples: Int, squared: Bool, quantity: (Int) -> Tensor) -> [Tensor] {
        var sums = parameters.map { Tensor.zeros($0.shape) }
        for example in 0..<examples {
            // valueAndGradient records even where the caller does not (an evaluation after an epoch).
            let grads = valueAndGradient(at: parameters) { _ in quantity(example) }.gradients
            withoutGradients {
                sums = zip(sums, grads).map { $0 + (squared ? $1 * $1 : $1.abs()) }
            }
        }
        return sums.map { $0 / Float(max(examples, 1)) }
    }
}
