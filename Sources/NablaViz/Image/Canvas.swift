/// An in-memory RGBA image to draw on: the raster target of every plot, grid and heat map.
///
/// Pixels are 8-bit, not premultiplied, rows top to bottom. Drawing blends with "source over", using
/// each shape's coverage of a pixel as extra opacity, which is what anti-aliases edges.
///
/// ```swift
/// var canvas = Canvas(width: 120, height: 40)
/// canvas.strokeLine(from: Point(x: 5, y: 35), to: Point(x: 115, y: 5), color: .red, thickness: 2)
/// canvas.drawText("loss", at: Point(x: 5, y: 5), style: TextStyle(verticalAlignment: .top))
/// try canvas.writePNG(to: URL(fileURLWithPath: "line.png"))
/// ```
public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `width × height × 4` bytes: red, green, blue, alpha per pixel.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width >= 0 && height >= 0, "Canvas: negative size \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 4)
        let pattern = [background.red, background.green, background.blue, background.alpha]
        // Through a raw pointer: array subscripts are not inlined in debug builds, and tests run those.
        pixels.withUnsafeMutableBufferPointer { buffer in
            for index in 0..<buffer.count { buffer[index] = pattern[index & 3] }
        }
    }

    /// A canvas holding `bitmap`'s pixels, whatever its format (grey spreads to all three colours).
    public init(bitmap: Bitmap) {
        width = bitmap.width
        height = bitmap.height
        if bitmap.format == .rgba {
            pixels = bitmap.bytes
            return
        }
        let count = width * height
        let channels = bitmap.format.channelCount
        var result = [UInt8](repeating: 255, count: count * 4)
        result.withUnsafeMutableBufferPointer { target in
            bitmap.bytes.withUnsafeBufferPointer { source in
                for index in 0..<count {
                    let from = index * channels, to = index * 4
                    switch bitmap.format {
                    case .rgb:
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                    case .grey, .greyAlpha:
                        target[to] = source[from]
                        target[to + 1] = source[from]
                        target[to + 2] = source[from]
                        if channels == 2 { target[to + 3] = source[from + 1] }
                    case .rgba:
                        break
                    }
                }
            }
        }
        pixels = result
    }

    /// The pixels as an RGBA bitmap, or RGB when every pixel is opaque (a third smaller as a PNG).
    public var bitmap: Bitmap {
        let count = width * height
        return pixels.withUnsafeBufferPointer { source in
            var isOpaque = true
            for index in 0..<count where source[index * 4 + 3] != 255 {
                isOpaque = false
                break
            }
            guard isOpaque else { return Bitmap(width: width, height: height, format: .rgba, bytes: pixels) }
            var rgb = [UInt8](repeating: 0, count: count * 3)
            rgb.withUnsafeMutableBufferPointer { target in
                for index in 0..<count {
                    target[index * 3] = source[index * 4]
                    target[index * 3 + 1] = source[index * 4 + 1]
                    target[index * 3 + 2] = source[index * 4 + 2]
                }
            }
            return Bitmap(width: width, height: height, format: .rgb, bytes: rgb)
        }
    }

    /// The colour at column `x`, row `y` (both must be inside the canvas).
    public subscript(x: Int, y: Int) -> Color {
        get {
            precondition(contains(x: x, y: y), "Canvas: pixel (\(x), \(y)) is outside \(width)×\(height)")
            let index = (y * width + x) * 4
            return Color(red: pixels[index], green: pixels[index + 1], blue: pixels[index + 2], alpha: pixels[index + 3])
        }
        set {
            precondition(contains(x: x, y: y), "Canvas: pixel (\(x), \(y)) is outside \(width)×\(height)")
            let index = (y * width + x) * 4
            pixels[index] = newValue.red
            pixels[index + 1] = newValue.green
            pixels[index + 2] = newValue.blue
            pixels[index + 3] = newValue.alpha
        }
    }

    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Blends `color` over pixel (`x`, `y`) with extra opacity `coverage` in [0, 1]; points outside the
    /// canvas are ignored, so shapes may run over the edges.
    public mutating func blend(_ color: Color, x: Int, y: Int, coverage: Double = 1) {
        guard contains(x: x, y: y), coverage > 0 else { return }
        let index = (y * width + x) * 4
        pixels.withUnsafeMutableBufferPointer { buffer in
            blendPixel(buffer.baseAddress! + index, color, coverage: coverage)
        }
    }

    /// Runs `body` with a writer that blends straight into the pixel memory: the drawing loops go
    /// through it, one closure per shape instead of one array access per channel.
    mutating func withPixelWriter<Result>(_ body: (PixelWriter) -> Result) -> Result {
        let (width, height) = (self.width, self.height)
        return pixels.withUnsafeMutableBufferPointer { buffer in
            body(PixelWriter(base: buffer.baseAddress!, width: width, height: height))
        }
    }

    /// Each pixel repeated `factor` × `factor` times: makes 28×28 digits big enough to see.
    public func upscaled(by factor: Int) -> Canvas {
        precondition(factor >= 1, "Canvas.upscaled: factor \(factor) must be at least 1")
        if factor == 1 { return self }
        var result = Canvas(width: width * factor, height: height * factor)
        let (sourceWidth, targetWidth, targetHeight) = (width, result.width, result.height)
        pixels.withUnsafeBufferPointer { source in
            result.pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<targetHeight {
                    let sourceRow = (y / factor) * sourceWidth
                    for x in 0..<targetWidth {
                        let from = (sourceRow + x / factor) * 4, to = (y * targetWidth + x) * 4
                        for channel in 0..<4 { target[to + channel] = source[from + channel] }
                    }
                }
            }
        }
        return result
    }

    /// Blends `image` over this canvas with its top-left corner at (`x`, `y`), scaled by `opacity`.
    public mutating func composite(_ image: Canvas, x: Int, y: Int, opacity: Double = 1) {
        for row in 0..<image.height {
            for column in 0..<image.width {
                blend(image[column, row], x: x + column, y: y + row, coverage: opacity)
            }
        }
    }
}

/// "Source over" for one non-premultiplied RGBA pixel at `pixel`, the source's opacity scaled by
/// `coverage`. The common case (opaque colour, full coverage) is a plain copy.
@inline(__always)
func blendPixel(_ pixel: UnsafeMutablePointer<UInt8>, _ color: Color, coverage: Double) {
    if coverage >= 1 && color.alpha == 255 {
        pixel[0] = color.red
        pixel[1] = color.green
        pixel[2] = color.blue
        pixel[3] = 255
        return
    }
    let sourceAlpha = Double(color.alpha) / 255 * min(coverage, 1)
    guard sourceAlpha > 0 else { return }
    let destinationAlpha = Double(pixel[3]) / 255
    let outputAlpha = sourceAlpha + destinationAlpha * (1 - sourceAlpha)
    // Weigh each colour by its share of the result's opacity.
    let sourceWeight = sourceAlpha / outputAlpha
    let destinationWeight = destinationAlpha * (1 - sourceAlpha) / outputAlpha
    pixel[0] = UInt8(min(255, (Double(color.red) * sourceWeight + Double(pixel[0]) * destinationWeight).rounded()))
    pixel[1] = UInt8(min(255, (Double(color.green) * sourceWeight + Double(pixel[1]) * destinationWeight).rounded()))
    pixel[2] = UInt8(min(255, (Double(color.blue) * sourceWeight + Double(pixel[2]) * destinationWeight).rounded()))
    pixel[3] = UInt8(min(255, (outputAlpha * 255).rounded()))
}

/// Blends into a canvas's pixel memory during one drawing operation (see `Canvas.withPixelWriter`).
struct PixelWriter {
    let base: UnsafeMutablePointer<UInt8>
    let width: Int
    let height: Int

    @inline(__always)
    func blend(_ color: Color, x: Int, y: Int, coverage: Double = 1) {
        guard x >= 0, y >= 0, x < width, y < height, coverage > 0 else { return }
        blendPixel(base + (y * width + x) * 4, color, coverage: coverage)
    }

    /// The colour at (`x`, `y`), which must be inside.
    @inline(__always)
    func color(x: Int, y: Int) -> Color {
        let pixel = base + (y * width + x) * 4
        return Color(red: pixel[0], green: pixel[1], blue: pixel[2], alpha: pixel[3])
    }
}
