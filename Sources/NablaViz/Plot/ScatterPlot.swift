/// Points coloured by class, with a legend naming the classes: embeddings (PCA, t-SNE), decision
/// boundaries, clusters.
///
/// Classes past the ten palette colours change marker shape as well, so up to forty stay distinct.
///
/// ```swift
/// let plot = ScatterPlot(title: "t-SNE", x: [0.1, 0.5, 0.9], y: [1, 0.2, 0.4], classes: [0, 1, 1],
///                        classNames: ["cat", "dog"])
/// try plot.writePNG(to: URL(fileURLWithPath: "tsne.png"))
/// ```
public struct ScatterPlot: Figure {
    public var width: Double
    public var height: Double
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var x: [Double]
    public var y: [Double]
    /// The class of each point, an index into `classNames` (all 0 when there are no classes).
    public var classes: [Int]
    public var classNames: [String]
    public var markerSize: Double = 6
    /// Points drawn slightly transparent show where they pile up.
    public var opacity: Double = 0.8

    public init(width: Double = 640, height: Double = 480, title: String = "", xLabel: String = "", yLabel: String = "",
                x: [Double], y: [Double], classes: [Int]? = nil, classNames: [String] = []) {
        precondition(x.count == y.count, "ScatterPlot: \(x.count) x values but \(y.count) y values")
        precondition(classes == nil || classes!.count == x.count, "ScatterPlot: \(classes!.count) classes for \(x.count) points")
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.x = x
        self.y = y
        self.classes = classes ?? [Int](repeating: 0, count: x.count)
        self.classNames = classNames
    }

    static func marker(forClass index: Int) -> MarkerShape {
        let shapes = MarkerShape.allCases
        return shapes[(max(0, index) / Palette.categorical.count) % shapes.count]
    }

    public func draw<Surface: DrawingSurface>(on surface: inout Surface) {
        let drawable = zip(x, y).enumerated().filter { $0.element.0.isFinite && $0.element.1.isFinite }
        let classCount = max(classNames.count, (classes.max() ?? -1) + 1)
        let legend = classNames.isEmpty && classCount <= 1 ? [] : (0..<classCount).map { index in
            LegendEntry(name: index < classNames.count ? classNames[index] : "class \(index)",
                        color: Palette.color(forCategory: index), swatch: .marker(ScatterPlot.marker(forClass: index)))
        }
        let frame = ChartFrame(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                               horizontal: .numeric(.covering(drawable.map(\.element.0), maximumCount: 8)),
                               vertical: .covering(drawable.map(\.element.1)), legend: legend)
        frame.drawBackground(on: &surface)
        for (index, point) in drawable {
            let category = classes[index]
            surface.drawMarker(ScatterPlot.marker(forClass: category), at: Point(x: frame.x(point.0), y: frame.y(point.1)),
                               size: markerSize, color: Palette.color(forCategory: category).withAlpha(opacity))
        }
        if drawable.isEmpty { frame.drawNoData(on: &surface) }
        frame.drawAxes(on: &surface)
    }
}
