import Foundation

/// One bar per named category, rising from zero (or falling below it): per-class accuracy, feature
/// importance, counts.
///
/// ```swift
/// let chart = BarChart(title: "Accuracy per class", yLabel: "accuracy",
///                      categories: ["cat", "dog", "bird"], values: [0.91, 0.85, 0.78])
/// ```
public struct BarChart: Figure {
    public var width: Double
    public var height: Double
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var categories: [String]
    public var values: [Double]
    /// One colour for every bar, or one per bar; the palette's first colour when empty.
    public var colors: [Color]
    /// Writes each bar's value above it.
    public var showsValues: Bool

    public init(width: Double = 640, height: Double = 400, title: String = "", xLabel: String = "", yLabel: String = "",
                categories: [String], values: [Double], colors: [Color] = [], showsValues: Bool = false) {
        precondition(categories.count == values.count, "BarChart: \(categories.count) categories but \(values.count) values")
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.values = values
        self.colors = colors
        self.showsValues = showsValues
    }

    public func draw<Surface: DrawingSurface>(on surface: inout Surface) {
        // Value labels need headroom above the tallest bar (and below the deepest).
        let finite = values.filter(\.isFinite)
        let span = (finite.map(abs).max() ?? 0)
        let headroom = showsValues ? finite.map { $0 + ($0 >= 0 ? 0.08 : -0.08) * span } : []
        let ticks = AxisTicks.covering(values + headroom, includingZero: true, maximumCount: 7)
        let frame = ChartFrame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                               horizontal: .categories(categories), vertical: ticks, legend: [])
        frame.drawBackground(on: &surface)
        let zero = frame.y(0)
        for (index, value) in values.enumerated() where value.isFinite {
            let slot = frame.categorySlot(index)
            let barWidth = max(1, slot.width * 0.7)
            let top = min(zero, frame.y(value)), bottom = max(zero, frame.y(value))
            let color = colors.isEmpty ? Palette.categorical[0] : colors[index % colors.count]
            surface.fillRectangle(Rectangle(x: slot.center - barWidth / 2, y: top, width: barWidth, height: bottom - top), color: color)
            if showsValues {
                let style = TextStyle(color: .darkGrey, horizontalAlignment: .center, verticalAlignment: value >= 0 ? .bottom : .top)
                surface.drawText(formatValue(value), at: Point(x: slot.center, y: value >= 0 ? top - 3 : bottom + 3), style: style)
            }
        }
        if values.isEmpty { frame.drawNoData(on: &surface) }
        frame.drawAxes(on: &surface)
    }
}

/// A number in at most four significant digits, integers without decimals: for labels on bars and cells.
func formatValue(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
    if value == value.rounded() && abs(value) < 1e9 { return String(Int(value)) }
    var text = String(format: "%.4g", value)
    if text.contains("e") { return text.replacingOccurrences(of: "e+", with: "e") }
    if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text
}
