/// Colours for plots: a qualitative palette for categories (series, classes) and perceptual colormaps
/// for values (heat maps, saliency).
public enum Palette {
    /// Ten distinct colours for categories, in the order matplotlib and Vega use (the "Tableau 10"
    /// set): readers recognise blue-orange-green as first, second, third.
    public static let categorical: [Color] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
    ].map(Color.init(hex:))

    /// Twenty colours for lines: the ten above, then their light partners from "Tableau 20". A chart
    /// with up to ten lines looks as before; one with more (the optimizers lab compares sixteen) gets a
    /// distinct colour per line instead of repeating the first ones.
    public static let lines: [Color] = categorical + [
        0xAEC7E8, 0xFFBB78, 0x98DF8A, 0xFF9896, 0xC5B0D5, 0xC49C94, 0xF7B6D2, 0xC7C7C7, 0xDBDB8D, 0x9EDAE5,
    ].map(Color.init(hex:))

    /// The colour for line `index` of a line chart; past twenty the palette repeats.
    public static func color(forLine index: Int) -> Color {
        lines[((index % lines.count) + lines.count) % lines.count]
    }

    /// The colour for category `index`; past ten the palette repeats (use markers to tell them apart).
    public static func color(forCategory index: Int) -> Color {
        categorical[((index % categorical.count) + categorical.count) % categorical.count]
    }
}

/// Maps a number in [0, 1] to a colour by interpolating a short table of stops.
///
/// Viridis and inferno are perceptually uniform (equal steps in value look like equal steps in colour)
/// and stay readable in grey and for most colour-blind readers, unlike the rainbow "jet".
///
/// ```swift
/// Colormap.viridis.color(at: 0)     // dark purple
/// Colormap.viridis.color(at: 1)     // yellow
/// ```
public struct Colormap: Sendable {
    public let name: String
    let stops: [Color]

    public init(name: String, stops: [Color]) {
        precondition(stops.count >= 2, "Colormap \(name): needs at least two stops")
        self.name = name
        self.stops = stops
    }

    /// The colour at `value` in [0, 1]; values outside are clamped and NaN maps to the lowest colour.
    public func color(at value: Double) -> Color {
        let clamped = value.isNaN ? 0 : max(0, min(1, value))
        let position = clamped * Double(stops.count - 1)
        let lower = min(Int(position), stops.count - 2)
        return stops[lower].interpolated(to: stops[lower + 1], fraction: position - Double(lower))
    }

    /// Nine samples of matplotlib's viridis at 0, 1/8, …, 1; linear interpolation between them stays
    /// within a few levels of the full 256-entry table.
    public static let viridis = Colormap(name: "viridis", stops: [
        0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30, 0xFDE725,
    ].map(Color.init(hex:)))

    /// Nine samples of matplotlib's inferno (black through red to pale yellow): hot spots stand out,
    /// which suits saliency maps laid over images.
    public static let inferno = Colormap(name: "inferno", stops: [
        0x000004, 0x1F0C48, 0x550F6D, 0x88226A, 0xBA3655, 0xE35933, 0xF98C0A, 0xF9C932, 0xFCFFA4,
    ].map(Color.init(hex:)))

    /// White to dark blue: for counts, where zero should look empty (confusion matrices).
    public static let blues = Colormap(name: "blues", stops: [
        0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B,
    ].map(Color.init(hex:)))
}
