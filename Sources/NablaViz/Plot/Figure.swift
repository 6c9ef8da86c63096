import Foundation

/// Anything NablaViz can draw: charts, heat maps, image grids. A figure lays itself out in drawing units
/// (`width` × `height`) and draws through `DrawingSurface`, so one description gives a PNG at any integer
/// scale and an SVG file.
///
/// ```swift
/// let chart = LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss",
///                       series: [.init(name: "train", x: [1, 2, 3], y: [0.9, 0.5, 0.3])])
/// try chart.writePNG(to: URL(fileURLWithPath: "loss.png"), scale: 2)
/// try chart.writeSVG(to: URL(fileURLWithPath: "loss.svg"))
/// ```
public protocol Figure {
    var width: Double { get }
    var height: Double { get }
    func draw<Surface: DrawingSurface>(on surface: inout Surface)
}

extension Figure {
    /// The figure on a white canvas, each drawing unit `scale` × `scale` pixels.
    public func rendered(scale: Int = 1) -> Canvas {
        var surface = ScaledSurface(width: width, height: height, scale: scale)
        draw(on: &surface)
        return surface.canvas
    }

    /// The figure as an SVG document.
    public func svg() -> SVGDocument {
        var document = SVGDocument(width: width, height: height)
        draw(on: &document)
        return document
    }

    public func pngData(scale: Int = 1) throws -> Data { try rendered(scale: scale).pngData() }

    public func writePNG(to url: URL, scale: Int = 1) throws { try rendered(scale: scale).writePNG(to: url) }

    public func writeSVG(to url: URL) throws { try svg().write(to: url) }
}
