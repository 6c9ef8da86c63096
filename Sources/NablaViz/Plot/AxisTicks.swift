import Foundation

/// How an axis maps values to positions.
public enum AxisScale: Sendable {
    case linear
    /// Base-10 logarithmic; only positive values can be shown.
    case logarithmic
}

/// The tick marks of one axis: where they go, what they say, and the axis range they span.
///
/// Linear ticks step by 1, 2 or 5 × 10^k ("nice numbers") and the range is widened to whole steps, so
/// the first and last ticks sit at the ends of the axis. Awkward ranges have defined answers: a single
/// value or zero span gets a small range around it (−1…1 around zero); spans below 10⁻¹² of the
/// values' size count as zero span (doubles cannot tell such ticks apart); very large or very small
/// values are labelled like `2e12`; NaN and infinity are ignored.
///
/// ```swift
/// let ticks = AxisTicks.linear(from: 0.13, to: 0.92)
/// ticks.values   // [0, 0.2, 0.4, 0.6, 0.8, 1]
/// ticks.labels   // ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
/// AxisTicks.logarithmic(from: 3e-4, to: 2).labels   // ["1e-4", "0.001", "0.01", "0.1", "1", "10"]
/// ```
public struct AxisTicks: Equatable, Sendable {
    public let scale: AxisScale
    /// The axis range: it contains every tick.
    public let lower: Double
    public let upper: Double
    public let values: [Double]
    public let labels: [String]

    /// Ticks for a linear axis showing `minimum`…`maximum`, with at most `maximumCount` ticks.
    public static func linear(from minimum: Double, to maximum: Double, maximumCount: Int = 6) -> AxisTicks {
        var low = minimum.isFinite ? minimum : (maximum.isFinite ? maximum : 0)
        var high = maximum.isFinite ? maximum : low
        if low > high { swap(&low, &high) }
        var magnitude = max(abs(low), abs(high))
        // Below 1e-300 steps of 10^k reach subnormal numbers, which cannot hold nice steps: such values
        // are drawn as zero (a run folder with a loss of 1e-320 once stopped the report here).
        if magnitude < 1e-300 { low = 0; high = 0; magnitude = 0 }
        if high - low <= magnitude * 1e-12 {
            let centre = (low + high) / 2
            let half = centre == 0 ? 1 : abs(centre) / 10
            low = centre - half
            high = centre + half
        }
        guard low.isFinite, high.isFinite, (high - low).isFinite else {
            // Beyond ±1e308 the arithmetic overflows; show the ends as they are.
            return AxisTicks(scale: .linear, lower: -Double.greatestFiniteMagnitude, upper: Double.greatestFiniteMagnitude,
                             values: [-Double.greatestFiniteMagnitude, 0, Double.greatestFiniteMagnitude],
                             labels: ["-1.8e308", "0", "1.8e308"])
        }
        let intervals = max(1, maximumCount - 1)
        let exponent = Int(log10((high - low) / Double(intervals)).rounded(.down)) - 1
        for power in exponent...(exponent + 3) {
            for multiplier in [1, 2, 5] {
                let step = NiceStep(multiplier: multiplier, power: power)
                let first = (low / step.value).rounded(.down), last = (high / step.value).rounded(.up)
                guard last - first <= Double(intervals) else { continue }
                let values = stride(from: first, through: last, by: 1).map { step.multiple($0) }
                let labels = linearLabels(values, step: step)
                return AxisTicks(scale: .linear, lower: values.first!, upper: values.last!, values: values, labels: labels)
            }
        }
        // Not reached for finite ranges above 1e-300; the ends as they are rather than a trap.
        return AxisTicks(scale: .linear, lower: low, upper: high, values: [low, high], labels: ["\(low)", "\(high)"])
    }

    /// Ticks for a base-10 logarithmic axis showing `minimum`…`maximum` (both must be positive; others
    /// fall back to a linear axis). Spans of up to about three decades get ticks at 1, 2 and 5 × 10^k;
    /// longer spans get powers of ten, every second or third one when there are many.
    public static func logarithmic(from minimum: Double, to maximum: Double) -> AxisTicks {
        var low = min(minimum, maximum), high = max(minimum, maximum)
        guard low > 0, high.isFinite, low.isFinite else { return linear(from: minimum, to: maximum) }
        var lowPower = Int(log10(low).rounded(.down)), highPower = Int(log10(high).rounded(.up))
        if lowPower == highPower {
            lowPower -= 1
            low = pow(10, Double(lowPower))
            high = max(high, low * 10)
        }
        // Ticks at 1, 2 and 5 × 10^k hugging the data, when that gives few enough of them (up to about
        // three decades); otherwise powers of ten.
        var candidates: [NiceStep] = []
        for power in lowPower...highPower {
            for multiplier in [1, 2, 5] { candidates.append(NiceStep(multiplier: multiplier, power: power)) }
        }
        // The widest nice values around the data; the slack keeps 0.2 from becoming 0.1 over rounding.
        let first = candidates.lastIndex { $0.value <= low * (1 + 1e-9) } ?? 0
        let last = candidates.firstIndex { $0.value >= high * (1 - 1e-9) } ?? candidates.count - 1
        if last - first < 10 {
            let chosen = Array(candidates[first...max(first + 1, last)])
            return AxisTicks(scale: .logarithmic, lower: chosen.first!.value, upper: chosen.last!.value,
                             values: chosen.map(\.value), labels: chosen.map(\.label))
        }
        let every = max(1, Int((Double(highPower - lowPower) / 8).rounded(.up)))
        let firstPower = Int((Double(lowPower) / Double(every)).rounded(.down)) * every
        let lastPower = Int((Double(highPower) / Double(every)).rounded(.up)) * every
        let steps = stride(from: firstPower, through: lastPower, by: every).map { NiceStep(multiplier: 1, power: $0) }
        return AxisTicks(scale: .logarithmic, lower: steps.first!.value, upper: steps.last!.value,
                         values: steps.map(\.value), labels: steps.map(\.label))
    }

    /// Ticks for the finite values in `data` (positive ones on a logarithmic axis). `includingZero`
    /// keeps 0 on a linear axis, as bar heights need; no usable values give the range 0…1 (1…10 on a
    /// logarithmic axis).
    public static func covering(_ data: [Double], scale: AxisScale = .linear, includingZero: Bool = false,
                                maximumCount: Int = 6) -> AxisTicks {
        var usable = data.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        if scale == .linear && includingZero { usable.append(0) }
        switch scale {
        case .linear:
            guard let low = usable.min(), let high = usable.max() else { return linear(from: 0, to: 1, maximumCount: maximumCount) }
            return linear(from: low, to: high, maximumCount: maximumCount)
        case .logarithmic:
            guard let low = usable.min(), let high = usable.max() else { return logarithmic(from: 1, to: 10) }
            return logarithmic(from: low, to: high)
        }
    }

    /// Where `value` falls on the axis: 0 at `lower`, 1 at `upper` (outside for values beyond them;
    /// NaN for values a logarithmic axis cannot show).
    public func fraction(of value: Double) -> Double {
        switch scale {
        case .linear:
            return upper > lower ? (value - lower) / (upper - lower) : 0.5
        case .logarithmic:
            guard value > 0 else { return .nan }
            return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }
}

/// A step of `multiplier` × 10^`power`, kept as integers so multiples are computed with one rounding
/// (3 × 0.1 gives 0.3, not 0.30000000000000004).
private struct NiceStep {
    let multiplier: Int
    let power: Int

    var value: Double { multiple(1) }

    func multiple(_ count: Double) -> Double {
        let scaled = count * Double(multiplier)
        let result = power >= 0 ? scaled * pow(10, Double(power)) : scaled / pow(10, Double(-power))
        return result == 0 ? 0 : result   // no "-0"
    }

    /// The label for a logarithmic tick: plain decimals from 0.001 to 10000, `2e-5` beyond.
    var label: String {
        if power >= -3 && power <= 4 { return String(format: "%.\(max(0, -power))f", value) }
        return "\(multiplier)e\(power)"
    }
}

/// Labels for linear ticks `values` spaced by `step`: fixed decimals, as many as the step needs, unless
/// the values are huge or tiny, then `1.5e12` style with as many mantissa digits as the step needs.
private func linearLabels(_ values: [Double], step: NiceStep) -> [String] {
    let largest = values.map(abs).max() ?? 0
    let scientific = largest >= 1e6 || (largest < 1e-4 && largest > 0)
    return values.map { value in
        // Same decimals on every label, so they line up and read as one scale.
        guard scientific else { return String(format: "%.\(max(0, -step.power))f", value == 0 ? 0 : value) }
        if value == 0 { return "0" }
        var exponent = Int(log10(abs(value)).rounded(.down))
        var decimals = min(15, max(0, exponent - step.power))
        var mantissa = (value / pow(10, Double(exponent)))
        var text = String(format: "%.\(decimals)f", mantissa)
        if abs(Double(text) ?? 0) >= 10 {   // 9.9999… rounded up to 10: move the decimal point
            exponent += 1
            decimals = min(15, max(0, exponent - step.power))
            mantissa = value / pow(10, Double(exponent))
            text = String(format: "%.\(decimals)f", mantissa)
        }
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return "\(text)e\(exponent)"
    }
}
