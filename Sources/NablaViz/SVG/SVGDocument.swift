import Foundation
import NablaData

/// An SVG drawing built through `DrawingSurface`: the vector twin of `Canvas`, for plots that should
/// stay sharp at any zoom or go into a paper.
///
/// The output is well-formed XML: text and attribute values are escaped, and characters XML 1.0
/// forbids (most control characters) are dropped. Images become embedded PNG data URIs.
///
/// ```swift
/// var svg = SVGDocument(width: 200, height: 100)
/// svg.strokeLine(from: Point(x: 10, y: 90), to: Point(x: 190, y: 10), color: .red, thickness: 2)
/// svg.drawText("a < b & c", at: Point(x: 10, y: 20), style: TextStyle())
/// try svg.write(to: URL(fileURLWithPath: "line.svg"))
/// ```
public struct SVGDocument: DrawingSurface {
    public let width: Double
    public let height: Double
    /// The drawing's elements in order, each one line of SVG.
    public private(set) var elements: [String] = []

    public init(width: Double, height: Double, background: Color? = .white) {
        self.width = width
        self.height = height
        if let background {
            elements.append("<rect x=\"0\" y=\"0\" width=\"\(number(width))\" height=\"\(number(height))\"\(fill(background))/>")
        }
    }

    /// The complete SVG file.
    public var text: String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" height=\"\(number(height))\" viewBox=\"0 0 \(number(width)) \(number(height))\">"]
        lines += elements
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws { try writeFileAtomically(text, to: url.path) }

    public mutating func fillRectangle(_ rectangle: Rectangle, color: Color) {
        guard rectangle.width > 0, rectangle.height > 0 else { return }
        elements.append("<rect x=\"\(number(rectangle.x))\" y=\"\(number(rectangle.y))\" width=\"\(number(rectangle.width))\" height=\"\(number(rectangle.height))\"\(fill(color))/>")
    }

    public mutating func strokePolyline(_ points: [Point], color: Color, thickness: Double) {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else { return }
        let coordinates = (finite.count == 1 ? [finite[0], finite[0]] : finite)
            .map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
        elements.append("<polyline points=\"\(coordinates)\" fill=\"none\"\(stroke(color, thickness)) stroke-linecap=\"round\" stroke-linejoin=\"round\"/>")
    }

    public mutating func fillCircle(center: Point, radius: Double, color: Color) {
        elements.append("<circle cx=\"\(number(center.x))\" cy=\"\(number(center.y))\" r=\"\(number(radius))\"\(fill(color))/>")
    }

    public mutating func strokeCircle(center: Point, radius: Double, color: Color, thickness: Double) {
        elements.append("<circle cx=\"\(number(center.x))\" cy=\"\(number(center.y))\" r=\"\(number(radius))\" fill=\"none\"\(stroke(color, thickness))/>")
    }

    public mutating func fillPolygon(_ points: [Point], color: Color) {
        let coordinates = points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
        elements.append("<polygon points=\"\(coordinates)\"\(fill(color))/>")
    }

    public mutating func drawText(_ text: String, at point: Point, style: TextStyle) {
        guard !text.isEmpty else { return }
        let anchor: String
        switch style.horizontalAlignment {
        case .leading: anchor = "start"
        case .center: anchor = "middle"
        case .trailing: anchor = "end"
        }
        // Place the baseline ourselves instead of trusting dominant-baseline, which viewers treat differently.
        let across = style.baselineOffset(for: text).across
        let fontSize = Double(10 * style.scale)   // 0.6 em advance = the bitmap font's 6-pixel cell
        var attributes = "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"\(number(fontSize))\" text-anchor=\"\(anchor)\"\(fill(style.color))"
        let x: Double, y: Double
        if style.isRotated {
            x = point.x + across
            y = point.y
            attributes += " transform=\"rotate(-90 \(number(x)) \(number(y)))\""
        } else {
            x = point.x
            y = point.y + across
        }
        elements.append("<text x=\"\(number(x))\" y=\"\(number(y))\" \(attributes) xml:space=\"preserve\">\(escapeXML(text))</text>")
    }

    public mutating func drawImage(_ image: Canvas, in rectangle: Rectangle) {
        guard let png = try? image.pngData() else { return }
        elements.append("<image x=\"\(number(rectangle.x))\" y=\"\(number(rectangle.y))\" width=\"\(number(rectangle.width))\" height=\"\(number(rectangle.height))\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,\(png.base64EncodedString())\"/>")
    }

    private func fill(_ color: Color) -> String {
        color.alpha == 255 ? " fill=\"\(color.cssHex)\"" : " fill=\"\(color.cssHex)\" fill-opacity=\"\(number(Double(color.alpha) / 255))\""
    }

    private func stroke(_ color: Color, _ thickness: Double) -> String {
        var text = " stroke=\"\(color.cssHex)\" stroke-width=\"\(number(thickness))\""
        if color.alpha != 255 { text += " stroke-opacity=\"\(number(Double(color.alpha) / 255))\"" }
        return text
    }
}

/// A coordinate as short SVG text: at most two decimals, no "-0", and 0 for NaN or infinity (an SVG
/// viewer rejects the whole file over one "nan").
private func number(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
    return String(format: "%.2f", rounded)
}

/// `text` with the five XML special characters escaped and the characters XML 1.0 does not allow
/// removed, so it is safe as element content and inside quoted attributes.
public func escapeXML(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&apos;"
        case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
        default:
            let value = scalar.value
            let allowed = (value >= 0x20 && value <= 0xD7FF) || (value >= 0xE000 && value <= 0xFFFD) || value >= 0x10000
            if allowed { result.unicodeScalars.append(scalar) }
        }
    }
    return result
}
