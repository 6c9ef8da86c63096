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
        let source = "animated PNG encoder"
        func fail(_ problem: String) -> PNGError { PNGError(source: source, problem: problem) }
        guard let first = frames.first else { throw fail("an animation needs at least one frame") }
        guard delays.count == frames.count else { throw fail("\(delays.count) delays for \(frames.count) frames; give one per frame") }
        if let index = frames.firstIndex(where: { $0.width != first.width || $0.height != first.height }) {
            throw fail("frame \(index) is \(frames[index].width)×\(frames[index].height) but frame 0 is \(first.width)×\(first.height); all frames must have one size")
        }
        if let index = delays.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
            throw fail("frame \(index) has delay \(delays[index]) s; delays must be finite and ≥ 0")
        }
        guard loops >= 0, loops <= Int(UInt32.max) else { throw fail("loop count \(loops) must be 0 (forever) … \(UInt32.max)") }
        guard frames.count <= Int(UInt32.max) / 2 else { throw fail("\(frames.count) frames are more than APNG's sequence numbers can count") }

        // One colour type for the whole file: RGB unless some frame has transparency.
        let format: PixelFormat = frames.allSatisfy(isOpaque) ? .rgb : .rgba
        var file = PNG.signature
        PNG.appendChunk("IHDR", try PNG.header(for: bitmap(first, format), source: source), to: &file)
        PNG.appendChunk("acTL", bigEndian(UInt32(frames.count)) + bigEndian(UInt32(loops)), to: &file)
        var sequenceNumber: UInt32 = 0
        for (index, frame) in frames.enumerated() {
            PNG.appendChunk("fcTL", frameControl(sequenceNumber: sequenceNumber, width: first.width, height: first.height,
                                                 delay: delays[index]), to: &file)
            sequenceNumber += 1
            let scanlines = try PNG.deflatedScanlines(of: bitmap(frame, format), compressionLevel: compressionLevel, source: source)
            if index == 0 {
                PNG.appendChunk("IDAT", scanlines, to: &file)
            } else {
                PNG.appendChunk("fdAT", bigEndian(sequenceNumber) + scanlines, to: &file)
                sequenceNumber += 1
            }
        }
        PNG.appendChunk("IEND", [], to: &file)
        return file
    }

    /// The file as `Data` (for embedding in HTML as a data URI, say).
    public func data() throws -> Data { Data(try encode()) }

    /// Writes the file at `url`, atomically.
    public func write(to url: URL) throws { try writeFileAtomically(try encode(), to: url.path) }

    /// An fcTL chunk's data: a whole-image frame at (0, 0), shown for `delay` seconds, replacing (not
    /// blending with) the previous frame and left in place afterwards.
    private func frameControl(sequenceNumber: UInt32, width: Int, height: Int, delay: Double) -> [UInt8] {
        let (numerator, denominator) = AnimatedPNG.delayFraction(seconds: delay)
        var data = bigEndian(sequenceNumber) + bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        data += bigEndian(0) + bigEndian(0)   // x and y offsets
        data += [UInt8(numerator >> 8), UInt8(numerator & 0xFF), UInt8(denominator >> 8), UInt8(denominator & 0xFF)]
        data += [0, 0]   // dispose: none; blend: source (transparent pixels replace, they do not show the last frame through)
        return data
    }

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

    private func bitmap(_ canvas: Canvas, _ format: PixelFormat) -> Bitmap {
        format == .rgba ? Bitmap(width: canvas.width, height: canvas.height, format: .rgba, bytes: canvas.pixels) : canvas.bitmap
    }
}

private func isOpaque(_ canvas: Canvas) -> Bool {
    canvas.pixels.withUnsafeBufferPointer { pixels in
        stride(from: 3, to: pixels.count, by: 4).allSatisfy { pixels[$0] == 255 }
    }
}
