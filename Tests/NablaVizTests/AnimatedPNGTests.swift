import Foundation
import Testing
@testable import NablaViz

// Animated PNG: the default image is the first frame for any PNG reader, the chunks follow the APNG
// layout (acTL count, fcTL/fdAT sequence numbers from 0, valid CRCs), and every frame's data decodes
// to that frame's pixels.

/// One chunk of a PNG file, with whether its stored CRC matches.
private struct Chunk {
    let type: String
    let data: [UInt8]
    let crcMatches: Bool
}

private func chunks(of file: [UInt8]) -> [Chunk] {
    var result: [Chunk] = []
    var position = 8
    while position + 12 <= file.count {
        let length = Int(uint32(file, position))
        let body = file[(position + 4)..<(position + 8 + length)]
        let crc = uint32(file, position + 8 + length)
        result.append(Chunk(type: String(decoding: body.prefix(4), as: UTF8.self), data: Array(body.dropFirst(4)),
                            crcMatches: Zlib.crc32(body) == crc))
        position += 12 + length
    }
    return result
}

/// The big-endian 32-bit number at `offset`.
private func uint32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
}

/// `count` frames of 7×5 pixels, each a different colour with a moving dot, so no two are alike.
private func movingDot(count: Int, alpha: UInt8 = 255) -> [Canvas] {
    (0..<count).map { index in
        var canvas = Canvas(width: 7, height: 5, background: Color(red: UInt8(40 * index), green: 100, blue: 200, alpha: alpha))
        canvas[index % 7, 2] = .black
        return canvas
    }
}

@Suite struct AnimatedPNGTests {
    @Test func defaultImageIsTheFirstFrame() throws {
        let frames = movingDot(count: 4)
        let bytes = try AnimatedPNG(frames: frames, delay: 0.1).encode()
        #expect(try PNG.decode(bytes) == frames[0].bitmap)
    }

    @Test func chunksFollowTheAPNGLayout() throws {
        let frames = movingDot(count: 3)
        let bytes = try AnimatedPNG(frames: frames, delay: 0.25, loops: 2).encode()
        let parsed = chunks(of: bytes)
        #expect(parsed.map(\.type) == ["IHDR", "acTL", "fcTL", "IDAT", "fcTL", "fdAT", "fcTL", "fdAT", "IEND"])
        #expect(parsed.allSatisfy { $0.crcMatches })
        let control = parsed.first { $0.type == "acTL" }!.data
        #expect(uint32(control, 0) == 3 && uint32(control, 4) == 2)
        // fcTL and fdAT share one counter: 0, 1, 2, … in file order.
        let sequence = parsed.filter { $0.type == "fcTL" || $0.type == "fdAT" }.map { uint32($0.data, 0) }
        #expect(sequence == Array(0..<5))
        for frameControl in parsed.filter({ $0.type == "fcTL" }) {
            let data = frameControl.data
            #expect(data.count == 26)
            #expect(uint32(data, 4) == 7 && uint32(data, 8) == 5 && uint32(data, 12) == 0 && uint32(data, 16) == 0)
            #expect(Array(data[20..<24]) == [0, 1, 0, 4])   // 1/4 s
            #expect(Array(data[24..<26]) == [0, 0])
        }
    }

    /// Each frame's data, put behind the file's IHDR as a plain PNG, decodes to that frame.
    @Test func everyFrameDecodesToItsPixels() throws {
        for alpha: UInt8 in [255, 128] {
            let frames = movingDot(count: 5, alpha: alpha)
            let parsed = chunks(of: try AnimatedPNG(frames: frames).encode())
            let header = parsed[0]
            #expect(header.data[9] == (alpha == 255 ? 2 : 6))   // RGB, or RGBA when frames are translucent
            let frameData = parsed.filter { $0.type == "IDAT" }.map(\.data) + parsed.filter { $0.type == "fdAT" }.map { Array($0.data.dropFirst(4)) }
            #expect(frameData.count == frames.count)
            for (index, data) in frameData.enumerated() {
                var file = PNG.signature
                PNG.appendChunk("IHDR", header.data, to: &file)
                PNG.appendChunk("IDAT", data, to: &file)
                PNG.appendChunk("IEND", [], to: &file)
                #expect(Canvas(bitmap: try PNG.decode(file)) == frames[index], "frame \(index), alpha \(alpha)")
            }
        }
    }

    @Test func delaysBecomeSmallFractions() {
        #expect(AnimatedPNG.delayFraction(seconds: 0.1) == (1, 10))
        #expect(AnimatedPNG.delayFraction(seconds: 0.04) == (1, 25))
        #expect(AnimatedPNG.delayFraction(seconds: 1.5) == (3, 2))
        #expect(AnimatedPNG.delayFraction(seconds: 0) == (0, 1))
        #expect(AnimatedPNG.delayFraction(seconds: 100) == (100, 1))
        #expect(AnimatedPNG.delayFraction(seconds: 1e9) == (65535, 1))
    }

    @Test func perFrameDelaysAndWritingAFile() throws {
        let frames = movingDot(count: 2)
        let url = URL(fileURLWithPath: NSTemporaryDirectory() + "nabla-apng-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try AnimatedPNG(frames: frames, delays: [0.5, 2]).write(to: url)
        let parsed = chunks(of: [UInt8](try Data(contentsOf: url)))
        let delays = parsed.filter { $0.type == "fcTL" }.map { Array($0.data[20..<24]) }
        #expect(delays == [[0, 1, 0, 2], [0, 2, 0, 1]])
        #expect(try PNG.read(from: url) == frames[0].bitmap)
    }

    @Test func badAnimationsThrowNamingTheProblem() {
        let frames = movingDot(count: 2)
        func problem(_ animation: AnimatedPNG) -> String {
            do {
                _ = try animation.encode()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(AnimatedPNG(frames: [])).contains("at least one frame"))
        #expect(problem(AnimatedPNG(frames: frames + [Canvas(width: 3, height: 3)])).contains("frame 2 is 3×3 but the animation is 7×5"))
        #expect(problem(AnimatedPNG(frames: frames, delay: -1)).contains("delay -1.0"))
        #expect(problem(AnimatedPNG(frames: frames, delay: .nan)).contains("delay nan"))
        #expect(problem(AnimatedPNG(frames: frames, loops: -3)).contains("loop count -3"))
        #expect(problem(AnimatedPNG(frames: [Canvas(width: 0, height: 4)])).contains("empty 0×4"))
    }

    @Test func encoderStreamsTheSameFile() throws {
        let frames = movingDot(count: 4)
        var encoder = try AnimatedPNG.Encoder(width: 7, height: 5, loops: 3)
        for frame in frames { try encoder.append(frame, delay: 0.2) }
        #expect(encoder.frameCount == 4)
        #expect(try encoder.finish() == AnimatedPNG(frames: frames, delay: 0.2, loops: 3).encode())
        // finish() leaves the encoder able to take more frames: the acTL count follows.
        try encoder.append(frames[0], delay: 0.2)
        let longer = chunks(of: try encoder.finish())
        #expect(uint32(longer[1].data, 0) == 5 && longer.allSatisfy { $0.crcMatches })

        var opaque = try AnimatedPNG.Encoder(width: 7, height: 5)
        do {
            try opaque.append(movingDot(count: 1, alpha: 100)[0], delay: 0.1)
            Issue.record("a translucent frame went into an RGB file")
        } catch {
            #expect("\(error)".contains("transparent: true"))
        }
        #expect(throws: PNGError.self) { try opaque.finish() }
        #expect(throws: PNGError.self) { try AnimatedPNG.Encoder(width: 0, height: 5) }
    }

    /// With NABLA_VIZ_GALLERY set, saves an animation of an optimiser's path growing on Rosenbrock's
    /// surface and each of its frames as a plain PNG, so another decoder (Pillow, a browser) can be
    /// checked against them by hand.
    @Test func galleryAnimation() throws {
        guard let gallery = ProcessInfo.processInfo.environment["NABLA_VIZ_GALLERY"].map({ URL(fileURLWithPath: $0) }) else { return }
        try FileManager.default.createDirectory(at: gallery, withIntermediateDirectories: true)
        let full = rosenbrockExample()
        let frames: [Canvas] = (1...8).map { step in
            var plot = full
            plot.width = 400
            plot.height = 300
            plot.trajectories = full.trajectories.map { path in
                let count = max(1, path.x.count * step / 8)
                return .init(name: path.name, x: Array(path.x.prefix(count)), y: Array(path.y.prefix(count)))
            }
            return plot.rendered()
        }
        try AnimatedPNG(frames: frames, delay: 0.4).write(to: gallery.appendingPathComponent("animation.png"))
        for (index, frame) in frames.enumerated() { try frame.writePNG(to: gallery.appendingPathComponent("animation-frame-\(index).png")) }
        // Translucent frames: each must replace the last, not blend over it.
        let translucent = (0..<3).map { index in
            var canvas = Canvas(width: 30, height: 20, background: Color(red: 200, green: UInt8(60 * index), blue: 40, alpha: UInt8(60 + 80 * index)))
            canvas.fillCircle(center: Point(x: 5 + 10 * Double(index), y: 10), radius: 4, color: .clear)
            return canvas
        }
        try AnimatedPNG(frames: translucent, delays: [0.1, 0.2, 0.3], loops: 2).write(to: gallery.appendingPathComponent("translucent.png"))
        for (index, frame) in translucent.enumerated() { try frame.writePNG(to: gallery.appendingPathComponent("translucent-frame-\(index).png")) }
    }
}
