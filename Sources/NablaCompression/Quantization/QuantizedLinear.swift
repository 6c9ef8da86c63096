import Nabla
import NablaNN

/// A linear layer run in int8: the input is quantised per tensor (affine, unsigned), the weight per
/// output channel (symmetric, signed), their product accumulates in int32 and is rescaled to float:
///
///     y[i][j] = s_x · s_w[j] · (Σ_p q_x[i][p]·q_w[j][p] − z_x · Σ_p q_w[j][p]) + b[j]
///
/// Shapes: input (N, inputSize) → output (N, outputSize).
public final class QuantizedLinear {
    public let weights: PerChannelWeights
    public let bias: [Float]
    public let input: AffineQuantization
    private let rowSums: [Int32]

    public init(weights: PerChannelWeights, bias: [Float]?, input: AffineQuantization) {
        precondition(weights.shape.count == 2, "QuantizedLinear: expected a weight (out, in), got \(weights.shape)")
        self.weights = weights
        self.bias = bias ?? [Float](repeating: 0, count: weights.outputs)
        self.input = input
        self.rowSums = weights.rowSums()
    }

    /// Quantises `layer` with the input range a calibration observer chose.
    public convenience init(_ layer: Linear, input: AffineQuantization) {
        self.init(weights: PerChannelWeights(quantizing: layer.weight), bias: layer.bias?.scalars, input: input)
    }

    public var inputSize: Int { weights.shape[1] }
    public var outputSize: Int { weights.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inputSize,
                     "QuantizedLinear: expected input (N, \(inputSize)), got \(x.shape)")
        let rows = x.shape[0]
        var codes = [UInt8](repeating: 0, count: rows * inputSize)
        x.contiguous().withUnsafeBufferPointer { values in
            codes.withUnsafeMutableBufferPointer { input.quantize(values, into: $0) }
        }
        return Int8Rescaling.product(codes: codes, rows: rows, weights: weights, rowSums: rowSums, bias: bias, input: input)
    }
}

/// The shared tail of the int8 layers: the integer product and its rescaling to float.
enum Int8Rescaling {
    /// (rows, outputs) floats from activation codes (rows, depth) and the layer's weights (outputs, depth).
    static func product(codes: [UInt8], rows: Int, weights: PerChannelWeights, rowSums: [Int32], bias: [Float],
                        input: AffineQuantization) -> Tensor {
        let outputs = weights.outputs, depth = weights.rowLength
        var accumulators = [Int32](repeating: 0, count: rows * outputs)
        codes.withUnsafeBufferPointer { a in
            weights.codes.withUnsafeBufferPointer { b in
                accumulators.withUnsafeMutableBufferPointer { c in
                    Int8MatrixProduct.multiply(rows: rows, columns: outputs, depth: depth, a.baseAddress!, b.baseAddress!,
                                               into: c.baseAddress!)
                }
            }
        }
        let multipliers = weights.scales.map { $0 * input.scale }
        let corrections = rowSums.map { $0 * input.zeroPoint }
        return Tensor(shape: [rows, outputs]) { result in
            for row in 0..<rows {
                for column in 0..<outputs {
                    let index = row * outputs + column
                    result[index] = Float(accumulators[index] - corrections[column]) * multipliers[column] + bias[column]
                }
            }
        }
    }
}
