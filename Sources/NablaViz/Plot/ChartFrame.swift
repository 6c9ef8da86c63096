/// What a legend entry shows beside its name.
public enum LegendSwatch: Sendable {
    case line
    case marker(MarkerShape)
    case box
}

/// One line of a legend.
public struct LegendEntry: Sendable {
    public var name: String
    public var color: Color
    public var swatch: LegendSwatch

    public init(name: String, color: Color, swatch: LegendSwatch) {
        self.name = name
        self.color = color
        self.swatch = swatch
    }
}

/// The horizontal axis of a chart: numbers with ticks, or named categories (bars).
enum HorizontalAxis {
    case numeric(AxisTicks)
    case categories([String])
}

/// The furniture every chart shares — title, plot area, grid, ticks, tick labels, axis labels and a
/// legend to the right — laid out once from the text it has to hold, so long tick labels or a long
/// legend shrink the plot area instead of overlapping it.
struct ChartFrame {
    let width: Double
    let height: Double
    let title: String
    let xLabel: String
    let yLabel: String
    let horizontal: HorizontalAxis
    let vertical: AxisTicks
    let legend: [LegendEntry]
    /// The rectangle data is drawn in; its edges sit on pixel centres.
    private(set) var plotArea = Rectangle(x: 0, y: 0, width: 1, height: 1)
    /// Category labels too wide for their slot are written upwards.
    private(set) var rotatesCategoryLabels = false

    static let padding = 10.0
    static let tickLength = 4.0
    static let labelGap = 4.0
    static let titleStyle = TextStyle(scale: 2, color: .black, horizontalAlignment: .center, verticalAlignment: .top)
    static let labelStyle = TextStyle(scale: 1, color: .darkGrey)
    static let legendRowHeight = 14.0
    static let legendSwatchWidth = 18.0
    static let maximumLegendNameLength = 28

    /// Width kept free right of the plot area for something beside the legend (a colour bar).
    let reservedRight: Double
    /// The title as drawn, in one or two lines that fit the image.
    let fittedTitle: FittedTitle

    init(width: Double, height: Double, title: String, xLabel: String, yLabel: String,
         horizontal: HorizontalAxis, vertical: AxisTicks, legend: [LegendEntry], reservedRight: Double = 0) {
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.horizontal = horizontal
        self.vertical = vertical
        self.legend = legend
        self.reservedRight = reservedRight
        fittedTitle = FittedTitle(title, imageWidth: width)
        layOut()
    }

    private mutating func layOut() {
        let style = ChartFrame.labelStyle
        let padding = ChartFrame.padding
        var top = padding + style.ascent / 2 + 2
        if !title.isEmpty { top = padding + fittedTitle.height + 10 }
        let yTickWidth = vertical.labels.map(style.width(of:)).max() ?? 0
        var left = padding + yTickWidth + ChartFrame.labelGap + ChartFrame.tickLength
        if !yLabel.isEmpty { left += style.lineHeight + 8 }
        var bottom = padding + ChartFrame.tickLength + ChartFrame.labelGap + style.lineHeight
        if !xLabel.isEmpty { bottom += style.lineHeight + 8 }
        var right = padding + 6
        if case .numeric(let ticks) = horizontal, let last = ticks.labels.last {
            right = max(right, style.width(of: last) / 2 + 4)   // the last tick label is centred on the edge
        }
        if !legend.isEmpty { right = legendWidth + padding + 10 }
        if reservedRight > 0 { right = max(right, reservedRight + padding + 10) }
        var plotWidth = max(10, width - left - right)
        if case .categories(let names) = horizontal, !names.isEmpty {
            let slot = plotWidth / Double(names.count)
            let widest = names.map { style.width(of: $0) }.max() ?? 0
            if widest > slot - 4 {
                rotatesCategoryLabels = true
                bottom += widest - style.lineHeight
            }
        }
        let plotHeight = max(10, height - top - bottom)
        plotWidth = max(10, width - left - right)
        let minX = pixelCentre(left), minY = pixelCentre(top)
        plotArea = Rectangle(x: minX, y: minY, width: pixelCentre(left + plotWidth) - minX,
                             height: pixelCentre(top + plotHeight) - minY)
    }

    /// The legend box's height (0 without a legend): what sits below it starts lower.
    var legendHeight: Double { legend.isEmpty ? 0 : (Double(legend.count) * ChartFrame.legendRowHeight + 8).rounded() }

    private var legendWidth: Double {
        let widest = legend.map { ChartFrame.labelStyle.width(of: ChartFrame.legendName($0.name)) }.max() ?? 0
        return 8 + ChartFrame.legendSwatchWidth + 6 + widest + 8
    }

    static func legendName(_ name: String) -> String {
        name.count <= maximumLegendNameLength ? name : String(name.prefix(maximumLegendNameLength - 2)) + ".."
    }

    // MARK: Mapping data to the plot area

    func x(_ value: Double) -> Double {
        guard case .numeric(let ticks) = horizontal else { return plotArea.minX }
        return plotArea.minX + ticks.fraction(of: value) * plotArea.width
    }

    func y(_ value: Double) -> Double { plotArea.maxY - vertical.fraction(of: value) * plotArea.height }

    /// The centre of category `index`'s slot on a categorical axis, and the slot's width.
    func categorySlot(_ index: Int) -> (center: Double, width: Double) {
        guard case .categories(let names) = horizontal, !names.isEmpty else { return (plotArea.center.x, plotArea.width) }
        let slot = plotArea.width / Double(names.count)
        return (plotArea.minX + slot * (Double(index) + 0.5), slot)
    }

    // MARK: Drawing

    /// Grid lines and the frame, drawn before the data so the data sits on top.
    func drawBackground<Surface: DrawingSurface>(on surface: inout Surface) {
        for value in vertical.values {
            let position = pixelCentre(y(value))
            surface.strokeLine(from: Point(x: plotArea.minX, y: position), to: Point(x: plotArea.maxX, y: position),
                               color: .lightGrey, thickness: 1)
        }
        if case .numeric(let ticks) = horizontal {
            for value in ticks.values {
                let position = pixelCentre(x(value))
                surface.strokeLine(from: Point(x: position, y: plotArea.minY), to: Point(x: position, y: plotArea.maxY),
                                   color: .lightGrey, thickness: 1)
            }
        }
    }

    /// Frame, ticks, labels, title and legend, drawn after the data so lines never hide them.
    func drawAxes<Surface: DrawingSurface>(on surface: inout Surface) {
        let axisColor = Color(hex: 0x444444)
        surface.strokeRectangle(plotArea, color: axisColor, thickness: 1)
        var tickLabel = ChartFrame.labelStyle
        tickLabel.horizontalAlignment = .trailing
        tickLabel.verticalAlignment = .center
        for (value, label) in zip(vertical.values, vertical.labels) {
            let position = pixelCentre(y(value))
            surface.strokeLine(from: Point(x: plotArea.minX - ChartFrame.tickLength, y: position),
                               to: Point(x: plotArea.minX, y: position), color: axisColor, thickness: 1)
            surface.drawText(label, at: Point(x: plotArea.minX - ChartFrame.tickLength - ChartFrame.labelGap, y: position),
                             style: tickLabel)
        }
        let labelTop = plotArea.maxY + ChartFrame.tickLength + ChartFrame.labelGap
        var bottomOfLabels = labelTop + ChartFrame.labelStyle.lineHeight
        switch horizontal {
        case .numeric(let ticks):
            var style = ChartFrame.labelStyle
            style.horizontalAlignment = .center
            style.verticalAlignment = .top
            for (value, label) in zip(ticks.values, ticks.labels) {
                let position = pixelCentre(x(value))
                surface.strokeLine(from: Point(x: position, y: plotArea.maxY), to: Point(x: position, y: plotArea.maxY + ChartFrame.tickLength),
                                   color: axisColor, thickness: 1)
                surface.drawText(label, at: Point(x: position, y: labelTop), style: style)
            }
        case .categories(let names):
            var style = ChartFrame.labelStyle
            if rotatesCategoryLabels {
                style.isRotated = true
                style.horizontalAlignment = .trailing
                style.verticalAlignment = .center
                bottomOfLabels = labelTop + (names.map { style.width(of: $0) }.max() ?? 0)
            } else {
                style.horizontalAlignment = .center
                style.verticalAlignment = .top
            }
            for (index, name) in names.enumerated() {
                let center = pixelCentre(categorySlot(index).center)
                surface.strokeLine(from: Point(x: center, y: plotArea.maxY), to: Point(x: center, y: plotArea.maxY + ChartFrame.tickLength),
                                   color: axisColor, thickness: 1)
                surface.drawText(name, at: Point(x: center, y: labelTop), style: style)
            }
        }
        if !xLabel.isEmpty {
            var style = ChartFrame.labelStyle
            style.color = .black
            style.horizontalAlignment = .center
            style.verticalAlignment = .top
            surface.drawText(xLabel, at: Point(x: plotArea.center.x, y: bottomOfLabels + 8), style: style)
        }
        if !yLabel.isEmpty {
            let style = TextStyle(scale: 1, color: .black, horizontalAlignment: .center, verticalAlignment: .top, isRotated: true)
            surface.drawText(yLabel, at: Point(x: ChartFrame.padding, y: plotArea.center.y), style: style)
        }
        fittedTitle.draw(on: &surface, centre: plotArea.center.x, imageWidth: width)
        drawLegend(on: &surface)
    }

    /// Says so in the middle of the plot area when a chart has nothing to plot.
    func drawNoData<Surface: DrawingSurface>(on surface: inout Surface, message: String = "no data") {
        surface.drawText(message, at: plotArea.center,
                         style: TextStyle(scale: 1, color: .grey, horizontalAlignment: .center, verticalAlignment: .center))
    }

    private func drawLegend<Surface: DrawingSurface>(on surface: inout Surface) {
        guard !legend.isEmpty else { return }
        let box = Rectangle(x: pixelCentre(plotArea.maxX + 10), y: plotArea.minY,
                            width: (legendWidth).rounded(), height: legendHeight)
        surface.fillRectangle(box, color: .white)
        surface.strokeRectangle(box, color: Color(hex: 0xBBBBBB), thickness: 1)
        var style = ChartFrame.labelStyle
        style.color = .black
        style.verticalAlignment = .center
        for (index, entry) in legend.enumerated() {
            let rowCenter = box.minY + 4 + ChartFrame.legendRowHeight * (Double(index) + 0.5)
            let swatchLeft = box.minX + 8
            let swatchCenter = Point(x: swatchLeft + ChartFrame.legendSwatchWidth / 2, y: rowCenter)
            switch entry.swatch {
            case .line:
                surface.strokeLine(from: Point(x: swatchLeft, y: rowCenter), to: Point(x: swatchLeft + ChartFrame.legendSwatchWidth, y: rowCenter),
                                   color: entry.color, thickness: 2)
            case .marker(let shape):
                surface.drawMarker(shape, at: swatchCenter, size: 7, color: entry.color)
            case .box:
                surface.fillRectangle(Rectangle(x: swatchCenter.x - 5, y: rowCenter - 5, width: 10, height: 10), color: entry.color)
            }
            surface.drawText(ChartFrame.legendName(entry.name), at: Point(x: swatchLeft + ChartFrame.legendSwatchWidth + 6, y: rowCenter),
                             style: style)
        }
    }
}
