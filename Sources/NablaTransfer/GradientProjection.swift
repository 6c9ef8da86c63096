import Nabla

/// Averaged gradient episodic memory (A-GEM, Chaudhry et al., 2019): the gradient g of the current task
/// is kept when it does not increase the loss on the memory of earlier tasks to first order (g·g_ref ≥ 0,
/// with g_ref the gradient on a batch drawn from the memory), and otherwise projected onto the closest
/// vector that satisfies that constraint with equality:
///
///     g̃ = g − (g·g_ref / g_ref·g_ref) g_ref.
public enum AveragedGradientEpisodicMemory {
    /// The projected gradient of `gradient` (flat) against `reference` (flat, same length).
    public static func project(_ gradient: [Float], reference: [Float]) -> [Float] {
        precondition(gradient.count == reference.count,
                     "AveragedGradientEpisodicMemory.project: gradient of \(gradient.count) values against a reference of \(reference.count)")
        var dot = 0.0, referenceNorm = 0.0
        for index in gradient.indices {
            dot += Double(gradient[index]) * Double(reference[index])
            referenceNorm += Double(reference[index]) * Double(reference[index])
        }
        guard dot < 0, referenceNorm > 0 else { return gradient }
        let factor = dot / referenceNorm
        return gradient.indices.map { Float(Double(gradient[$0]) - factor * Double(reference[$0])) }
    }

    /// Every parameter's `grad`, flattened in order (zeros for a parameter without one).
    public static func flatGradients(_ parameters: [Tensor]) -> [Float] {
        parameters.flatMap { $0.grad?.scalars ?? [Float](repeating: 0, count: $0.count) }
    }

    /// Puts a flat gradient back into the parameters' `grad`, in `flatGradients` order.
    public static func setGradients(_ parameters: [Tensor], _ flat: [Float]) {
        precondition(flat.count == parameters.reduce(0) { $0 + $1.count },
                     "AveragedGradientEpisodicMemory.setGradients: \(flat.count) values for parameters of \(parameters.reduce(0) { $0 + $1.count })")
        var start = 0
        for parameter in parameters {
            parameter.grad = Tensor(Array(flat[start..<start + parameter.count]), shape: parameter.shape)
            start += parameter.count
        }
    }
}
