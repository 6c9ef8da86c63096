/// Lines through (x, y) points, one per series, with a legend: loss and accuracy curves.
///
/// Points whose x or y is NaN or infinite (or ≤ 0 on a logarithmic axis) break the line there instead
/// of bending it to the edge. Series of up to 40 points also get a dot at each point, so a curve of
/// three epochs does not look like a continuous measurement.
///
/// ```swift
/// let chart = LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss", yScale: .logarithmic, series: [
///     .init(name: "train_loss", x: [1, 2, 3, 4], y: [2.1, 0.9, 0.5, 0.4]),
///     .init(name: "val_loss", x: [1, 2, 3, 4], y: [1.8, 1.0, 0.7, 0.65]),
/// ])
/// let canvas = chart.rendered(scale: 2)
/// ```
public struct LineChart: Figure {
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// Defaults to the line palette (twenty colours), in series order.
        public var color: Color?

        public init(name: String, x: [Double], y: [Double], color: Color? = nil) {
            precondition(x.count == y.count, "LineChart.Series \(name): \(x.count) x values but \(y.count) y values")
            self.name = name
            self.x = x
            self.y = y
            self.color = color
        }
    }

    public var width: Double
    public var height: Double
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Logarithmic for quantities swept over decades (training-set sizes, penalty strengths).
    public var xScale: AxisScale
    public var yScale: AxisScale
    public var series: [Series]
    public var lineThickness: Double = 2

    public init(width: Double = 640, height: Double = 400, title: String = "", xLabel: String = "", yLabel: String = "",
                xScale: AxisScale = .linear, yScale: AxisScale = .linear, series: [Series]) {
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.series = series
    }

    private func isDrawable(_ x: Double, _ y: Double) -> Bool {
        x.isFinite && y.isFinite && (xScale == .linear || x > 0) && (yScale == .linear || y > 0)
    }

    public func draw<Surface: DrawingSurface>(on surface: inout Surface) {
        let points = series.flatMap { zip($0.x, $0.y).filter { isDrawable($0, $1) } }
        let frame = ChartFrame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                               horizontal: .numeric(.covering(points.map(\.0), scale: xScale, maximumCount: 8)),
                               vertical: .covering(points.map(\.1), scale: yScale),
                               legend: series.enumerated().map { index, line in
                                   LegendEntry(name: line.name, color: line.color ?? Palette.color(forLine: index), swatch: .line)
                               })
        frame.drawBackground(on: &surface)
        for (index, line) in series.enumerated() {
            let color = line.color ?? Palette.color(forLine: index)
            var run: [Point] = []
            var drawnPoints: [Point] = []
            for (x, y) in zip(line.x, line.y) {
                if isDrawable(x, y) {
                    let point = Point(x: frame.x(x), y: frame.y(y))
                    run.append(point)
                    drawnPoints.append(point)
                } else {
                    if run.count > 1 { surface.strokePolyline(run, color: color, thickness: lineThickness) }
                    run = []
                }
            }
            if run.count > 1 { surface.strokePolyline(run, color: color, thickness: lineThickness) }
            if drawnPoints.count <= 40 {
                for point in drawnPoints { surface.fillCircle(center: point, radius: lineThickness + 0.5, color: color) }
            }
        }
        if points.isEmpty { frame.drawNoData(on: &surface) }
        frame.drawAxes(on: &surface)
    }
}
