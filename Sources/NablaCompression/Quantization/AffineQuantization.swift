import CNablaQuantized

/// Per-tensor affine quantisation to unsigned 8 bits: q = clamp(round(x / scale) + zeroPoint, 0, 255),
/// x̂ = (q − zeroPoint)·scale. The range always includes 0 so that zero (padding, ReLU output) is exact.
/// Values are multiplied by 1/scale (as the int8 layers do), so scalar and buffer codes agree.
public struct AffineQuantization: Equatable, Sendable {
    public let scale: Float
    public let zeroPoint: Int32

    public init(scale: Float, zeroPoint: Int32) {
        precondition(scale > 0 && scale.isFinite, "AffineQuantization: scale must be positive and finite, got \(scale)")
        precondition((0...255).contains(zeroPoint), "AffineQuantization: zeroPoint must lie in 0...255, got \(zeroPoint)")
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// The parameters that map [minimum, maximum] (widened to include 0) onto 0...255.
    public init(minimum: Float, maximum: Float) {
        let low = min(minimum, 0), high = max(maximum, 0)
        // A constant-zero range still needs a positive step.
        let scale = high > low ? (high - low) / 255 : 1
        let zeroPoint = Int32((-low / scale).rounded()).clamped(to: 0...255)
        self.init(scale: scale, zeroPoint: zeroPoint)
    }

    /// The 8-bit code of `value`.
    @inline(__always)
    public func quantize(_ value: Float) -> UInt8 {
        let code = (value * (1 / scale)).rounded(.toNearestOrEven) + Float(zeroPoint)
        return UInt8(min(max(code, 0), 255))
    }

    /// The value a code stands for.
    @inline(__always)
    public func dequantize(_ code: UInt8) -> Float { Float(Int32(code) - zeroPoint) * scale }

    /// Codes for every value, in order.
    public func quantize(_ values: UnsafeBufferPointer<Float>, into codes: UnsafeMutableBufferPointer<UInt8>) {
        precondition(values.count == codes.count, "AffineQuantization.quantize: \(values.count) values, \(codes.count) codes")
        guard let source = values.baseAddress, let target = codes.baseAddress else { return }
        nabla_uint8_quantize(values.count, source, 1 / scale, zeroPoint, target)
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
