import Foundation

/// The levels a contour plot draws lines at.
public enum ContourLevels: Sendable {
    /// `count` levels evenly spaced strictly between the field's minimum and maximum.
    case linear(count: Int)
    /// `count` levels in geometric progression between the field's positive values' 1st percentile and
    /// its maximum: for surfaces like Rosenbrock's, whose valley lies orders of magnitude below its
    /// walls. (The very smallest values sit in a valley too narrow for the grid to trace.) A field
    /// with no positive values falls back to linear levels.
    case logarithmic(count: Int)
    /// Exactly these levels.
    case values([Double])
}

/// A scalar field z(x, y) as coloured bands with contour lines, with paths drawn over it: an optimiser's
/// steps on an error surface (SGD, momentum and Adam on Rosenbrock's valley or a saddle).
///
/// The field is sampled on a grid spanning `xRange` × `yRange` exactly (the axes show that region, with
/// ticks inside it). Between two adjacent levels the area has one colour from `colormap`, lightened so
/// paths stay visible, and a colour bar below the legend names the levels; the level lines come from
/// `MarchingSquares`. NaN or infinite samples are drawn light grey and get no contour lines. Each
/// trajectory is a named line with a circle at its start and a diamond at its end; lines leaving the
/// region are clipped at its edge and points that are not finite break the line.
///
/// ```swift
/// let rosenbrock = ContourPlot(title: "Rosenbrock", xLabel: "x", yLabel: "y", xRange: -2...2, yRange: -1...3,
///                              levels: .logarithmic(count: 14),
///                              trajectories: [.init(name: "SGD", x: [-1.5, -1, 0.2], y: [2, 0.8, 0.1])]) { x, y in
///     (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
/// }
/// try rosenbrock.writePNG(to: URL(fileURLWithPath: "rosenbrock.png"), scale: 2)
/// ```
public struct ContourPlot: Figure {
    /// One path over the field: a named run of (x, y) points, drawn like a line chart's series
    /// (colour from the categorical palette in trajectory order unless given).
    public typealias Trajectory = LineChart.Series

    public var width: Double
    public var height: Double
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    /// The samples: `values[row][column]` is z at x = `gridX[column]`, y = `gridY[row]` (rows bottom to top).
    public var values: [[Double]]
    public var levelChoice: ContourLevels
    public var colormap: Colormap
    /// Whether the bands between levels are coloured (else only lines on white).
    public var fillsBands: Bool
    public var trajectories: [Trajectory]
    public var trajectoryThickness: Double = 2

    /// A plot of the field `values` sampled on an evenly spaced grid over `xRange` × `yRange`: rows go
    /// from `yRange.lowerBound` up to `yRange.upperBound`, columns from left to right.
    public init(width: Double = 640, height: Double = 480, title: String = "", xLabel: String = "", yLabel: String = "",
                xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, values: [[Double]],
                levels: ContourLevels = .linear(count: 10), colormap: Colormap = .viridis, fillsBands: Bool = true,
                trajectories: [Trajectory] = []) {
        let columnCount = values.first?.count ?? 0
        precondition(values.count >= 2 && columnCount >= 2 && values.allSatisfy { $0.count == columnCount },
                     "ContourPlot: values must be at least 2 rows of at least 2, all rows the same length")
        precondition(xRange.lowerBound.isFinite && xRange.upperBound.isFinite && xRange.lowerBound < xRange.upperBound
                     && yRange.lowerBound.isFinite && yRange.upperBound.isFinite && yRange.lowerBound < yRange.upperBound,
                     "ContourPlot: ranges \(xRange) × \(yRange) must be finite and wider than a point")
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xRange = xRange
        self.yRange = yRange
        self.values = values
        self.levelChoice = levels
        self.colormap = colormap
        self.fillsBands = fillsBands
        self.trajectories = trajectories
    }

    /// A plot of `field` sampled at `resolution` × `resolution` points over `xRange` × `yRange`.
    public init(width: Double = 640, height: Double = 480, title: String = "", xLabel: String = "", yLabel: String = "",
                xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, resolution: Int = 120,
                levels: ContourLevels = .linear(count: 10), colormap: Colormap = .viridis, fillsBands: Bool = true,
                trajectories: [Trajectory] = [], field: (Double, Double) -> Double) {
        precondition(resolution >= 2, "ContourPlot: resolution \(resolution) must be at least 2")
        let xs = ContourPlot.grid(xRange, count: resolution), ys = ContourPlot.grid(yRange, count: resolution)
        self.init(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel, xRange: xRange, yRange: yRange,
                  values: ys.map { y in xs.map { x in field(x, y) } }, levels: levels, colormap: colormap,
                  fillsBands: fillsBands, trajectories: trajectories)
    }

    static func grid(_ range: ClosedRange<Double>, count: Int) -> [Double] {
        (0..<count).map { range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(count - 1) }
    }

    /// The x of each column of `values`.
    public var gridX: [Double] { ContourPlot.grid(xRange, count: values.first?.count ?? 0) }
    /// The y of each row of `values`.
    public var gridY: [Double] { ContourPlot.grid(yRange, count: values.count) }

    /// The levels lines are drawn at, increasing.
    public var levels: [Double] {
        let finite = values.joined().filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max(), low < high else {
            if case .values(let chosen) = levelChoice { return chosen.filter(\.isFinite).sorted() }
            return []
        }
        switch levelChoice {
        case .values(let chosen):
            return chosen.filter(\.isFinite).sorted()
        case .linear(let count):
            return (1...max(1, count)).map { low + (high - low) * Double($0) / Double(max(1, count) + 1) }
        case .logarithmic(let count):
            let positive = finite.filter { $0 > 0 }.sorted()
            guard !positive.isEmpty, positive[positive.count / 100] < high else {
                return ContourPlot(xRange: xRange, yRange: yRange, values: values, levels: .linear(count: count)).levels
            }
            let bottom = positive[positive.count / 100]
            let ratio = log(high / bottom)
            return (0..<max(1, count)).map { bottom * exp(ratio * Double($0) / Double(max(1, count))) }
        }
    }

    public func draw<Surface: DrawingSurface>(on surface: inout Surface) {
        let colors = trajectories.indices.map { trajectories[$0].color ?? Palette.color(forCategory: $0) }
        var legend = zip(trajectories, colors).map { LegendEntry(name: $0.name, color: $1, swatch: .line) }
        if !trajectories.isEmpty {
            legend += [LegendEntry(name: "start", color: .darkGrey, swatch: .marker(.circle)),
                       LegendEntry(name: "end", color: .darkGrey, swatch: .marker(.diamond))]
        }
        let levels = self.levels
        let levelLabels = levels.map(ContourPlot.shortLabel)
        let barWidth = fillsBands && !levels.isEmpty
            ? ContourPlot.colourBarWidth + 6 + (levelLabels.map(ChartFrame.labelStyle.width(of:)).max() ?? 0) : 0
        let frame = ChartFrame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                               horizontal: .numeric(ContourPlot.ticks(exactly: xRange)), vertical: ContourPlot.ticks(exactly: yRange),
                               legend: legend, reservedRight: barWidth)
        let area = frame.plotArea
        if fillsBands { surface.drawImage(bandImage(width: Int(area.width.rounded()), height: Int(area.height.rounded()), levels: levels), in: area) }

        let lineColor = Color(hex: 0x222222).withAlpha(fillsBands ? 0.45 : 0.8)
        let (xs, ys) = (gridX, gridY)
        for level in levels {
            for line in MarchingSquares.contours(values: values, x: xs, y: ys, level: level) {
                surface.strokePolyline(line.map { Point(x: frame.x($0.x), y: frame.y($0.y)) }, color: lineColor, thickness: 1)
            }
        }
        // Every halo before any line, so a later path's halo does not cut through an earlier path.
        let runs = trajectories.map { clippedRuns(of: $0, frame: frame) }
        for lines in runs {
            for line in lines { surface.strokePolyline(line, color: Color.white.withAlpha(0.8), thickness: trajectoryThickness + 2) }
        }
        for (lines, color) in zip(runs, colors) {
            for line in lines { surface.strokePolyline(line, color: color, thickness: trajectoryThickness) }
        }
        for (trajectory, color) in zip(trajectories, colors) { drawEnds(of: trajectory, color: color, frame: frame, on: &surface) }
        frame.drawAxes(on: &surface)
        if barWidth > 0 { drawColourBar(levels: levels, labels: levelLabels, frame: frame, on: &surface) }
    }

    static let colourBarWidth = 12.0

    /// The bands' colours as a bar right of the plot, below the legend: one equal step per band (the
    /// levels may be spaced geometrically), labelled with the levels between them, every second or
    /// third one when they would crowd.
    private func drawColourBar<Surface: DrawingSurface>(levels: [Double], labels: [String], frame: ChartFrame, on surface: inout Surface) {
        let area = frame.plotArea
        let top = (area.minY + frame.legendHeight + (frame.legend.isEmpty ? 0 : 18)).rounded()
        let bar = Rectangle(x: (area.maxX + 10).rounded(), y: top, width: ContourPlot.colourBarWidth, height: (area.maxY - top).rounded())
        let bandCount = levels.count + 1
        let step = bar.height / Double(bandCount)
        guard step >= 2 else { return }
        for band in 0..<bandCount {
            let color = bandColor(band, bandCount: bandCount)
            surface.fillRectangle(Rectangle(x: bar.minX, y: bar.maxY - step * Double(band + 1), width: bar.width, height: step), color: color)
        }
        let axisColor = Color(hex: 0x444444)
        surface.strokeRectangle(Rectangle(x: bar.minX - 0.5, y: bar.minY - 0.5, width: bar.width + 1, height: bar.height + 1), color: axisColor)
        var style = ChartFrame.labelStyle
        style.verticalAlignment = .center
        let every = max(1, Int((ChartFrame.labelStyle.lineHeight + 3) / step) + 1)
        for (index, label) in labels.enumerated() where index % every == 0 {
            let y = pixelCentre(bar.maxY - step * Double(index + 1))
            surface.strokeLine(from: Point(x: bar.maxX, y: y), to: Point(x: bar.maxX + 3, y: y), color: axisColor)
            surface.drawText(label, at: Point(x: bar.maxX + 6, y: y), style: style)
        }
    }

    /// Band `band`'s colour: the colormap at the band's place, lightened so paths stand out on it.
    private func bandColor(_ band: Int, bandCount: Int) -> Color {
        colormap.color(at: Double(band) / Double(max(1, bandCount - 1))).interpolated(to: .white, fraction: 0.45)
    }

    /// A level as a short label: two significant digits (`0.032`, `1.5`, `2.4e3`).
    static func shortLabel(_ value: Double) -> String {
        var text = String(format: "%.2g", value)
        if let exponent = text.range(of: "e") {
            let mantissa = text[..<exponent.lowerBound], power = Int(text[exponent.upperBound...]) ?? 0
            text = "\(mantissa)e\(power)"
        }
        return text
    }

    /// The bands as an image covering the plot area: each pixel's value interpolated bilinearly from the
    /// grid, coloured by how many levels lie below it.
    private func bandImage(width: Int, height: Int, levels: [Double]) -> Canvas {
        var image = Canvas(width: max(1, width), height: max(1, height))
        let rowCount = values.count, columnCount = values[0].count
        let bandColors = (0...levels.count).map { bandColor($0, bandCount: levels.count + 1) }
        let missing = Color(hex: 0xDDDDDD)
        for pixelRow in 0..<image.height {
            // Row 0 of the image is the top of the plot: the last grid row.
            let gridRow = (1 - (Double(pixelRow) + 0.5) / Double(image.height)) * Double(rowCount - 1)
            let row = min(rowCount - 2, Int(gridRow)), rowFraction = gridRow - Double(row)
            for pixelColumn in 0..<image.width {
                let gridColumn = (Double(pixelColumn) + 0.5) / Double(image.width) * Double(columnCount - 1)
                let column = min(columnCount - 2, Int(gridColumn)), columnFraction = gridColumn - Double(column)
                let lower = values[row][column] * (1 - columnFraction) + values[row][column + 1] * columnFraction
                let upper = values[row + 1][column] * (1 - columnFraction) + values[row + 1][column + 1] * columnFraction
                let value = lower * (1 - rowFraction) + upper * rowFraction
                guard value.isFinite else {
                    image[pixelColumn, pixelRow] = missing
                    continue
                }
                image[pixelColumn, pixelRow] = bandColors[ContourPlot.band(of: value, levels: levels)]
            }
        }
        return image
    }

    /// How many of the increasing `levels` lie below `value` (binary search: the band image asks this
    /// once per pixel).
    static func band(of value: Double, levels: [Double]) -> Int {
        var low = 0, high = levels.count
        while low < high {
            let middle = (low + high) / 2
            if levels[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The trajectory in drawing units as unbroken runs clipped to the plot area: a run ends where the
    /// path leaves the area or meets a point that is not finite.
    private func clippedRuns(of trajectory: Trajectory, frame: ChartFrame) -> [[Point]] {
        let area = frame.plotArea
        let points = zip(trajectory.x, trajectory.y).map { Point(x: frame.x($0), y: frame.y($1)) }
        var runs: [[Point]] = []
        var run: [Point] = []
        func finishRun() {
            if run.count > 1 { runs.append(run) }
            run = []
        }
        for (start, end) in zip(points, points.dropFirst()) {
            guard let (from, to) = clip(start, end, to: area) else {
                finishRun()
                continue
            }
            if run.last != from {
                finishRun()
                run = [from]
            }
            run.append(to)
            if to != end { finishRun() }   // the path left the area here
        }
        finishRun()
        return runs
    }

    /// A circle at the trajectory's first finite point and a diamond at its last, when inside the area.
    private func drawEnds<Surface: DrawingSurface>(of trajectory: Trajectory, color: Color, frame: ChartFrame, on surface: inout Surface) {
        let area = frame.plotArea
        let points = zip(trajectory.x, trajectory.y).map { Point(x: frame.x($0), y: frame.y($1)) }
        let inside = points.filter { isFinite($0) && $0.x >= area.minX && $0.x <= area.maxX && $0.y >= area.minY && $0.y <= area.maxY }
        if let first = points.first(where: isFinite), inside.contains(first) {
            surface.fillCircle(center: first, radius: 5, color: .white)
            surface.drawMarker(.circle, at: first, size: 7, color: color)
        }
        if let last = points.last(where: isFinite), inside.contains(last) {
            surface.drawMarker(.diamond, at: last, size: 11, color: .white)
            surface.drawMarker(.diamond, at: last, size: 8, color: color)
        }
    }

    /// Axis ticks spanning exactly `range` (the field's extent), with nice tick values inside it.
    static func ticks(exactly range: ClosedRange<Double>) -> AxisTicks {
        let nice = AxisTicks.linear(from: range.lowerBound, to: range.upperBound, maximumCount: 7)
        guard range.upperBound > range.lowerBound else { return nice }
        let slack = (range.upperBound - range.lowerBound) * 1e-9
        let kept = zip(nice.values, nice.labels).filter { $0.0 >= range.lowerBound - slack && $0.0 <= range.upperBound + slack }
        return AxisTicks(scale: .linear, lower: range.lowerBound, upper: range.upperBound, values: kept.map(\.0), labels: kept.map(\.1))
    }
}

private func isFinite(_ point: Point) -> Bool { point.x.isFinite && point.y.isFinite }

/// The part of segment `start`–`end` inside `area` (Liang–Barsky), or nil when none is, or when an end
/// is not finite.
func clip(_ start: Point, _ end: Point, to area: Rectangle) -> (Point, Point)? {
    guard isFinite(start), isFinite(end) else { return nil }
    let dx = end.x - start.x, dy = end.y - start.y
    guard dx.isFinite, dy.isFinite else { return nil }
    var enter = 0.0, leave = 1.0
    for (direction, distance) in [(-dx, start.x - area.minX), (dx, area.maxX - start.x), (-dy, start.y - area.minY), (dy, area.maxY - start.y)] {
        if direction == 0 {
            if distance < 0 { return nil }   // parallel to this edge and outside it
            continue
        }
        let t = distance / direction
        if direction < 0 { enter = max(enter, t) } else { leave = min(leave, t) }
        if enter > leave { return nil }
    }
    let from = enter == 0 ? start : Point(x: start.x + enter * dx, y: start.y + enter * dy)
    let to = leave == 1 ? end : Point(x: start.x + leave * dx, y: start.y + leave * dy)
    return (from, to)
}
