import Nabla
import NablaNN

/// Structured pruning of a sequential model: removes whole neurons of linear layers and whole output
/// channels of convolutions (those whose weights have the smallest L2 norm), and rebuilds smaller layers
/// — the pruned layer, any batch norm after it, and the next linear or convolution layer, which loses
/// the matching inputs — so the model really computes less. The last layer's outputs are never pruned.
///
/// Supported between a pruned layer and its successor: ReLU, MaxPool2d, AvgPool2d, Dropout, Identity,
/// BatchNorm1d/BatchNorm2d and Flatten (after which each channel's block of features goes with it).
public enum StructuredPruning {
    /// The output channels (or neurons) kept, by index in `model.layers` of the layer pruned.
    public typealias Plan = [Int: [Int]]

    /// Which channels to keep when removing `sparsity` of them in each prunable layer (at least one kept).
    /// Throws `sparsityOutOfRange` unless 0 ≤ sparsity < 1, `nothingToPrune` if no layer qualifies.
    public static func plan(_ model: Sequential, sparsity: Double) throws -> Plan {
        try CompressionError.checkSparsity(sparsity)
        var plan: Plan = [:]
        for (index, _) in pairs(model) {
            let weight = weightOf(model.layers[index])!
            let outputs = weight.shape[0], rowLength = weight.count / outputs
            let values = weight.scalars
            let norms = (0..<outputs).map { row in values[row * rowLength ..< (row + 1) * rowLength].reduce(0) { $0 + $1 * $1 } }
            let keepCount = max(1, outputs - Int((sparsity * Double(outputs)).rounded()))
            let kept = (0..<outputs).sorted { norms[$0] > norms[$1] || (norms[$0] == norms[$1] && $0 < $1) }.prefix(keepCount).sorted()
            plan[index] = Array(kept)
        }
        guard !plan.isEmpty else { throw CompressionError.nothingToPrune }
        return plan
    }

    /// A new, smaller model computing what `model` masked by `plan` (see `mask`) computes.
    public static func rebuilt(_ model: Sequential, plan: Plan) -> Sequential {
        var layers = model.layers
        for (index, successor) in pairs(model) {
            guard let kept = plan[index] else { continue }
            let outputs = weightOf(model.layers[index])!.shape[0]
            layers[index] = LayerSurgery.keepingOutputs(layers[index], kept)
            var spatial = 1
            for between in (index + 1)..<successor {
                if let norm = layers[between] as? BatchNormalization { layers[between] = LayerSurgery.keepingFeatures(norm, kept) }
                if layers[between] is Flatten, let linear = layers[successor] as? Linear { spatial = linear.inputSize / outputs }
            }
            layers[successor] = LayerSurgery.keepingInputs(layers[successor], kept, block: spatial)
        }
        return Sequential(layers)
    }

    /// Zeroes, in place, the pruned channels' weights and biases and their successors' matching input
    /// weights: the original-size model that `rebuilt` must match.
    public static func mask(_ model: Sequential, plan: Plan) {
        for (index, successor) in pairs(model) {
            guard let keptList = plan[index] else { continue }
            let kept = Set(keptList)
            let producer = model.layers[index], weight = weightOf(producer)!
            let outputs = weight.shape[0], rowLength = weight.count / outputs
            weight.withUnsafeMutableBufferPointer { values in
                for row in 0..<outputs where !kept.contains(row) { for p in 0..<rowLength { values[row * rowLength + p] = 0 } }
            }
            biasOf(producer)?.withUnsafeMutableBufferPointer { values in for row in 0..<outputs where !kept.contains(row) { values[row] = 0 } }
            let next = weightOf(model.layers[successor])!
            let nextOutputs = next.shape[0], nextRow = next.count / nextOutputs
            let perChannel = nextRow / outputs
            next.withUnsafeMutableBufferPointer { values in
                for output in 0..<nextOutputs {
                    for channel in 0..<outputs where !kept.contains(channel) {
                        for p in 0..<perChannel { values[output * nextRow + channel * perChannel + p] = 0 }
                    }
                }
            }
        }
    }

    /// (index of a prunable layer, index of the linear or convolution layer that consumes its outputs).
    static func pairs(_ model: Sequential) -> [(Int, Int)] {
        let layers = model.layers
        var result: [(Int, Int)] = []
        for index in layers.indices where weightOf(layers[index]) != nil {
            var next = index + 1
            while next < layers.count, weightOf(layers[next]) == nil, isChannelWise(layers[next]) { next += 1 }
            if next < layers.count, weightOf(layers[next]) != nil { result.append((index, next)) }
        }
        return result
    }

    static func weightOf(_ layer: any Layer) -> Tensor? {
        if let linear = layer as? Linear { return linear.weight }
        if let convolution = layer as? Conv2d, convolution.groups == 1 { return convolution.weight }
        return nil
    }

    static func biasOf(_ layer: any Layer) -> Tensor? { (layer as? Linear)?.bias ?? (layer as? Conv2d)?.bias }

    /// Layers that act on each channel separately, so removing a channel before them removes it after.
    static func isChannelWise(_ layer: any Layer) -> Bool {
        layer is ReLU || layer is MaxPool2d || layer is AvgPool2d || layer is Dropout || layer is Identity
            || layer is BatchNormalization || layer is Flatten
    }
}
