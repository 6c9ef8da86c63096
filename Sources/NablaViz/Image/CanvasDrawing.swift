// The raster side of `DrawingSurface`. Every shape is drawn by coverage: for each pixel near the shape,
// how much of it (0…1) the shape covers, estimated from the distance between the pixel's centre and the
// shape's edge. That one rule gives anti-aliased edges and any line thickness without a rasteriser.

extension Canvas: DrawingSurface {
    /// Fills `rectangle`; pixels it covers only partly get partial coverage, so edges between pixels
    /// stay exact rather than rounding outwards.
    public mutating func fillRectangle(_ rectangle: Rectangle, color: Color) {
        guard rectangle.width > 0, rectangle.height > 0 else { return }
        let firstColumn = max(0, Int(rectangle.minX.rounded(.down)))
        let lastColumn = min(width - 1, Int(rectangle.maxX.rounded(.up)) - 1)
        let firstRow = max(0, Int(rectangle.minY.rounded(.down)))
        let lastRow = min(height - 1, Int(rectangle.maxY.rounded(.up)) - 1)
        guard firstColumn <= lastColumn, firstRow <= lastRow else { return }
        withPixelWriter { writer in
            for y in firstRow...lastRow {
                let rowCoverage = min(Double(y + 1), rectangle.maxY) - max(Double(y), rectangle.minY)
                for x in firstColumn...lastColumn {
                    let columnCoverage = min(Double(x + 1), rectangle.maxX) - max(Double(x), rectangle.minX)
                    writer.blend(color, x: x, y: y, coverage: rowCoverage * columnCoverage)
                }
            }
        }
    }

    public mutating func strokePolyline(_ points: [Point], color: Color, thickness: Double) {
        guard let first = points.first, thickness > 0 else { return }
        let reach = thickness / 2 + 1
        var box = (minX: first.x, minY: first.y, maxX: first.x, maxY: first.y)
        for point in points where point.x.isFinite && point.y.isFinite {
            box = (min(box.minX, point.x), min(box.minY, point.y), max(box.maxX, point.x), max(box.maxY, point.y))
        }
        let left = max(0, Int((box.minX - reach).rounded(.down)))
        let top = max(0, Int((box.minY - reach).rounded(.down)))
        let right = min(width - 1, Int((box.maxX + reach).rounded(.up)))
        let bottom = min(height - 1, Int((box.maxY + reach).rounded(.up)))
        guard left <= right, top <= bottom else { return }
        // One coverage mask for the whole line, the maximum over its segments: blending each segment on
        // its own would darken every joint where two round ends overlap.
        let maskWidth = right - left + 1
        var maskStorage = [Float](repeating: 0, count: maskWidth * (bottom - top + 1))
        let segments = points.count == 1 ? [(first, first)] : Array(zip(points, points.dropFirst()))
        maskStorage.withUnsafeMutableBufferPointer { mask in
            for (start, end) in segments where start.x.isFinite && start.y.isFinite && end.x.isFinite && end.y.isFinite {
                let segmentLeft = max(left, Int((min(start.x, end.x) - reach).rounded(.down)))
                let segmentRight = min(right, Int((max(start.x, end.x) + reach).rounded(.up)))
                let segmentTop = max(top, Int((min(start.y, end.y) - reach).rounded(.down)))
                let segmentBottom = min(bottom, Int((max(start.y, end.y) + reach).rounded(.up)))
                guard segmentLeft <= segmentRight, segmentTop <= segmentBottom else { continue }
                let dx = end.x - start.x, dy = end.y - start.y
                let lengthSquared = dx * dx + dy * dy
                for y in segmentTop...segmentBottom {
                    let centreY = Double(y) + 0.5
                    for x in segmentLeft...segmentRight {
                        let centreX = Double(x) + 0.5
                        // Distance from the pixel centre to the nearest point of the segment.
                        var t = lengthSquared > 0 ? ((centreX - start.x) * dx + (centreY - start.y) * dy) / lengthSquared : 0
                        t = max(0, min(1, t))
                        let nearestX = start.x + t * dx - centreX, nearestY = start.y + t * dy - centreY
                        let distance = (nearestX * nearestX + nearestY * nearestY).squareRoot()
                        let coverage = Float(max(0, min(1, thickness / 2 + 0.5 - distance)))
                        let index = (y - top) * maskWidth + (x - left)
                        if coverage > mask[index] { mask[index] = coverage }
                    }
                }
            }
        }
        blend(mask: maskStorage, maskWidth: maskWidth, left: left, top: top, color: color)
    }

    public mutating func fillCircle(center: Point, radius: Double, color: Color) {
        drawRing(center: center, color: color, reach: radius) { distance in radius + 0.5 - distance }
    }

    public mutating func strokeCircle(center: Point, radius: Double, color: Color, thickness: Double) {
        drawRing(center: center, color: color, reach: radius + thickness / 2) { distance in
            thickness / 2 + 0.5 - abs(distance - radius)
        }
    }

    /// Fills a polygon (even-odd rule) by sampling each pixel at 4×4 points: exact enough for markers
    /// and legend swatches, which are the polygons plots draw.
    public mutating func fillPolygon(_ points: [Point], color: Color) {
        guard points.count >= 3, points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return }
        let left = max(0, Int(points.map(\.x).min()!.rounded(.down)))
        let right = min(width - 1, Int(points.map(\.x).max()!.rounded(.up)))
        let top = max(0, Int(points.map(\.y).min()!.rounded(.down)))
        let bottom = min(height - 1, Int(points.map(\.y).max()!.rounded(.up)))
        guard left <= right, top <= bottom else { return }
        let samples = 4
        withPixelWriter { writer in
            for y in top...bottom {
                for x in left...right {
                    var inside = 0
                    for sampleY in 0..<samples {
                        for sampleX in 0..<samples {
                            let point = Point(x: Double(x) + (Double(sampleX) + 0.5) / Double(samples),
                                              y: Double(y) + (Double(sampleY) + 0.5) / Double(samples))
                            if polygon(points, contains: point) { inside += 1 }
                        }
                    }
                    writer.blend(color, x: x, y: y, coverage: Double(inside) / Double(samples * samples))
                }
            }
        }
    }

    public mutating func drawImage(_ image: Canvas, in rectangle: Rectangle) {
        guard image.width > 0, image.height > 0, rectangle.width > 0, rectangle.height > 0 else { return }
        let left = Int(rectangle.minX.rounded()), top = Int(rectangle.minY.rounded())
        let right = Int(rectangle.maxX.rounded()), bottom = Int(rectangle.maxY.rounded())
        guard left < right, top < bottom, max(0, top) < min(height, bottom), max(0, left) < min(width, right) else { return }
        let (rows, columns) = (max(0, top)..<min(height, bottom), max(0, left)..<min(width, right))
        var source = image
        source.withPixelWriter { reader in
            withPixelWriter { writer in
                for y in rows {
                    let sourceY = min(reader.height - 1, (y - top) * reader.height / (bottom - top))
                    for x in columns {
                        let sourceX = min(reader.width - 1, (x - left) * reader.width / (right - left))
                        writer.blend(reader.color(x: sourceX, y: sourceY), x: x, y: y)
                    }
                }
            }
        }
    }

    private mutating func drawRing(center: Point, color: Color, reach: Double, coverage: (Double) -> Double) {
        guard center.x.isFinite, center.y.isFinite, reach.isFinite else { return }
        let left = max(0, Int((center.x - reach - 1).rounded(.down)))
        let right = min(width - 1, Int((center.x + reach + 1).rounded(.up)))
        let top = max(0, Int((center.y - reach - 1).rounded(.down)))
        let bottom = min(height - 1, Int((center.y + reach + 1).rounded(.up)))
        guard left <= right, top <= bottom else { return }
        withPixelWriter { writer in
            for y in top...bottom {
                for x in left...right {
                    let dx = Double(x) + 0.5 - center.x, dy = Double(y) + 0.5 - center.y
                    writer.blend(color, x: x, y: y, coverage: max(0, min(1, coverage((dx * dx + dy * dy).squareRoot()))))
                }
            }
        }
    }

    private mutating func blend(mask: [Float], maskWidth: Int, left: Int, top: Int, color: Color) {
        mask.withUnsafeBufferPointer { mask in
            withPixelWriter { writer in
                for index in 0..<mask.count where mask[index] > 0 {
                    writer.blend(color, x: left + index % maskWidth, y: top + index / maskWidth, coverage: Double(mask[index]))
                }
            }
        }
    }
}

/// Even-odd point-in-polygon test by counting edge crossings of a ray to the right.
private func polygon(_ points: [Point], contains point: Point) -> Bool {
    var inside = false
    var previous = points[points.count - 1]
    for current in points {
        if (current.y > point.y) != (previous.y > point.y) {
            let crossingX = previous.x + (point.y - previous.y) * (current.x - previous.x) / (current.y - previous.y)
            if point.x < crossingX { inside.toggle() }
        }
        previous = current
    }
    return inside
}

/// Draws on a canvas `scale` times larger than the drawing's units: figures are laid out once in units
/// and rasterised at 1× for files and 2× for sharp display on high-density screens.
public struct ScaledSurface: DrawingSurface {
    public var canvas: Canvas
    public let scale: Int

    public init(width: Double, height: Double, scale: Int, background: Color = .white) {
        precondition(scale >= 1, "ScaledSurface: scale \(scale) must be at least 1")
        self.scale = scale
        canvas = Canvas(width: Int((width * Double(scale)).rounded(.up)), height: Int((height * Double(scale)).rounded(.up)),
                        background: background)
    }

    private var factor: Double { Double(scale) }
    private func scaled(_ point: Point) -> Point { Point(x: point.x * factor, y: point.y * factor) }

    public mutating func fillRectangle(_ rectangle: Rectangle, color: Color) {
        canvas.fillRectangle(Rectangle(x: rectangle.x * factor, y: rectangle.y * factor,
                                       width: rectangle.width * factor, height: rectangle.height * factor), color: color)
    }

    public mutating func strokePolyline(_ points: [Point], color: Color, thickness: Double) {
        canvas.strokePolyline(points.map(scaled), color: color, thickness: thickness * factor)
    }

    public mutating func fillCircle(center: Point, radius: Double, color: Color) {
        canvas.fillCircle(center: scaled(center), radius: radius * factor, color: color)
    }

    public mutating func strokeCircle(center: Point, radius: Double, color: Color, thickness: Double) {
        canvas.strokeCircle(center: scaled(center), radius: radius * factor, color: color, thickness: thickness * factor)
    }

    public mutating func fillPolygon(_ points: [Point], color: Color) {
        canvas.fillPolygon(points.map(scaled), color: color)
    }

    public mutating func drawText(_ text: String, at point: Point, style: TextStyle) {
        var scaledStyle = style
        scaledStyle.scale = style.scale * scale
        canvas.drawText(text, at: scaled(point), style: scaledStyle)
    }

    public mutating func drawImage(_ image: Canvas, in rectangle: Rectangle) {
        canvas.drawImage(image, in: Rectangle(x: rectangle.x * factor, y: rectangle.y * factor,
                                              width: rectangle.width * factor, height: rectangle.height * factor))
    }
}
