/// A position in drawing units: pixels for a canvas at scale 1, user units in SVG. `y` grows downwards,
/// as in PNG rows and SVG.
public struct Point: Hashable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// An axis-aligned rectangle: `x`, `y` is its top-left corner.
public struct Rectangle: Hashable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var minX: Double { x }
    public var minY: Double { y }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var center: Point { Point(x: x + width / 2, y: y + height / 2) }
}

/// Puts a coordinate on a pixel centre, so one-pixel horizontal and vertical lines cover whole pixels
/// (sharp) instead of half of two (a grey two-pixel smear).
func pixelCentre(_ coordinate: Double) -> Double { coordinate.rounded(.down) + 0.5 }
