import Nabla
import NablaNN

/// Unstructured magnitude pruning: removes the weights of smallest absolute value.
public enum MagnitudePruning {
    /// Whether each layer loses the same fraction (`layerWise`) or one threshold is shared by all
    /// layers (`global`), so layers with many small weights lose more.
    public enum Scope: String, Sendable, CaseIterable { case layerWise = "layer", global }

    /// Masks that prune `sparsity` of the prunable weights of `module`, counting weights already pruned
    /// by `existing` (whose zeros stay zero: iterative pruning only ever removes more).
    /// Throws `sparsityOutOfRange` unless 0 ≤ sparsity < 1 and `nothingToPrune` for a module without weights.
    public static func masks(for module: Module, sparsity: Double, scope: Scope,
                             existing: PruningMasks? = nil) throws -> PruningMasks {
        try CompressionError.checkSparsity(sparsity)
        let parameters = prunableParameters(of: module)
        guard !parameters.isEmpty else { throw CompressionError.nothingToPrune }
        // Already-pruned weights score −1, below every real magnitude, so they are removed first.
        let scores: [(name: String, shape: [Int], values: [Float])] = parameters.map { parameter in
            let magnitudes = parameter.tensor.scalars.map { abs($0) }
            guard let mask = existing?.masks[parameter.name]?.scalars else { return (parameter.name, parameter.tensor.shape, magnitudes) }
            return (parameter.name, parameter.tensor.shape, zip(magnitudes, mask).map { $1 == 0 ? -1 : $0 })
        }
        var result: [String: Tensor] = [:]
        switch scope {
        case .layerWise:
            for score in scores {
                result[score.name] = mask(score.values, shape: score.shape, pruning: Int((sparsity * Double(score.values.count)).rounded()))
            }
        case .global:
            let all = scores.flatMap(\.values)
            let count = Int((sparsity * Double(all.count)).rounded())
            let threshold = count == 0 ? -Float.infinity : all.sorted()[count - 1]
            // Ties at the threshold are pruned in order until exactly `count` are gone.
            var remainingAtThreshold = count - all.reduce(0) { $0 + ($1 < threshold ? 1 : 0) }
            for score in scores {
                var keep = [Float](repeating: 1, count: score.values.count)
                for (index, value) in score.values.enumerated() {
                    if value < threshold { keep[index] = 0 }
                    else if value == threshold, remainingAtThreshold > 0 { keep[index] = 0; remainingAtThreshold -= 1 }
                }
                result[score.name] = Tensor(keep, shape: score.shape)
            }
        }
        return PruningMasks(masks: result)
    }

    /// A mask removing the `count` smallest scores (ties broken by position).
    static func mask(_ scores: [Float], shape: [Int], pruning count: Int) -> Tensor {
        var keep = [Float](repeating: 1, count: scores.count)
        let order = scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        for index in order.prefix(count) { keep[index] = 0 }
        return Tensor(keep, shape: shape)
    }
}

/// The sparsity to reach after each of `steps` pruning rounds on the way to `finalSparsity`, on the
/// cubic schedule of Zhu & Gupta (2017): s_t = s_f·(1 − (1 − t/n)³), fast at first, gentle near the end.
public func iterativePruningSchedule(finalSparsity: Double, steps: Int) throws -> [Double] {
    try CompressionError.checkSparsity(finalSparsity)
    precondition(steps >= 1, "iterativePruningSchedule: steps must be at least 1, got \(steps)")
    return (1...steps).map { step in
        let remaining = 1 - Double(step) / Double(steps)
        return finalSparsity * (1 - remaining * remaining * remaining)
    }
}
