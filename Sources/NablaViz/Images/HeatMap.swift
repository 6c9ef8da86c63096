import Foundation

/// A matrix of numbers as coloured cells with a colour bar: attention weights, activations, saliency,
/// confusion matrices (see `ConfusionMatrix`).
///
/// Values map linearly from `valueRange` (default: the finite values' minimum to maximum) onto the
/// colormap; NaN cells are drawn light grey. With `underlay`, the cells are laid over that image with
/// `opacity`, which is how saliency is shown on the picture it explains.
///
/// ```swift
/// let attention = HeatMap(title: "Attention", values: [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]],
///                         rowLabels: ["the", "cat"], columnLabels: ["le", "chat", "."], showsValues: true)
/// try attention.writePNG(to: URL(fileURLWithPath: "attention.png"), scale: 2)
/// ```
public struct HeatMap: Figure {
    public var width: Double
    public var height: Double
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Rows top to bottom; every row has the same length.
    public var values: [[Double]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var colormap: Colormap
    public var valueRange: ClosedRange<Double>?
    /// Writes each cell's value in it (sensible up to about 20 × 20 cells).
    public var showsValues: Bool
    /// Keeps cells square, leaving space on the sides rather than stretching.
    public var squareCells: Bool
    /// An image the cells are blended over, stretched to the cell area.
    public var underlay: Canvas?
    /// Opacity of the cells over `underlay`.
    public var opacity: Double

    public init(width: Double = 560, height: Double = 480, title: String = "", xLabel: String = "", yLabel: String = "",
                values: [[Double]], rowLabels: [String] = [], columnLabels: [String] = [], colormap: Colormap = .viridis,
                valueRange: ClosedRange<Double>? = nil, showsValues: Bool = false, squareCells: Bool = true,
                underlay: Canvas? = nil, opacity: Double = 0.5) {
        let columnCount = values.first?.count ?? 0
        precondition(values.allSatisfy { $0.count == columnCount }, "HeatMap: rows have different lengths")
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.colormap = colormap
        self.valueRange = valueRange
        self.showsValues = showsValues
        self.squareCells = squareCells
        self.underlay = underlay
        self.opacity = opacity
    }

    /// The range colours are spread over: `valueRange`, or the data's, widened when it is a single value.
    public var effectiveRange: ClosedRange<Double> {
        if let valueRange { return valueRange }
        let finite = values.joined().filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return 0...1 }
        return low < high ? low...high : (low - 0.5)...(high + 0.5)
    }

    /// The cells as an image, one pixel per cell.
    public func cellImage() -> Canvas {
        let range = effectiveRange
        let rowCount = values.count, columnCount = values.first?.count ?? 0
        var image = Canvas(width: columnCount, height: rowCount)
        for (row, rowValues) in values.enumerated() {
            for (column, value) in rowValues.enumerated() {
                image[column, row] = value.isNaN ? Color(hex: 0xDDDDDD)
                    : colormap.color(at: range.upperBound > range.lowerBound ? (value - range.lowerBound) / (range.upperBound - range.lowerBound) : 0.5)
            }
        }
        return image
    }

    public func draw<Surface: DrawingSurface>(on surface: inout Surface) {
        let rowCount = values.count, columnCount = values.first?.count ?? 0
        let label = ChartFrame.labelStyle
        let padding = ChartFrame.padding
        let colourBarWidth = 14.0
        let range = effectiveRange
        let barTicks = AxisTicks.linear(from: range.lowerBound, to: range.upperBound)
        let barLabelWidth = barTicks.labels.map(label.width(of:)).max() ?? 0
        let rowLabelWidth = rowLabels.map(label.width(of:)).max() ?? 0
        let columnLabelWidth = columnLabels.map(label.width(of:)).max() ?? 0

        let fittedTitle = FittedTitle(title, imageWidth: width)
        var top = padding + (title.isEmpty ? 4 : fittedTitle.height + 10)
        var left = padding + (yLabel.isEmpty ? 0 : label.lineHeight + 8) + (rowLabels.isEmpty ? 0 : rowLabelWidth + 6)
        let right = padding + colourBarWidth + 12 + 6 + barLabelWidth + 4
        var bottom = padding + (xLabel.isEmpty ? 0 : label.lineHeight + 8)
        var area = Rectangle(x: left, y: top, width: max(1, width - left - right - 16), height: 1)
        // Column labels go under the cells, written upwards when they do not fit across a column.
        let columnWidthGuess = area.width / Double(max(1, columnCount))
        let rotatesColumnLabels = columnLabelWidth > columnWidthGuess - 4
        if !columnLabels.isEmpty { bottom += 6 + (rotatesColumnLabels ? columnLabelWidth : label.lineHeight) }
        area.height = max(1, height - top - bottom)
        if squareCells && rowCount > 0 && columnCount > 0 {
            let cell = min(area.width / Double(columnCount), area.height / Double(rowCount))
            let cellsWidth = cell * Double(columnCount), cellsHeight = cell * Double(rowCount)
            left += (area.width - cellsWidth) / 2
            top += (area.height - cellsHeight) / 2
            area = Rectangle(x: left, y: top, width: cellsWidth, height: cellsHeight)
        }
        area = Rectangle(x: area.x.rounded(), y: area.y.rounded(), width: area.width.rounded(), height: area.height.rounded())

        if let underlay { surface.drawImage(underlay, in: area) }
        if rowCount > 0 && columnCount > 0 {
            var cells = cellImage()
            if underlay != nil {
                for index in stride(from: 3, to: cells.pixels.count, by: 4) { cells.pixels[index] = Color.byte(opacity) }
            }
            surface.drawImage(cells, in: area)
        } else {
            surface.drawText("no data", at: area.center, style: TextStyle(color: .grey, horizontalAlignment: .center, verticalAlignment: .center))
        }
        let cellWidth = area.width / Double(max(1, columnCount)), cellHeight = area.height / Double(max(1, rowCount))
        if showsValues {
            let style = TextStyle(scale: cellHeight >= 40 && cellWidth >= 60 ? 2 : 1, horizontalAlignment: .center, verticalAlignment: .center)
            for (row, rowValues) in values.enumerated() {
                for (column, value) in rowValues.enumerated() {
                    let fraction = (value - range.lowerBound) / max(1e-300, range.upperBound - range.lowerBound)
                    var cellStyle = style
                    cellStyle.color = colormap.color(at: fraction).contrastingTextColor
                    let text = formatValue(value)
                    guard cellStyle.width(of: text) <= cellWidth - 2 else { continue }   // skip what cannot fit
                    surface.drawText(text, at: Point(x: area.minX + cellWidth * (Double(column) + 0.5),
                                                     y: area.minY + cellHeight * (Double(row) + 0.5)), style: cellStyle)
                }
            }
        }
        surface.strokeRectangle(Rectangle(x: area.minX - 0.5, y: area.minY - 0.5, width: area.width + 1, height: area.height + 1),
                                color: Color(hex: 0x444444), thickness: 1)

        var rowStyle = label
        rowStyle.horizontalAlignment = .trailing
        rowStyle.verticalAlignment = .center
        for (row, name) in rowLabels.prefix(rowCount).enumerated() {
            surface.drawText(name, at: Point(x: area.minX - 6, y: area.minY + cellHeight * (Double(row) + 0.5)), style: rowStyle)
        }
        var columnStyle = label
        if rotatesColumnLabels {
            columnStyle.isRotated = true
            columnStyle.horizontalAlignment = .trailing
            columnStyle.verticalAlignment = .center
        } else {
            columnStyle.horizontalAlignment = .center
            columnStyle.verticalAlignment = .top
        }
        for (column, name) in columnLabels.prefix(columnCount).enumerated() {
            surface.drawText(name, at: Point(x: area.minX + cellWidth * (Double(column) + 0.5), y: area.maxY + 6), style: columnStyle)
        }
        let columnLabelsDepth = columnLabels.isEmpty ? 0 : 6 + (rotatesColumnLabels ? columnLabelWidth : label.lineHeight)
        if !xLabel.isEmpty {
            surface.drawText(xLabel, at: Point(x: area.center.x, y: area.maxY + columnLabelsDepth + 8),
                             style: TextStyle(horizontalAlignment: .center, verticalAlignment: .top))
        }
        if !yLabel.isEmpty {
            surface.drawText(yLabel, at: Point(x: padding, y: area.center.y),
                             style: TextStyle(horizontalAlignment: .center, verticalAlignment: .top, isRotated: true))
        }
        fittedTitle.draw(on: &surface, centre: area.center.x, imageWidth: width)
        drawColourBar(on: &surface, beside: area, ticks: barTicks, range: range, width: colourBarWidth)
    }

    private func drawColourBar<Surface: DrawingSurface>(on surface: inout Surface, beside area: Rectangle, ticks: AxisTicks,
                                                        range: ClosedRange<Double>, width barWidth: Double) {
        let bar = Rectangle(x: area.maxX + 16, y: area.minY, width: barWidth, height: max(20, area.height))
        let steps = 128
        var gradient = Canvas(width: 1, height: steps)
        for step in 0..<steps { gradient[0, step] = colormap.color(at: 1 - (Double(step) + 0.5) / Double(steps)) }
        surface.drawImage(gradient, in: bar)
        surface.strokeRectangle(Rectangle(x: bar.minX - 0.5, y: bar.minY - 0.5, width: bar.width + 1, height: bar.height + 1),
                                color: Color(hex: 0x444444), thickness: 1)
        let style = TextStyle(color: .darkGrey, verticalAlignment: .center)
        let span = range.upperBound - range.lowerBound
        for (value, text) in zip(ticks.values, ticks.labels) where span > 0 && value >= range.lowerBound - span * 1e-9 && value <= range.upperBound + span * 1e-9 {
            let y = pixelCentre(bar.maxY - (value - range.lowerBound) / span * bar.height)
            surface.strokeLine(from: Point(x: bar.maxX, y: y), to: Point(x: bar.maxX + 4, y: y), color: Color(hex: 0x444444), thickness: 1)
            surface.drawText(text, at: Point(x: bar.maxX + 7, y: y), style: style)
        }
    }
}
