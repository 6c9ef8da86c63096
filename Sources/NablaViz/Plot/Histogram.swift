/// The distribution of a list of numbers as adjacent bars of equal width: weights, activations,
/// gradient norms.
///
/// The bins split the data's range evenly (a single repeated value gets one bin of width 1 around it);
/// NaN and infinite values are left out and counted in the title line.
///
/// ```swift
/// let histogram = Histogram(title: "Weights", xLabel: "value", values: weights.scalars.map(Double.init), binCount: 40)
/// ```
public struct Histogram: Figure {
    public var width: Double
    public var height: Double
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var values: [Double]
    public var binCount: Int
    public var color: Color

    public init(width: Double = 640, height: Double = 400, title: String = "", xLabel: String = "", yLabel: String = "count",
                values: [Double], binCount: Int = 20, color: Color = Palette.categorical[0]) {
        precondition(binCount >= 1, "Histogram: binCount \(binCount) must be at least 1")
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.values = values
        self.binCount = binCount
        self.color = color
    }

    /// The bin edges (`binCount + 1` of them) and the count in each bin; the last bin includes its
    /// right edge, so the maximum is counted.
    public func bins() -> (edges: [Double], counts: [Int]) {
        let finite = values.filter(\.isFinite)
        guard var low = finite.min(), var high = finite.max() else { return ([0, 1], [0]) }
        if high - low <= max(abs(low), abs(high)) * 1e-12 {
            low -= 0.5
            high += 0.5
        }
        let count = low == high ? 1 : binCount
        let width = (high - low) / Double(count)
        let edges = (0...count).map { $0 == count ? high : low + Double($0) * width }
        var counts = [Int](repeating: 0, count: count)
        for value in finite {
            let index = Int(((value - low) / width).rounded(.down))
            counts[max(0, min(count - 1, index))] += 1
        }
        return (edges, counts)
    }

    public func draw<Surface: DrawingSurface>(on surface: inout Surface) {
        let (edges, counts) = bins()
        let nonFinite = values.count - values.filter(\.isFinite).count
        let shownTitle = nonFinite == 0 ? title : "\(title) (\(nonFinite) non-finite left out)"
        let frame = ChartFrame(width: width, height: height, title: shownTitle, xLabel: xLabel, yLabel: yLabel,
                               horizontal: .numeric(.linear(from: edges.first!, to: edges.last!, maximumCount: 8)),
                               vertical: .covering(counts.map(Double.init), includingZero: true), legend: [])
        frame.drawBackground(on: &surface)
        for (index, count) in counts.enumerated() where count > 0 {
            let left = frame.x(edges[index]), right = frame.x(edges[index + 1])
            let top = frame.y(Double(count)), bottom = frame.y(0)
            surface.fillRectangle(Rectangle(x: left, y: top, width: right - left, height: bottom - top), color: color)
            // A thin white edge keeps neighbouring bars apart without hiding narrow ones.
            if right - left > 3 {
                surface.strokeLine(from: Point(x: right, y: top), to: Point(x: right, y: bottom), color: .white, thickness: 0.75)
            }
        }
        if values.filter(\.isFinite).isEmpty { frame.drawNoData(on: &surface) }
        frame.drawAxes(on: &surface)
    }
}
