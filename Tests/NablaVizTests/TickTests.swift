import Foundation
import Testing
@testable import NablaViz

// Tick choice on awkward ranges: every case must give sorted ticks that cover the data, steps of
// 1, 2 or 5 × 10^k, distinct labels, and no "-0".

@Suite struct TickTests {
    /// The checks every linear result must pass.
    func expectSane(_ ticks: AxisTicks, covering low: Double, _ high: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(ticks.values.count >= 2 && ticks.values.count <= 8, "\(ticks.values)", sourceLocation: sourceLocation)
        #expect(ticks.values == ticks.values.sorted(), sourceLocation: sourceLocation)
        #expect(ticks.lower <= low && ticks.upper >= high, "\(ticks.lower)…\(ticks.upper) misses \(low)…\(high)", sourceLocation: sourceLocation)
        #expect(Set(ticks.labels).count == ticks.labels.count, "labels repeat: \(ticks.labels)", sourceLocation: sourceLocation)
        #expect(!ticks.labels.contains { $0.hasPrefix("-") && Double($0) == 0 }, sourceLocation: sourceLocation)
        guard ticks.scale == .linear, ticks.values.count >= 2 else { return }
        let step = ticks.values[1] - ticks.values[0]
        let mantissa = step / pow(10, (log10(step)).rounded(.down))
        #expect([1, 2, 5, 10].contains { abs(mantissa - Double($0)) < 1e-6 }, "step \(step)", sourceLocation: sourceLocation)
    }

    @Test func ordinaryRange() {
        let ticks = AxisTicks.linear(from: 0.13, to: 0.92)
        #expect(ticks.values == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(ticks.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        expectSane(AxisTicks.linear(from: 1, to: 10), covering: 1, 10)
    }

    @Test func tinySpan() {
        let ticks = AxisTicks.linear(from: 1, to: 1 + 1e-9)
        expectSane(ticks, covering: 1, 1 + 1e-9)
        #expect(ticks.labels.first == "1.0000000000")
        let nearZero = AxisTicks.linear(from: -3e-9, to: 4e-9)
        expectSane(nearZero, covering: -3e-9, 4e-9)
        #expect(nearZero.labels.contains("2e-9"), "\(nearZero.labels)")
    }

    @Test func hugeValues() {
        let ticks = AxisTicks.linear(from: 0, to: 1e12)
        expectSane(ticks, covering: 0, 1e12)
        #expect(ticks.labels == ["0", "2e11", "4e11", "6e11", "8e11", "1e12"])
        let offset = AxisTicks.linear(from: 1.2e15, to: 1.5e15)
        expectSane(offset, covering: 1.2e15, 1.5e15)
        #expect(offset.labels.contains("1.3e15"), "\(offset.labels)")
    }

    @Test func negativeRanges() {
        let ticks = AxisTicks.linear(from: -7.3, to: -0.2)
        expectSane(ticks, covering: -7.3, -0.2)
        #expect(ticks.labels.first == "-8" && ticks.labels.last == "0")
        expectSane(AxisTicks.linear(from: -0.004, to: 0.003), covering: -0.004, 0.003)
        expectSane(AxisTicks.linear(from: 3, to: -3), covering: -3, 3)   // reversed arguments
    }

    @Test func singleValueAndZeroSpan() {
        let single = AxisTicks.covering([0.5])
        expectSane(single, covering: 0.5, 0.5)
        #expect(single.lower < 0.5 && single.upper > 0.5)
        let zero = AxisTicks.linear(from: 0, to: 0)
        expectSane(zero, covering: -1, 1)
        #expect(zero.labels == ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
        expectSane(AxisTicks.linear(from: -250, to: -250), covering: -250, -250)
        expectSane(AxisTicks.linear(from: 1e12, to: 1e12), covering: 1e12, 1e12)
        let empty = AxisTicks.covering([.nan, .infinity])
        #expect(empty.lower == 0 && empty.upper == 1)
    }

    @Test func logarithmicScale() {
        let wide = AxisTicks.logarithmic(from: 3e-4, to: 2)
        #expect(wide.labels == ["1e-4", "0.001", "0.01", "0.1", "1", "10"])
        let narrow = AxisTicks.logarithmic(from: 0.3, to: 2.3)
        #expect(narrow.values == [0.2, 0.5, 1, 2, 5])
        #expect(narrow.labels == ["0.2", "0.5", "1", "2", "5"])
        let huge = AxisTicks.logarithmic(from: 1e-12, to: 1e12)
        #expect(huge.values.count <= 13 && huge.values.count >= 3)
        #expect(huge.lower <= 1e-12 && huge.upper >= 1e12)
        let single = AxisTicks.logarithmic(from: 10, to: 10)
        #expect(single.lower < 10 && single.upper >= 10)
        // Non-positive data cannot go on a log axis: covering() leaves it out; all-non-positive falls back.
        let mixed = AxisTicks.covering([-1, 0, 0.05, 4], scale: .logarithmic)
        #expect(mixed.scale == .logarithmic && mixed.lower <= 0.05 && mixed.upper >= 4)
        #expect(AxisTicks.logarithmic(from: -1, to: 5).scale == .linear)
        #expect(abs(narrow.fraction(of: 1) - (log10(1) - log10(0.2)) / (log10(5) - log10(0.2))) < 1e-12)
    }

    @Test func subnormalRangesAreDrawnAsZeroInsteadOfTrapping() {
        // A metrics file with a loss of 1e-320 stopped `nabla report` with "no step found".
        for (low, high) in [(9e-321, 1.1e-320), (0, 5e-324), (-1e-310, 1e-310), (1e-300, 2e-300)] {
            let ticks = AxisTicks.linear(from: low, to: high)
            #expect(ticks.values.count >= 2 && ticks.lower <= low && ticks.upper >= high, "\(low)…\(high): \(ticks)")
        }
    }
}
