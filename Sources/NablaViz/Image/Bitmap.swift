/// How the channels of one pixel are laid out in a `Bitmap`: 8 bits per channel, interleaved.
public enum PixelFormat: Sendable, CaseIterable {
    case grey, greyAlpha, rgb, rgba

    public var channelCount: Int {
        switch self {
        case .grey: 1
        case .greyAlpha: 2
        case .rgb: 3
        case .rgba: 4
        }
    }
}

/// Raw 8-bit pixels in one of the four formats PNG stores without a palette: what `PNG.encode` writes
/// and `PNG.decode` returns, byte for byte. Draw on a `Canvas`; convert with `Canvas(bitmap:)` and
/// `Canvas.bitmap`.
///
/// ```swift
/// let gradient = Bitmap(width: 256, height: 1, format: .grey, bytes: (0..<256).map(UInt8.init))
/// try PNG.write(gradient, to: URL(fileURLWithPath: "gradient.png"))
/// ```
public struct Bitmap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let format: PixelFormat
    /// Rows top to bottom, each `width × format.channelCount` bytes.
    public var bytes: [UInt8]

    public init(width: Int, height: Int, format: PixelFormat, bytes: [UInt8]) {
        precondition(width >= 0 && height >= 0, "Bitmap: negative size \(width)×\(height)")
        precondition(bytes.count == width * height * format.channelCount,
                     "Bitmap: \(bytes.count) bytes do not fill \(width)×\(height) pixels of \(format.channelCount) channels")
        self.width = width
        self.height = height
        self.format = format
        self.bytes = bytes
    }

    public var bytesPerRow: Int { width * format.channelCount }
}
