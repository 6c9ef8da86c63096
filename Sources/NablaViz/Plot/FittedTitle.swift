/// A figure's title laid out to fit the image's width: one line at the title scale when it fits, else
/// two lines broken at a space, else the same at the label scale; what still does not fit ends in "...".
/// Each line is centred over the figure's content but moved inwards where that would cut it at the
/// image's edge.
struct FittedTitle {
    static let lineGap = 3.0
    let lines: [String]
    let style: TextStyle

    /// `title` fitted into an image `imageWidth` wide with `ChartFrame.padding` on either side.
    init(_ title: String, imageWidth: Double) {
        (lines, style) = FittedTitle.fit(title, available: imageWidth - 2 * ChartFrame.padding)
    }

    /// The height the lines take (0 without a title), not counting the space below them.
    var height: Double { lines.isEmpty ? 0 : Double(lines.count) * (style.lineHeight + FittedTitle.lineGap) - FittedTitle.lineGap }

    /// Draws the lines from `ChartFrame.padding` down, centred on `centre` where the image allows.
    func draw<Surface: DrawingSurface>(on surface: inout Surface, centre: Double, imageWidth: Double) {
        for (index, line) in lines.enumerated() {
            let half = style.width(of: line) / 2
            let x = min(max(centre, ChartFrame.padding + half), imageWidth - ChartFrame.padding - half)
            let y = ChartFrame.padding + Double(index) * (style.lineHeight + FittedTitle.lineGap)
            surface.drawText(line, at: Point(x: x, y: y), style: style)
        }
    }

    static func fit(_ title: String, available: Double) -> (lines: [String], style: TextStyle) {
        guard !title.isEmpty else { return ([], ChartFrame.titleStyle) }
        var small = ChartFrame.titleStyle
        small.scale = 1
        for style in [ChartFrame.titleStyle, small] {
            if style.width(of: title) <= available { return ([title], style) }
            if let lines = twoLines(title, style: style, available: available) { return (lines, style) }
        }
        // Even two small lines are too short: fill the first line, cut the second.
        let words = title.split(separator: " ").map(String.init)
        var first = "", index = 0
        while index < words.count {
            let longer = first.isEmpty ? words[index] : first + " " + words[index]
            if small.width(of: longer) > available { break }
            first = longer
            index += 1
        }
        if first.isEmpty { return ([shortened(title, style: small, available: available)], small) }
        let rest = words[index...].joined(separator: " ")
        return (rest.isEmpty ? [first] : [first, shortened(rest, style: small, available: available)], small)
    }

    /// The break at a space that makes the longer of the two lines shortest, if both then fit.
    private static func twoLines(_ title: String, style: TextStyle, available: Double) -> [String]? {
        let words = title.split(separator: " ").map(String.init)
        guard words.count > 1 else { return nil }
        var best: (lines: [String], widest: Double)?
        for split in 1..<words.count {
            let lines = [words[..<split].joined(separator: " "), words[split...].joined(separator: " ")]
            let widest = lines.map(style.width(of:)).max()!
            if widest <= available && widest < (best?.widest ?? .infinity) { best = (lines, widest) }
        }
        return best?.lines
    }

    /// `text` cut to fit `available`, ending in "...".
    private static func shortened(_ text: String, style: TextStyle, available: Double) -> String {
        guard style.width(of: text) > available else { return text }
        var characters = Array(text)
        while !characters.isEmpty && style.width(of: String(characters) + "...") > available { characters.removeLast() }
        return String(characters) + "..."
    }
}
