import Foundation
@testable import Nabla
import NablaTestSupport
import Testing

// Two numerical corners: the norm's gradient at the zero vector (0, as in PyTorch, not NaN), and sums
// across a non-innermost axis, which must keep float32's precision over a million terms.

@Suite struct NormAndReductionAccuracyTests {
    @Test func normGradientAtTheZeroVectorIsZero() {
        for p: Float in [2, 3, 1.5] {
            let x = Tensor.zeros([3])
            x.requiresGrad = true
            let first = gradients(of: x.norm(p: p), withRespectTo: [x], createGraph: true)[0]
            expectValues(first, [0, 0, 0], "∂‖x‖\(p)/∂x at 0")
            // For p < 2 the second derivative is unbounded near 0 (|x|^(p−2)), so only p ≥ 2 is checked.
            guard p >= 2 else { continue }
            let second = gradients(of: first.sum(), withRespectTo: [x])[0]
            expectValues(second, [0, 0, 0], "second derivative of ‖x‖\(p) at 0")
        }
        // Rows of a batch: the zero row gets 0, the others x / ‖x‖.
        let rows = Tensor(rows: [[0, 0], [3, 4]], requiresGrad: true)
        rows.norm(axes: [1]).sum().backward()
        expectClose(rows.grad!, [0, 0, 0.6, 0.8], "∂Σ‖row‖/∂rows", tolerance: .exact)
    }

    @Test func aFullSumSharedAmongTheCoresEqualsTheSerialSumOnAnyCoreCount() {
        // 300,001 elements: long enough that the cores share the row's blocks, with a ragged last block.
        let count = 300_001
        let x = RandomGenerator(seed: 5).uniform([count], low: -1, high: 2)
        let serial = x.withUnsafeBufferPointer { reduceRow($0.baseAddress!, count: count, kind: .sum) }
        var exact: Double = 0
        x.withUnsafeBufferPointer { for value in $0 { exact += Double(value) } }
        #expect(abs(Double(serial) - exact) <= 1e-6 * abs(exact), "serial \(serial) against \(exact)")
        for cores in [1, 2, 3, 8, 64] {
            let shared = withCoreCount(cores) { x.sum().item }
            #expect(shared == serial, "\(cores) cores: \(shared) against \(serial)")
        }
    }

    @Test func normGradientsAwayFromZeroMatchTheFormula() {
        // d‖x‖₂/dx = x / ‖x‖; d‖x‖ₚ/dx = sign(x)|x|^(p−1) / ‖x‖^(p−1).
        let values: [Float] = [1, -2, 2]
        for p: Float in [2, 3] {
            let x = Tensor(values, requiresGrad: true)
            x.norm(p: p).backward()
            let norm = values.map { Double(Swift.abs($0)) }.reduce(0) { $0 + pow($1, Double(p)) }
            let normP = pow(norm, 1 / Double(p))
            let expected = values.map { v -> Double in
                let magnitude = Double(Swift.abs(v))
                return (v < 0 ? -1 : 1) * pow(magnitude, Double(p) - 1) / pow(normP, Double(p) - 1)
            }
            expectClose(x.grad!, expected, "∂‖x‖\(p)/∂x", tolerance: Tolerance(absolute: 1e-6, relative: 1e-5))
        }
        // Second order through the rule: the Hessian of ‖x‖₂ is (I − x̂x̂ᵀ)/‖x‖, so Σⱼ Hᵢⱼ = (1 − x̂ᵢΣx̂)/‖x‖.
        let x = Tensor(values, requiresGrad: true)
        let first = gradients(of: x.norm(), withRespectTo: [x], createGraph: true)[0]
        let hessianRowSums = gradients(of: first.sum(), withRespectTo: [x])[0]
        let unit = values.map { Double($0) / 3 }
        expectClose(hessianRowSums, unit.map { (1 - $0 * unit.reduce(0, +)) / 3 }, "Hessian row sums of ‖x‖₂",
                    tolerance: Tolerance(absolute: 1e-6, relative: 1e-5))
    }

    @Test func sumsAcrossAMillionRowsKeepFloatPrecision() {
        // 0.1 is not exact in float32; a running float32 sum of a million of them drifts by about 1 %,
        // float sums over blocks of 512 rows added in double by about 4 · 10⁻⁶.
        let rowCount = 1_000_000
        let x = Tensor([Float](repeating: 0.1, count: rowCount * 3), shape: [rowCount, 3])
        let reference = Double(Float(0.1)) * Double(rowCount)
        let tight = Tolerance(absolute: 0, relative: 1e-5)
        expectClose(x.sum(axis: 0), [Double](repeating: reference, count: 3), "sum over axis 0 of [10⁶, 3]", tolerance: tight)
        expectClose(x.reshaped([1, rowCount, 3]).mean(axis: 1), [Double](repeating: Double(Float(0.1)), count: 3),
                    "mean over axis 1 of [1, 10⁶, 3]", tolerance: tight)
        // Across a non-adjacent pair of axes (sum over [0, 2] of [1000, 3, 1000]).
        let y = Tensor([Float](repeating: 0.1, count: 3_000_000), shape: [1000, 3, 1000])
        expectClose(y.sum(axes: [0, 2]), [Double](repeating: reference, count: 3), "sum over axes 0 and 2", tolerance: tight)
    }

    @Test func maximaAndMinimaAcrossRowsAreExact() {
        let random = RandomGenerator(seed: 8)
        let x = random.normal([2000, 5])
        let values = x.scalars
        let maxima = (0..<5).map { column in (0..<2000).map { values[$0 * 5 + column] }.max()! }
        let minima = (0..<5).map { column in (0..<2000).map { values[$0 * 5 + column] }.min()! }
        #expect(x.max(axes: [0]).scalars == maxima)
        #expect(x.reshaped([1, 2000, 5]).min(axes: [0, 1]).scalars == minima)
    }
}
