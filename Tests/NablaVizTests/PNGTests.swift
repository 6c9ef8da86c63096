import Foundation
import Testing
@testable import NablaViz

// The PNG writer and reader: exact round trips in every format the writer produces, every filter type
// and the other standard colour types on the reading side, and corrupt input that must throw (never trap).

/// A deterministic pseudo-random byte stream (xorshift), so failures repeat.
struct ByteStream {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// PNG bytes built by hand from raw scanlines, each with the given filter type: lets the tests feed the
/// reader what other encoders write (palettes, 16-bit, every filter) without a second PNG library.
func handMadePNG(width: Int, height: Int, bitDepth: UInt8, colourType: UInt8, rows: [[UInt8]], filters: [UInt8],
                 bytesPerPixel: Int, extraChunks: [(String, [UInt8])] = []) throws -> [UInt8] {
    var filtered: [UInt8] = []
    var previous = [UInt8](repeating: 0, count: rows[0].count)
    for (row, filter) in zip(rows, filters) {
        filtered.append(filter)
        for index in row.indices {
            let left = index >= bytesPerPixel ? row[index - bytesPerPixel] : 0
            let upLeft = index >= bytesPerPixel ? previous[index - bytesPerPixel] : 0
            filtered.append(row[index] &- predictor(filter, left: left, up: previous[index], upLeft: upLeft))
        }
        previous = row
    }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(Zlib.crc32(body[...]))
    }
    var file = PNG.signature
    file += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colourType, 0, 0, 0])
    for (type, data) in extraChunks { file += chunk(type, data) }
    file += chunk("IDAT", try Zlib.compress(filtered))
    file += chunk("IEND", [])
    return file
}

@Suite struct PNGTests {
    @Test(arguments: PixelFormat.allCases)
    func roundTripKeepsEveryPixel(format: PixelFormat) throws {
        var random = ByteStream(state: 0x9E3779B97F4A7C15 &+ UInt64(format.channelCount))
        for (width, height) in [(1, 1), (3, 5), (17, 9), (64, 1), (1, 33), (31, 30)] {
            // Half noise, half smooth gradient: exercises both the filters' worst and best cases.
            let bytes = (0..<(width * height * format.channelCount)).map { index in
                index % 2 == 0 ? random.byte() : UInt8(truncatingIfNeeded: index / 3)
            }
            let bitmap = Bitmap(width: width, height: height, format: format, bytes: bytes)
            let decoded = try PNG.decode(try PNG.encode(bitmap))
            #expect(decoded == bitmap, "\(format) \(width)×\(height)")
        }
    }

    @Test func canvasRoundTripThroughAFile() throws {
        var canvas = Canvas(width: 41, height: 23)
        canvas.fillCircle(center: Point(x: 20, y: 11), radius: 9, color: Color.red.withAlpha(0.6))
        canvas.drawText("Ab9", at: Point(x: 2, y: 2), style: TextStyle(verticalAlignment: .top))
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("canvas.png")
        try canvas.writePNG(to: url)
        #expect(Canvas(bitmap: try PNG.read(from: url)) == canvas)
        var transparent = Canvas(width: 5, height: 4, background: .clear)
        transparent[2, 1] = Color(red: 10, green: 20, blue: 30, alpha: 40)
        #expect(transparent.bitmap.format == .rgba)
        #expect(Canvas(bitmap: try PNG.decode(try PNG.encode(transparent.bitmap))) == transparent)
    }

    @Test func readerUndoesEveryFilterType() throws {
        var random = ByteStream(state: 42)
        let width = 7, height = 10, channels = 3
        let rows = (0..<height).map { _ in (0..<(width * channels)).map { _ in random.byte() } }
        let filters: [UInt8] = [0, 1, 2, 3, 4, 4, 3, 2, 1, 0]
        let file = try handMadePNG(width: width, height: height, bitDepth: 8, colourType: 2, rows: rows, filters: filters, bytesPerPixel: 3)
        let decoded = try PNG.decode(file)
        #expect(decoded == Bitmap(width: width, height: height, format: .rgb, bytes: Array(rows.joined())))
    }

    @Test func readerTakesPalettesSixteenBitsAndSmallDepths() throws {
        // Palette of three colours, the second half transparent; 4 bits per index, two pixels per byte.
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255]
        let indexed = try handMadePNG(width: 3, height: 1, bitDepth: 4, colourType: 3, rows: [[0x01, 0x20]], filters: [0],
                                      bytesPerPixel: 1, extraChunks: [("PLTE", palette), ("tRNS", [255, 128])])
        #expect(try PNG.decode(indexed) == Bitmap(width: 3, height: 1, format: .rgba,
                                                  bytes: [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 255]))
        // 16-bit grey keeps the high byte.
        let deep = try handMadePNG(width: 2, height: 1, bitDepth: 16, colourType: 0, rows: [[0x12, 0x34, 0xAB, 0xCD]], filters: [1],
                                   bytesPerPixel: 2)
        #expect(try PNG.decode(deep) == Bitmap(width: 2, height: 1, format: .grey, bytes: [0x12, 0xAB]))
        // 1-bit grey stretches to 0 and 255.
        let binary = try handMadePNG(width: 10, height: 1, bitDepth: 1, colourType: 0, rows: [[0b1010_0000, 0b0100_0000]], filters: [0],
                                     bytesPerPixel: 1)
        #expect(try PNG.decode(binary).bytes == [255, 0, 255, 0, 0, 0, 0, 0, 0, 255])
        // Grey with alpha at 8 bits.
        let greyAlpha = try handMadePNG(width: 2, height: 2, bitDepth: 8, colourType: 4, rows: [[1, 2, 3, 4], [5, 6, 7, 8]],
                                        filters: [2, 4], bytesPerPixel: 2)
        #expect(try PNG.decode(greyAlpha) == Bitmap(width: 2, height: 2, format: .greyAlpha, bytes: [1, 2, 3, 4, 5, 6, 7, 8]))
    }

    @Test func clearErrorsForBrokenFiles() throws {
        let good = try PNG.encode(Bitmap(width: 4, height: 4, format: .grey, bytes: [UInt8](repeating: 7, count: 16)))
        func problem(_ bytes: [UInt8]) -> String {
            do {
                _ = try PNG.decode(bytes, source: "test.png")
                return "decoded"
            } catch let error as PNGError {
                #expect(error.description.hasPrefix("test.png: "))
                return error.problem
            } catch {
                return "wrong error type \(error)"
            }
        }
        #expect(problem([]).contains("not a PNG"))
        #expect(problem(Array("GIF89a and more bytes".utf8)).contains("signature"))
        #expect(problem(Array(good.prefix(30))).contains("truncated"))
        #expect(problem(Array(good.dropLast(12))).contains("IEND"))
        var badCRC = good
        badCRC[20] ^= 0xFF   // inside IHDR's data
        #expect(problem(badCRC).contains("CRC"))
        let interlaced = try handMadePNG(width: 1, height: 1, bitDepth: 8, colourType: 0, rows: [[0]], filters: [0], bytesPerPixel: 1)
        var patched = interlaced
        patched[28] = 1   // IHDR interlace byte
        let body = Array(patched[12..<29])
        patched.replaceSubrange(29..<33, with: bigEndian(Zlib.crc32(body[...])))
        #expect(problem(patched).contains("interlaced"))
        let wrongFilter = try handMadePNG(width: 1, height: 1, bitDepth: 8, colourType: 0, rows: [[0]], filters: [5], bytesPerPixel: 1)
        #expect(problem(wrongFilter).contains("filter type 5"))
        #expect(throws: PNGError.self) { try PNG.read(from: URL(fileURLWithPath: "/nonexistent/file.png")) }
    }

    @Test func randomCorruptionThrowsOrDecodesButNeverTraps() throws {
        var canvas = Canvas(width: 23, height: 17)
        canvas.strokeLine(from: Point(x: 0, y: 0), to: Point(x: 23, y: 17), color: .red, thickness: 3)
        let good = try PNG.encode(canvas.bitmap)
        var random = ByteStream(state: 7)
        var thrown = 0, decoded = 0
        for trial in 0..<400 {
            var bytes = good
            switch trial % 4 {
            case 0: bytes = Array(bytes.prefix(random.below(bytes.count)))                      // truncation
            case 1: for _ in 0..<(1 + random.below(4)) { bytes[random.below(bytes.count)] = random.byte() }  // byte noise
            case 2: bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8))              // one flipped bit
            default:                                                                           // garbage inside a chunk, CRC fixed up
                let start = 8 + random.below(bytes.count - 20)
                bytes[start] = random.byte()
                bytes = fixCRCs(bytes)
            }
            do {
                let bitmap = try PNG.decode(bytes)
                #expect(bitmap.bytes.count == bitmap.width * bitmap.height * bitmap.format.channelCount)
                decoded += 1
            } catch is PNGError {
                thrown += 1
            }
        }
        #expect(thrown + decoded == 400)
        #expect(thrown > 200)
    }
}

/// Recomputes every chunk's CRC, so corruption reaches the parts of the reader behind the CRC check.
private func fixCRCs(_ file: [UInt8]) -> [UInt8] {
    var bytes = file
    var position = 8
    while bytes.count - position >= 12 {
        let length = Int(UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16 | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3]))
        guard length <= bytes.count - position - 12 else { break }
        let crc = bigEndian(Zlib.crc32(bytes[(position + 4)..<(position + 8 + length)]))
        bytes.replaceSubrange((position + 8 + length)..<(position + 12 + length), with: crc)
        position += 12 + length
    }
    return bytes
}

/// A fresh empty folder under the system's temporary folder.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-viz-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
