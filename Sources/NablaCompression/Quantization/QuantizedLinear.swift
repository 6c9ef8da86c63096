import CNablaQuantized
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
    /// Whether a ReLU that followed the layer is applied while rescaling (set by `QuantizedSequential`).
    public var fusedReLU = false
    private let rescaling = Int8Rescaling()
    private var codes: [UInt8] = []

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
        if codes.count != rows * inputSize { codes = [UInt8](repeating: 0, count: rows * inputSize) }
        x.contiguous().withUnsafeBufferPointer { values in
            codes.withUnsafeMutableBufferPointer { input.quantize(values, into: $0) }
        }
        return Tensor(shape: [rows, outputSize]) { result in
            codes.withUnsafeBufferPointer { codes in
                rescaling.product(codes: codes.baseAddress!, rows: rows, pixels: 1, weights: weights, rowSums: rowSums,
                                  bias: bias, input: input, relu: fusedReLU, into: result)
            }
        }
    }
}

/// The shared tail of the int8 layers: the integer product and its rescaling to float. Holds the
/// scratch buffers a layer reuses from call to call (fresh ones for every batch would spend more time in
/// page faults than in the product), so one layer must not run on two threads at once.
final class Int8Rescaling {
    private var accumulators: [Int32] = []

    /// Floats from activation codes (rows, depth) and the layer's weights (outputs, depth). Row r and
    /// output o (after a ReLU when `relu`) go to `result[(r / pixels · outputs + o) · pixels + r % pixels]`: with `pixels` 1 that is
    /// (rows, outputs); with a convolution's pixels per image it is (N, outputs, H', W').
    func product(codes: UnsafePointer<UInt8>, rows: Int, pixels: Int, weights: PerChannelWeights, rowSums: [Int32],
                 bias: [Float], input: AffineQuantization, relu: Bool, into result: UnsafeMutableBufferPointer<Float>) {
        let outputs = weights.outputs, depth = weights.rowLength
        if accumulators.count < rows * outputs { accumulators = [Int32](repeating: 0, count: rows * outputs) }
        accumulators.withUnsafeMutableBufferPointer { c in
            weights.codes.withUnsafeBufferPointer { b in
                Int8MatrixProduct.multiply(rows: rows, columns: outputs, depth: depth, codes, b.baseAddress!, into: c.baseAddress!)
            }
            let multipliers = weights.scales.map { $0 * input.scale }
            let corrections = rowSums.map { $0 &* input.zeroPoint }
            let (accumulators, target) = (c.baseAddress!, result.baseAddress!)
            // Whole images per worker, so each writes its own part of the result.
            parallelRanges(count: rows / pixels) { images in
                nabla_int8_rescale(images.count * pixels, outputs, pixels, accumulators + images.lowerBound * pixels * outputs,
                                   corrections, multipliers, bias, relu, target + images.lowerBound * pixels * outputs)
            }
        }
    }
}
