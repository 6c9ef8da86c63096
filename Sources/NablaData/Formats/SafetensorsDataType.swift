/// The element types of the safetensors format, by the names its header uses (`"F32"`, `"I64"`, ...).
///
/// Reading converts every floating type to float32 (`Tensor`) and every integer type to `IntTensor`;
/// writing stores tensors as F32, F64, F16 or BF16 and integer tensors as I64. The 8-bit float formats are
/// parsed (their sizes are known) but not converted.
public enum SafetensorsDataType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case float8E5M2 = "F8_E5M2"
    case float8E4M3 = "F8_E4M3"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// Whether elements are integers (or booleans), read with `intTensor()`.
    public var isInteger: Bool {
        switch self {
        case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: true
        default: false
        }
    }

    /// The Python library's order when it lays out data: by this rank, largest first, then by name.
    /// (Its `Dtype` enum is declared in this order, which is also increasing alignment.)
    var layoutRank: Int { Self.allCases.firstIndex(of: self)! }
}

// MARK: Half-precision conversions (bit-exact, independent of the platform's Float16 support)

/// IEEE binary16 bits → float32; every half value, subnormals, infinities and NaN payloads included, is
/// exactly representable.
@inline(__always)
func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    var mantissa = UInt32(bits & 0x03FF)
    switch exponent {
    case 0:
        guard mantissa != 0 else { return Float(bitPattern: sign) }
        // Subnormal: normalise into float32's wider exponent range.
        var shifted: UInt32 = 0
        while mantissa & 0x0400 == 0 { mantissa <<= 1; shifted += 1 }
        mantissa &= 0x03FF
        return Float(bitPattern: sign | (113 - shifted) << 23 | mantissa << 13)
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
    default:
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
}

/// float32 → IEEE binary16 bits, rounding to nearest even; too large values become infinity, NaN stays NaN.
@inline(__always)
func halfBitsFromFloat(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x007F_FFFF
    if exponent == 0xFF {
        return sign | 0x7C00 | (mantissa != 0 ? UInt16(0x0200 | (mantissa >> 13)) : 0)
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1F { return sign | 0x7C00 }
    if halfExponent <= 0 {
        // Subnormal half (or zero): shift the full significand right, rounding to nearest even.
        guard halfExponent >= -10 else { return sign }
        let significand = mantissa | 0x0080_0000
        let shift = UInt32(14 - halfExponent)
        var half = significand >> shift
        let remainder = significand & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
        if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }
    var half = UInt32(halfExponent) << 10 | mantissa >> 13
    let remainder = mantissa & 0x1FFF
    // Rounding may carry into the exponent, up to infinity, which is the right answer.
    if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
    return sign | UInt16(half)
}

/// bfloat16 bits → float32: the upper half of a float32.
@inline(__always)
func floatFromBFloat16Bits(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

/// float32 → bfloat16 bits, rounding to nearest even; NaN stays a (quiet) NaN.
@inline(__always)
func bfloat16BitsFromFloat(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
    let rounding = 0x7FFF + ((bits >> 16) & 1)
    return UInt16((bits &+ rounding) >> 16)
}
