/// An 8-bit RGBA colour, not premultiplied: what PNG stores and what CSS and SVG name.
///
/// ```swift
/// let orange = Color(hex: 0xFF7F0E)
/// let faint = orange.withAlpha(0.3)
/// print(orange.cssHex)   // "#ff7f0e"
/// ```
public struct Color: Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public var alpha: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8 = 255) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    /// A colour from `0xRRGGBB`, opaque.
    public init(hex: UInt32) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// A colour from components in [0, 1]; values outside are clamped, so colormaps may overshoot safely.
    public init(unitRed red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.init(red: Color.byte(red), green: Color.byte(green), blue: Color.byte(blue), alpha: Color.byte(alpha))
    }

    /// A grey level in [0, 1].
    public init(grey: Double) { self.init(unitRed: grey, green: grey, blue: grey) }

    /// The same colour with opacity `opacity` in [0, 1].
    public func withAlpha(_ opacity: Double) -> Color {
        Color(red: red, green: green, blue: blue, alpha: Color.byte(opacity))
    }

    /// `#rrggbb`, for SVG and CSS; the alpha goes in a separate `opacity` attribute there.
    public var cssHex: String {
        let digits = Array("0123456789abcdef")
        var text = "#"
        for component in [red, green, blue] {
            text.append(digits[Int(component >> 4)])
            text.append(digits[Int(component & 0xF)])
        }
        return text
    }

    /// Relative luminance in [0, 1] (Rec. 709 weights on the stored values): picks black or white text
    /// that stays readable on top of this colour.
    public var luminance: Double {
        (0.2126 * Double(red) + 0.7152 * Double(green) + 0.0722 * Double(blue)) / 255
    }

    /// Black or white, whichever reads better on this colour.
    public var contrastingTextColor: Color { luminance > 0.5 ? .black : .white }

    /// The colour a fraction `t` of the way from `self` to `other` (t in [0, 1]).
    public func interpolated(to other: Color, fraction t: Double) -> Color {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { Color.byte((Double(a) + (Double(b) - Double(a)) * t) / 255) }
        return Color(red: mix(red, other.red), green: mix(green, other.green), blue: mix(blue, other.blue),
                     alpha: mix(alpha, other.alpha))
    }

    static func byte(_ value: Double) -> UInt8 {
        guard value.isFinite else { return 0 }
        return UInt8(max(0, min(255, (value * 255).rounded())))
    }

    public static let black = Color(red: 0, green: 0, blue: 0)
    public static let white = Color(red: 255, green: 255, blue: 255)
    public static let clear = Color(red: 0, green: 0, blue: 0, alpha: 0)
    /// Marks wrong predictions in captions: a red that stays readable on white.
    public static let red = Color(hex: 0xD62728)
    public static let darkGrey = Color(hex: 0x333333)
    public static let grey = Color(hex: 0x808080)
    /// Grid lines: light enough to sit behind data without competing with it.
    public static let lightGrey = Color(hex: 0xE5E5E5)
}
