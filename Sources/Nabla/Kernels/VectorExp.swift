/// eˣ for 16 floats at once, within a few ulp of `expf` over the whole float range (checked by the tests).
///
/// Range reduction x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts so r is exact), a degree-6
/// polynomial for eʳ (Cephes' coefficients), and 2ⁿ built in the exponent bits as 2^⌊n/2⌋·2^⌈n/2⌉ so
/// that each factor is a normal float even where the result overflows to +∞ or is subnormal. Inputs
/// are first limited to [−104, 89], beyond which eˣ is 0 or +∞ in float anyway; NaN passes through.
@inline(__always)
func vectorExp(_ input: SIMD16<Float>) -> SIMD16<Float> {
    // `replacing` is a vector select; a NaN lane fails both comparisons and passes through.
    let x = input.replacing(with: -104, where: input .< -104).replacing(with: 89, where: input .> 89)
    // Adding 1.5·2²³ rounds x·log₂e to the nearest integer n and leaves n in the low mantissa bits.
    let shifter: Float = 12_582_912
    let shifted = x * 1.442_695_040_888_963_4 + shifter
    let n = shifted - shifter
    var r = x - n * 0.693_359_375
    r = r - n * -2.121_944_400_546_905_8e-4
    var p = SIMD16<Float>(repeating: 1.987_569_150_0e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    p = p * (r * r) + r + 1
    let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let half = integer &>> 1
    let lowerScale = unsafeBitCast((half &+ 127) &<< 23, to: SIMD16<Float>.self)
    let upperScale = unsafeBitCast((integer &- half &+ 127) &<< 23, to: SIMD16<Float>.self)
    return p * lowerScale * upperScale
}
