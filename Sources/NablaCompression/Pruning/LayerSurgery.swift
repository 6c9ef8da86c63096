import Nabla
import NablaNN

/// New, smaller copies of layers holding a subset of their rows, features or input columns.
enum LayerSurgery {
    /// `layer` (Linear or Conv2d) with only the outputs `kept`.
    static func keepingOutputs(_ layer: any Layer, _ kept: [Int]) -> any Layer {
        let generator = RandomGenerator(seed: 0)
        if let linear = layer as? Linear {
            let smaller = Linear(inputSize: linear.inputSize, outputSize: kept.count, bias: linear.bias != nil, generator: generator)
            copyRows(linear.weight, kept, into: smaller.weight)
            if let bias = linear.bias { copyRows(bias, kept, into: smaller.bias!) }
            return smaller
        }
        let convolution = layer as! Conv2d
        let smaller = Conv2d(inputChannels: convolution.inputChannels, outputChannels: kept.count, kernelSize: convolution.kernelSize,
                             stride: convolution.stride, padding: convolution.padding, dilation: convolution.dilation,
                             bias: convolution.bias != nil, generator: generator)
        copyRows(convolution.weight, kept, into: smaller.weight)
        if let bias = convolution.bias { copyRows(bias, kept, into: smaller.bias!) }
        return smaller
    }

    /// `layer` (Linear or Conv2d) reading only the input channels `kept`, each a block of `block`
    /// consecutive inputs (a linear layer after Flatten reads H·W features per channel).
    static func keepingInputs(_ layer: any Layer, _ kept: [Int], block: Int) -> any Layer {
        let generator = RandomGenerator(seed: 0)
        let source: Tensor, target: Tensor
        let result: any Layer
        if let linear = layer as? Linear {
            let smaller = Linear(inputSize: kept.count * block, outputSize: linear.outputSize, bias: linear.bias != nil, generator: generator)
            if let bias = linear.bias { copyRows(bias, Array(0..<linear.outputSize), into: smaller.bias!) }
            (source, target, result) = (linear.weight, smaller.weight, smaller)
        } else {
            let convolution = layer as! Conv2d
            let smaller = Conv2d(inputChannels: kept.count, outputChannels: convolution.outputChannels, kernelSize: convolution.kernelSize,
                                 stride: convolution.stride, padding: convolution.padding, dilation: convolution.dilation,
                                 bias: convolution.bias != nil, generator: generator)
            if let bias = convolution.bias { copyRows(bias, Array(0..<convolution.outputChannels), into: smaller.bias!) }
            let perChannel = convolution.kernelSize.height * convolution.kernelSize.width
            (source, target, result) = (convolution.weight, smaller.weight, smaller)
            precondition(block == 1, "LayerSurgery.keepingInputs: a convolution reads one block per channel")
            copyColumns(source, kept, block: perChannel, into: target)
            return result
        }
        copyColumns(source, kept, block: block, into: target)
        return result
    }

    /// A batch norm over only the features `kept`, with their parameters and running statistics.
    static func keepingFeatures(_ norm: BatchNormalization, _ kept: [Int]) -> any Layer {
        let smaller: BatchNormalization = norm is BatchNorm2d
            ? BatchNorm2d(featureCount: kept.count, epsilon: norm.epsilon, momentum: norm.momentum, affine: norm.weight != nil)
            : BatchNorm1d(featureCount: kept.count, epsilon: norm.epsilon, momentum: norm.momentum, affine: norm.weight != nil)
        if let weight = norm.weight { copyRows(weight, kept, into: smaller.weight!) }
        if let bias = norm.bias { copyRows(bias, kept, into: smaller.bias!) }
        copyRows(norm.runningMean, kept, into: smaller.runningMean)
        copyRows(norm.runningVariance, kept, into: smaller.runningVariance)
        copyRows(norm.numBatchesTracked.reshaped([1]), [0], into: smaller.numBatchesTracked.reshaped([1]))
        if !norm.isTraining { smaller.eval() }
        return smaller as! any Layer
    }

    /// target[r] = source[kept[r]] for rows along the first axis.
    static func copyRows(_ source: Tensor, _ kept: [Int], into target: Tensor) {
        let rowLength = source.count / max(source.shape.first ?? 1, 1)
        let values = source.scalars
        target.withUnsafeMutableBufferPointer { buffer in
            for (row, original) in kept.enumerated() {
                for p in 0..<rowLength { buffer[row * rowLength + p] = values[original * rowLength + p] }
            }
        }
    }

    /// For every row, target's blocks are source's blocks `kept` (each `block` values long).
    static func copyColumns(_ source: Tensor, _ kept: [Int], block: Int, into target: Tensor) {
        let rows = source.shape[0], sourceRow = source.count / rows, targetRow = target.count / rows
        let values = source.scalars
        target.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<rows {
                for (position, channel) in kept.enumerated() {
                    for p in 0..<block { buffer[row * targetRow + position * block + p] = values[row * sourceRow + channel * block + p] }
                }
            }
        }
    }
}
