/// Where text sits relative to the point it is drawn at, along the direction of writing.
public enum HorizontalAlignment: Sendable {
    case leading, center, trailing
}

/// Where text sits relative to the point it is drawn at, across the direction of writing. `center`
/// centres capital letters and digits (what tick labels need); `top` and `bottom` include descenders.
public enum VerticalAlignment: Sendable {
    case top, center, baseline, bottom
}

/// How a piece of text is drawn. Sizes are multiples of the built-in 5×7 font (see `BitmapFont`), so a
/// canvas and an SVG file lay text out identically.
public struct TextStyle: Sendable {
    /// Each font pixel becomes `scale` × `scale` pixels: 1 for tick labels, 2 for titles.
    public var scale: Int
    public var color: Color
    public var horizontalAlignment: HorizontalAlignment
    public var verticalAlignment: VerticalAlignment
    /// Text written upwards (rotated a quarter turn anticlockwise), as on a y-axis label.
    public var isRotated: Bool

    public init(scale: Int = 1, color: Color = .black, horizontalAlignment: HorizontalAlignment = .leading,
                verticalAlignment: VerticalAlignment = .baseline, isRotated: Bool = false) {
        self.scale = max(1, scale)
        self.color = color
        self.horizontalAlignment = horizontalAlignment
        self.verticalAlignment = verticalAlignment
        self.isRotated = isRotated
    }

    /// The length of `text` along the direction of writing.
    public func width(of text: String) -> Double { Double(BitmapFont.width(of: text) * scale) }

    /// Height of capital letters above the baseline.
    public var ascent: Double { Double(BitmapFont.ascent * scale) }
    /// Depth of descenders (g, p, y) below the baseline.
    public var descent: Double { Double(BitmapFont.descent * scale) }
    /// Ascent plus descent: the height one line of text needs.
    public var lineHeight: Double { ascent + descent }

    /// The offset from the alignment point to the start of the baseline, in the text's own frame
    /// (first component along the writing, second downwards across it).
    func baselineOffset(for text: String) -> (along: Double, across: Double) {
        let along: Double
        switch horizontalAlignment {
        case .leading: along = 0
        case .center: along = -width(of: text) / 2
        case .trailing: along = -width(of: text)
        }
        let across: Double
        switch verticalAlignment {
        case .top: across = ascent
        case .center: across = ascent / 2
        case .baseline: across = 0
        case .bottom: across = -descent
        }
        return (along, across)
    }
}

/// Something plots can be drawn on: a raster `Canvas` or an `SVGDocument`. Every figure draws itself
/// once through this protocol, so its PNG and its SVG show the same thing.
///
/// Coordinates are in drawing units with y growing downwards; a canvas maps one unit to one pixel
/// (or `scale` pixels through `ScaledSurface`).
public protocol DrawingSurface {
    mutating func fillRectangle(_ rectangle: Rectangle, color: Color)
    /// Straight segments through `points` with round ends, `thickness` units wide.
    mutating func strokePolyline(_ points: [Point], color: Color, thickness: Double)
    mutating func fillCircle(center: Point, radius: Double, color: Color)
    mutating func strokeCircle(center: Point, radius: Double, color: Color, thickness: Double)
    mutating func fillPolygon(_ points: [Point], color: Color)
    mutating func drawText(_ text: String, at point: Point, style: TextStyle)
    /// Draws `image` stretched to `rectangle` with nearest-neighbour sampling: pixels stay square, so
    /// a 28×28 digit scaled up stays sharp.
    mutating func drawImage(_ image: Canvas, in rectangle: Rectangle)
}

/// The shapes a scatter plot can mark points with.
public enum MarkerShape: Sendable, CaseIterable {
    case circle, square, diamond, triangle
}

extension DrawingSurface {
    public mutating func strokeLine(from start: Point, to end: Point, color: Color, thickness: Double = 1) {
        strokePolyline([start, end], color: color, thickness: thickness)
    }

    /// The outline of `rectangle`, the line centred on its edges.
    public mutating func strokeRectangle(_ rectangle: Rectangle, color: Color, thickness: Double = 1) {
        let half = thickness / 2
        let r = rectangle
        fillRectangle(Rectangle(x: r.minX - half, y: r.minY - half, width: r.width + thickness, height: thickness), color: color)
        fillRectangle(Rectangle(x: r.minX - half, y: r.maxY - half, width: r.width + thickness, height: thickness), color: color)
        fillRectangle(Rectangle(x: r.minX - half, y: r.minY + half, width: thickness, height: r.height - thickness), color: color)
        fillRectangle(Rectangle(x: r.maxX - half, y: r.minY + half, width: thickness, height: r.height - thickness), color: color)
    }

    /// A filled marker of about `size` units across, centred on `point`.
    public mutating func drawMarker(_ shape: MarkerShape, at point: Point, size: Double, color: Color) {
        let half = size / 2
        switch shape {
        case .circle:
            fillCircle(center: point, radius: half, color: color)
        case .square:
            fillRectangle(Rectangle(x: point.x - half * 0.9, y: point.y - half * 0.9, width: size * 0.9, height: size * 0.9), color: color)
        case .diamond:
            fillPolygon([Point(x: point.x, y: point.y - half * 1.2), Point(x: point.x + half, y: point.y),
                         Point(x: point.x, y: point.y + half * 1.2), Point(x: point.x - half, y: point.y)], color: color)
        case .triangle:
            fillPolygon([Point(x: point.x, y: point.y - half * 1.1), Point(x: point.x + half * 1.1, y: point.y + half * 0.9),
                         Point(x: point.x - half * 1.1, y: point.y + half * 0.9)], color: color)
        }
    }
}
