import Nabla

/// Watches activations during calibration and chooses the range their 8-bit codes cover.
public protocol RangeObserver {
    /// Records one batch of activations (any shape).
    mutating func observe(_ activations: Tensor)
    /// The quantisation chosen from everything observed; throws `emptyCalibrationSet` if nothing was.
    func quantization() throws -> AffineQuantization
}

/// The smallest and largest value seen: nothing is clipped, so one outlier widens every step.
public struct MinMaxObserver: RangeObserver {
    public private(set) var minimum = Float.infinity
    public private(set) var maximum = -Float.infinity
    public private(set) var observedCount = 0

    public init() {}

    public mutating func observe(_ activations: Tensor) {
        activations.withUnsafeBufferPointer { values in
            for value in values {
                minimum = min(minimum, value)
                maximum = max(maximum, value)
            }
            observedCount += values.count
        }
    }

    public func quantization() throws -> AffineQuantization {
        guard observedCount > 0 else { throw CompressionError.emptyCalibrationSet }
        return AffineQuantization(minimum: minimum, maximum: maximum)
    }
}

/// The `percentile`-th and (100 − `percentile`)-th percentiles of the values seen: rare outliers are
/// clipped so the common values get finer steps. Keeps every value, so it is meant for a few hundred
/// calibration images.
public struct PercentileObserver: RangeObserver {
    public let percentile: Double
    private var values: [Float] = []

    /// Throws `percentileOutOfRange` unless 0 < `percentile` ≤ 100.
    public init(percentile: Double = 99.99) throws {
        guard percentile > 0, percentile <= 100 else { throw CompressionError.percentileOutOfRange(percentile) }
        self.percentile = percentile
    }

    public mutating func observe(_ activations: Tensor) {
        activations.withUnsafeBufferPointer { values.append(contentsOf: $0) }
    }

    public func quantization() throws -> AffineQuantization {
        guard !values.isEmpty else { throw CompressionError.emptyCalibrationSet }
        let sorted = values.sorted()
        func value(atFraction fraction: Double) -> Float {
            sorted[Int((fraction * Double(sorted.count - 1)).rounded()).clamped(to: 0...(sorted.count - 1))]
        }
        return AffineQuantization(minimum: value(atFraction: 1 - percentile / 100), maximum: value(atFraction: percentile / 100))
    }
}
