import Nabla
import NablaNN

/// A sequential float model with its linear and convolution layers replaced by int8 ones (post-training
/// static quantisation); the layers between them (ReLU, pooling, flatten) stay in float.
///
/// ```swift
/// let quantized = try QuantizedSequential(model, calibration: batches) { MinMaxObserver() }
/// let logits = quantized(images)   // (N, 10)
/// ```
public final class QuantizedSequential {
    public enum Stage {
        case float(any Layer)
        case linear(QuantizedLinear)
        case convolution(QuantizedConv2d)
    }

    public let stages: [Stage]

    public init(stages: [Stage]) { self.stages = stages }

    /// Calibrates: runs `model` in float on every batch of `calibration`, lets one observer per linear or
    /// convolution layer watch that layer's inputs, then quantises each with the range its observer chose.
    /// Throws `emptyCalibrationSet` when there are no batches (or they hold no examples).
    public convenience init<Observer: RangeObserver>(_ model: Sequential, calibration: [Tensor],
                                                     observer makeObserver: () throws -> Observer) throws {
        guard calibration.contains(where: { $0.count > 0 }) else { throw CompressionError.emptyCalibrationSet }
        let layers = model.layers
        var observers: [Int: Observer] = [:]
        for (index, layer) in layers.enumerated() where layer is Linear || layer is Conv2d { observers[index] = try makeObserver() }
        let wasTraining = model.isTraining
        model.eval()
        defer { if wasTraining { model.train() } }
        withoutGradients {
            for batch in calibration where batch.count > 0 {
                var value = batch
                for (index, layer) in layers.enumerated() {
                    observers[index]?.observe(value)
                    value = layer(value)
                }
            }
        }
        var stages: [Stage] = []
        var index = 0
        while index < layers.count {
            let layer = layers[index]
            // A ReLU right after an int8 layer is folded into its rescaling: one pass over the output fewer.
            let fuse = index + 1 < layers.count && layers[index + 1] is ReLU
            if let linear = layer as? Linear {
                let quantized = QuantizedLinear(linear, input: try observers[index]!.quantization())
                quantized.fusedReLU = fuse
                stages.append(.linear(quantized))
            } else if let convolution = layer as? Conv2d {
                let quantized = QuantizedConv2d(convolution, input: try observers[index]!.quantization())
                quantized.fusedReLU = fuse
                stages.append(.convolution(quantized))
            } else {
                stages.append(.float(layer))
                index += 1
                continue
            }
            index += fuse ? 2 : 1
        }
        self.init(stages: stages)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        withoutGradients {
            stages.reduce(input) { value, stage in
                switch stage {
                case .float(let layer): return layer(value)
                case .linear(let layer): return layer(value)
                case .convolution(let layer): return layer(value)
                }
            }
        }
    }
}
