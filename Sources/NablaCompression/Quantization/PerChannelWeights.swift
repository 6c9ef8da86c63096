import Nabla

/// Weights quantised per output channel, symmetrically to signed 8 bits: for channel c,
/// scale_c = max|W_c| / 127 and q = clamp(round(W / scale_c), −127, 127) (−128 is left out so the
/// range is symmetric, as in fbgemm).
///
/// Shapes: the weight is (outputs, …) — a linear layer's (out, in) or a convolution's (out, in, kh, kw);
/// `codes` holds it row-major as (outputs, rowLength).
public struct PerChannelWeights: Sendable {
    public let codes: [Int8]
    public let scales: [Float]
    public let shape: [Int]

    public var outputs: Int { shape[0] }
    public var rowLength: Int { codes.count / max(outputs, 1) }

    public init(codes: [Int8], scales: [Float], shape: [Int]) {
        precondition(shape.count >= 2 && shape.reduce(1, *) == codes.count && scales.count == shape[0],
                     "PerChannelWeights: \(codes.count) codes and \(scales.count) scales do not fit shape \(shape)")
        self.codes = codes
        self.scales = scales
        self.shape = shape
    }

    /// Quantises `weight` (outputs, …).
    public init(quantizing weight: Tensor) {
        precondition(weight.rank >= 2, "PerChannelWeights: expected a weight (outputs, …), got \(weight.shape)")
        let values = weight.scalars
        let outputs = weight.shape[0], rowLength = values.count / max(outputs, 1)
        var codes = [Int8](repeating: 0, count: values.count)
        var scales = [Float](repeating: 1, count: outputs)
        for channel in 0..<outputs {
            let row = values[channel * rowLength ..< (channel + 1) * rowLength]
            let largest = row.reduce(0) { max($0, abs($1)) }
            // An all-zero channel keeps scale 1 (its codes are 0 whatever the scale).
            let scale = largest > 0 ? largest / 127 : 1
            scales[channel] = scale
            for (offset, value) in row.enumerated() {
                codes[channel * rowLength + offset] = Int8((value / scale).rounded(.toNearestOrEven).clamped(to: -127...127))
            }
        }
        self.init(codes: codes, scales: scales, shape: weight.shape)
    }

    /// The float weight the codes stand for.
    public func dequantized() -> Tensor {
        let rowLength = self.rowLength
        return Tensor(shape: shape) { buffer in
            for index in 0..<codes.count { buffer[index] = Float(codes[index]) * scales[index / rowLength] }
        }
    }

    /// Σ_p W[j][p] for each output j, which corrects the product for the activations' zero point.
    public func rowSums() -> [Int32] {
        let rowLength = self.rowLength
        return (0..<outputs).map { channel in
            codes[channel * rowLength ..< (channel + 1) * rowLength].reduce(Int32(0)) { $0 + Int32($1) }
        }
    }
}
