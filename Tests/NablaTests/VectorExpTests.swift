import Foundation
@testable import Nabla
import NablaTestSupport
import Testing

// The vectorised exp behind `exp`, `sigmoid` and `silu` is checked against the C library's `expf`,
// in units in the last place, across the whole float range and at the special values.

@Suite struct VectorExpTests {
    /// Distance in representable floats between two values of the same sign.
    private func ulps(_ a: Float, _ b: Float) -> Int {
        if a == b { return 0 }
        return abs(Int(Int32(bitPattern: a.bitPattern)) - Int(Int32(bitPattern: b.bitPattern)))
    }

    @Test func agreesWithExpfWithinFourUlpsOverTheNormalRange() {
        var worst = 0, worstInput: Float = 0
        var x: Float = -87
        while x < 88.7 {
            let lanes = SIMD16<Float>((0..<16).map { x + Float($0) * 0.000_37 })
            let result = vectorExp(lanes)
            for lane in 0..<16 where ulps(result[lane], expf(lanes[lane])) > worst {
                worst = ulps(result[lane], expf(lanes[lane])); worstInput = lanes[lane]
            }
            x += 0.0123
        }
        #expect(worst <= 4, "worst error \(worst) ulp at x = \(worstInput)")
    }

    @Test func overflowUnderflowAndNaNMatchTheScalarFunction() {
        let inputs: [Float] = [1000, 89, 88.72, 88.5, -87.5, -100, -103.9, -104, -1000, .infinity, -.infinity, .nan,
                               0, -0, 1, -1, 1e-8, 20.5]
        let padded = inputs + [Float](repeating: 0, count: 16 - inputs.count % 16)
        let result = vectorExp(SIMD16<Float>(padded.prefix(16)))
        let rest = vectorExp(SIMD16<Float>(padded.dropFirst(16).prefix(16)))
        let values = (0..<16).map { result[$0] } + (0..<16).map { rest[$0] }
        for (input, value) in zip(inputs, values) {
            let expected = expf(input)
            if expected.isNaN { #expect(value.isNaN, "exp(\(input))"); continue }
            if expected.isInfinite || expected == 0 { #expect(value == expected, "exp(\(input)) = \(value), expected \(expected)"); continue }
            // Subnormal results keep fewer significant bits: compare relatively.
            #expect(abs(value - expected) <= 1e-5 * expected || ulps(value, expected) <= 4, "exp(\(input)) = \(value), expected \(expected)")
        }
    }

    @Test func tensorExpSigmoidAndSiLUUseItAndStayAccurate() {
        let inputs = (0..<1000).map { Float($0) * 0.05 - 25 }
        let x = Tensor(inputs)
        for (index, value) in x.exp().scalars.enumerated() {
            #expect(abs(value - expf(inputs[index])) <= 4e-7 * expf(inputs[index]), "exp at \(inputs[index])")
        }
        for (index, value) in x.sigmoid().scalars.enumerated() {
            #expect(abs(value - 1 / (1 + expf(-inputs[index]))) <= 1e-6, "sigmoid at \(inputs[index])")
        }
        for (index, value) in x.silu().scalars.enumerated() {
            let expected = inputs[index] / (1 + expf(-inputs[index]))
            #expect(abs(value - expected) <= 1e-6 * max(1, abs(expected)), "silu at \(inputs[index])")
        }
    }
}
