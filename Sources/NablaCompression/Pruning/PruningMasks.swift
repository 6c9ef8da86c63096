import Nabla
import NablaNN

/// Which weights pruning keeps: one 0/1 mask per pruned parameter, by its dotted name. Masks are kept
/// through training by applying them after every optimiser step, so pruned weights stay at zero.
public struct PruningMasks {
    /// Masks by parameter name; each has its parameter's shape.
    public var masks: [String: Tensor]

    public init(masks: [String: Tensor]) { self.masks = masks }

    /// Zeroes the pruned weights of `module` in place (after each optimiser step).
    public func apply(to module: Module) {
        for (name, tensor) in module.namedParameters() {
            guard let mask = masks[name] else { continue }
            precondition(mask.shape == tensor.shape, "PruningMasks.apply: mask \(mask.shape) for \(name) \(tensor.shape)")
            mask.withUnsafeBufferPointer { keep in
                tensor.withUnsafeMutableBufferPointer { values in
                    for index in 0..<values.count where keep[index] == 0 { values[index] = 0 }
                }
            }
        }
    }

    /// The fraction of masked weights that are pruned.
    public var sparsity: Double {
        var pruned = 0, total = 0
        for mask in masks.values {
            mask.withUnsafeBufferPointer { keep in pruned += keep.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } }
            total += mask.count
        }
        return total == 0 ? 0 : Double(pruned) / Double(total)
    }
}

/// The weights pruning considers: those of linear and convolution layers (rank ≥ 2, named `…weight`);
/// biases and normalisation parameters are left alone, as is usual.
public func prunableParameters(of module: Module) -> [(name: String, tensor: Tensor)] {
    module.namedParameters().filter { $0.tensor.rank >= 2 && ($0.name == "weight" || $0.name.hasSuffix(".weight")) }
}
