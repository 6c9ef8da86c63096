import Foundation
import NablaData

/// An animated PNG (APNG): frames of equal size shown one after another, for training animations in
/// reports (a decision boundary moving, samples improving, an optimiser's path growing).
///
/// The file is an ordinary PNG whose default image is the first frame, so viewers without APNG
/// support (and `PNG.read`) show that frame; browsers play the animation. Every frame is stored whole
/// (no delta regions) and replaces the previous one. Frames are filtered and deflated one at a time,
/// so encoding holds the compressed file and one frame's scanlines, not a second copy of every frame.
///
/// `AnimatedPNG.Encoder` builds the same file one frame at a time, for animations too long to keep
/// every frame as a canvas.
///
/// Layout, per the APNG specification: signature, IHDR, acTL (frame count, loop count), then for the
/// first frame fcTL + IDAT and for each later frame fcTL + fdAT, then IEND. fcTL and fdAT chunks share
/// one sequence counter starting at 0.
///
/// ```swift
/// let frames: [Canvas] = (0..<20).map { step in
///     var canvas = Canvas(width: 64, height: 64)
///     canvas.fillCircle(center: Point(x: 3 * Double(step) + 4, y: 32), radius: 4, color: .red)
///     return canvas
/// }
/// try AnimatedPNG(frames: frames, delay: 0.1, loops: 0).write(to: URL(fileURLWithPath: "dot.png"))
/// ```
public struct AnimatedPNG {
    public var frames: [Canvas]
    /// How long each frame shows, in seconds (one entry per frame).
    public var delays: [Double]
    /// How many times the animation plays; 0 repeats it forever.
    public var loops: Int
    /// zlib's level, 0–9.
    public var compressionLevel = 6

    /// An animation showing every frame for `delay` seconds.
    public init(frames: [Canvas], delay: Double = 0.1, loops: Int = 0) {
        self.init(frames: frames, delays: [Double](repeating: delay, count: frames.count), loops: loops)
    }

    /// An animation showing frame `i` for `delays[i]` seconds.
    public init(frames: [Canvas], delays: [Double], loops: Int = 0) {
        precondition(delays.count == frames.count, "AnimatedPNG: \(delays.count) delays for \(frames.count) frames")
        self.frames = frames
        self.delays = delays
        self.loops = loops
    }

    /// The file's bytes.
    public func encode() throws -> [UInt8] {
        guard let first = frames.first else {
            throw PNGError(source: "animated PNG encoder", problem: "an animation needs at least one frame")
        }
        guard delays.count == frames.count else {
            throw PNGError(source: "animated PNG encoder", problem: "\(delays.count) delays for \(frames.count) frames; give one per frame")
        }
        // One colour type for the whole file: RGB unless some frame has transparency.
        var encoder = try Encoder(width: first.width, height: first.height, transparent: !frames.allSatisfy(isOpaque),
                                  loops: loops, compressionLevel: compressionLevel)
        for (frame, delay) in zip(frames, delays) { try encoder.append(frame, delay: delay) }
        return try encoder.finish()
    }

    /// The file as `Data` (for embedding in HTML as a data URI, say).
    public func data() throws -> Data { Data(try encode()) }

    /// Writes the file at `url`, atomically.
    public func write(to url: URL) throws { try writeFileAtomically(try encode(), to: url.path) }

    /// `seconds` as APNG's 16-bit numerator / denominator: milliseconds reduced by their common factor
    /// (0.1 s → 1/10), or whole seconds when the milliseconds do not fit (capped at 65535 s).
    static func delayFraction(seconds: Double) -> (numerator: UInt16, denominator: UInt16) {
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds <= Double(UInt16.max) else { return (UInt16(min(seconds.rounded(), Double(UInt16.max))), 1) }
        var numerator = Int(milliseconds), denominator = 1000
        var a = numerator, b = denominator
        while b != 0 { (a, b) = (b, a % b) }
        if a > 1 { numerator /= a; denominator /= a }
        return (UInt16(numerator), UInt16(denominator))
    }
}

private func isOpaque(_ canvas: Canvas) -> Bool {
    canvas.pixels.withUnsafeBufferPointer { pixels in
        stride(from: 3, to: pixels.count, by: 4).allSatisfy { pixels[$0] == 255 }
    }
}

extension AnimatedPNG {
    /// Builds an animated PNG frame by frame: each frame is filtered and deflated as it arrives, so a
    /// long animation (an optimiser's path over hundreds of steps) never holds all its canvases.
    ///
    /// ```swift
    /// var encoder = try AnimatedPNG.Encoder(width: 640, height: 480)
    /// for step in 0..<200 { try encoder.append(plot(at: step).rendered(), delay: 0.05) }
    /// try writeFileAtomically(try encoder.finish(), to: "path.png")
    /// ```
    public struct Encoder {
        public let width: Int
        public let height: Int
        /// RGBA when frames may be transparent, else RGB (a quarter smaller before deflating).
        public let format: PixelFormat
        public var compressionLevel: Int
        public private(set) var frameCount = 0
        private var file: [UInt8]
        private var sequenceNumber: UInt32 = 0
        private static let source = "animated PNG encoder"
        /// Where the acTL chunk starts: after the signature and the 25-byte IHDR chunk.
        private static let animationControlOffset = 8 + 25

        /// An encoder for frames of `width` × `height`; `transparent` allows frames with transparency
        /// (an opaque-only file is RGB). `loops` 0 repeats forever.
        public init(width: Int, height: Int, transparent: Bool = false, loops: Int = 0, compressionLevel: Int = 6) throws {
            guard loops >= 0, loops <= Int(UInt32.max) else {
                throw PNGError(source: Encoder.source, problem: "loop count \(loops) must be 0 (forever) … \(UInt32.max)")
            }
            self.width = width
            self.height = height
            self.format = transparent ? .rgba : .rgb
            self.compressionLevel = compressionLevel
            file = PNG.signature
            PNG.appendChunk("IHDR", try PNG.header(width: width, height: height, format: format, source: Encoder.source), to: &file)
            // The frame count is filled in by `finish`.
            PNG.appendChunk("acTL", bigEndian(0) + bigEndian(UInt32(loops)), to: &file)
        }

        /// Adds `frame`, shown for `delay` seconds.
        public mutating func append(_ frame: Canvas, delay: Double) throws {
            func fail(_ problem: String) -> PNGError { PNGError(source: Encoder.source, problem: problem) }
            guard frame.width == width, frame.height == height else {
                throw fail("frame \(frameCount) is \(frame.width)×\(frame.height) but the animation is \(width)×\(height); all frames must have one size")
            }
            guard delay >= 0, delay.isFinite else { throw fail("frame \(frameCount) has delay \(delay) s; delays must be finite and ≥ 0") }
            guard sequenceNumber < UInt32.max - 1 else { throw fail("more frames than APNG's sequence numbers can count") }
            if format == .rgb && !isOpaque(frame) {
                throw fail("frame \(frameCount) has transparent pixels but the encoder was made for opaque frames; pass transparent: true")
            }
            let bitmap = format == .rgba ? Bitmap(width: width, height: height, format: .rgba, bytes: frame.pixels) : frame.bitmap
            let scanlines = try PNG.deflatedScanlines(of: bitmap, compressionLevel: compressionLevel, source: Encoder.source)
            PNG.appendChunk("fcTL", frameControl(delay: delay), to: &file)
            sequenceNumber += 1
            if frameCount == 0 {
                // The first frame is also the default image: plain PNG readers show it.
                PNG.appendChunk("IDAT", scanlines, to: &file)
            } else {
                PNG.appendChunk("fdAT", bigEndian(sequenceNumber) + scanlines, to: &file)
                sequenceNumber += 1
            }
            frameCount += 1
        }

        /// The finished file: the frame count written into acTL and the closing IEND chunk added.
        public func finish() throws -> [UInt8] {
            guard frameCount > 0 else { throw PNGError(source: Encoder.source, problem: "an animation needs at least one frame") }
            var result = file
            let start = Encoder.animationControlOffset
            result.replaceSubrange((start + 8)..<(start + 12), with: bigEndian(UInt32(frameCount)))
            result.replaceSubrange((start + 16)..<(start + 20), with: bigEndian(Zlib.crc32(result[(start + 4)..<(start + 16)])))
            PNG.appendChunk("IEND", [], to: &result)
            return result
        }

        /// An fcTL chunk's data: a whole-image frame at (0, 0), shown for `delay` seconds, replacing
        /// (not blending with) the previous frame and left in place afterwards.
        private func frameControl(delay: Double) -> [UInt8] {
            let (numerator, denominator) = AnimatedPNG.delayFraction(seconds: delay)
            var data = bigEndian(sequenceNumber) + bigEndian(UInt32(width)) + bigEndian(UInt32(height))
            data += bigEndian(0) + bigEndian(0)   // x and y offsets
            data += [UInt8(numerator >> 8), UInt8(numerator & 0xFF), UInt8(denominator >> 8), UInt8(denominator & 0xFF)]
            data += [0, 0]   // dispose: none; blend: source (transparent pixels replace, they do not show the last frame through)
            return data
        }
    }
}
