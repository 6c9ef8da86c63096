import Foundation
import NablaData

/// Reading and writing PNG files: 8-bit grey, grey+alpha, RGB and RGBA, deflated through the system
/// zlib. The reader (`PNGReader.swift`) also takes palette images and other bit depths.
///
/// ```swift
/// var canvas = Canvas(width: 64, height: 64)
/// canvas.fillCircle(center: Point(x: 32, y: 32), radius: 20, color: .red)
/// try PNG.write(canvas.bitmap, to: URL(fileURLWithPath: "dot.png"))
/// let back = try PNG.read(from: URL(fileURLWithPath: "dot.png"))   // the same pixels
/// ```
public enum PNG {
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

    /// The PNG file for `bitmap`. Each row gets the filter that likely makes it smallest (the usual
    /// minimum-sum-of-absolute-differences guess, see `filterCost`), then all rows are deflated at
    /// `compressionLevel` (0–9).
    public static func encode(_ bitmap: Bitmap, compressionLevel: Int = 6) throws -> [UInt8] {
        var file = signature
        appendChunk("IHDR", try header(width: bitmap.width, height: bitmap.height, format: bitmap.format, source: "PNG encoder"), to: &file)
        appendChunk("IDAT", try deflatedScanlines(of: bitmap, compressionLevel: compressionLevel, source: "PNG encoder"), to: &file)
        appendChunk("IEND", [], to: &file)
        return file
    }

    /// The IHDR chunk's data: size, 8 bits per channel, the colour type of `format`, no interlacing.
    /// `source` names the caller in errors.
    static func header(width: Int, height: Int, format: PixelFormat, source: String) throws -> [UInt8] {
        guard width > 0, height > 0 else {
            throw PNGError(source: source, problem: "cannot store an empty \(width)×\(height) image (PNG needs at least 1×1)")
        }
        guard width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw PNGError(source: source, problem: "\(width)×\(height) is too large for PNG")
        }
        var header = [UInt8]()
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, colourType(of: format), 0, 0, 0]   // bit depth, colour type, deflate, adaptive filters, no interlace
        return header
    }

    /// `bitmap`'s rows, each with the filter that likely makes it smallest, deflated at
    /// `compressionLevel` (0–9): the payload of IDAT (and of an animation's fdAT) chunks.
    static func deflatedScanlines(of bitmap: Bitmap, compressionLevel: Int, source: String) throws -> [UInt8] {
        do {
            return try Zlib.compress(filterRows(bitmap), level: Int32(max(0, min(9, compressionLevel))))
        } catch {
            throw PNGError(source: source, problem: error.message)
        }
    }

    /// Writes `bitmap` as a PNG file at `url`, atomically (a reader never sees half a file).
    public static func write(_ bitmap: Bitmap, to url: URL, compressionLevel: Int = 6) throws {
        let bytes = try encode(bitmap, compressionLevel: compressionLevel)
        try writeFileAtomically(bytes, to: url.path)
    }

    static func colourType(of format: PixelFormat) -> UInt8 {
        switch format {
        case .grey: 0
        case .rgb: 2
        case .greyAlpha: 4
        case .rgba: 6
        }
    }

    /// Appends one chunk: length, type, data and the CRC of type and data.
    static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        file += bigEndian(UInt32(data.count))
        let start = file.count
        file += Array(type.utf8)
        file += data
        // The CRC covers the chunk type and data, not the length.
        file += bigEndian(Zlib.crc32(file[start...]))
    }

    private static func filterRows(_ bitmap: Bitmap) -> [UInt8] {
        let rowLength = bitmap.bytesPerRow
        let pixelLength = bitmap.format.channelCount
        var output = [UInt8](repeating: 0, count: (rowLength + 1) * bitmap.height)
        let zeroRow = [UInt8](repeating: 0, count: rowLength)
        // Raw pointers throughout: this loop touches every byte five times, and array subscripts are
        // not inlined in debug builds.
        bitmap.bytes.withUnsafeBufferPointer { bytes in
            zeroRow.withUnsafeBufferPointer { zero in
                output.withUnsafeMutableBufferPointer { output in
                    for row in 0..<bitmap.height {
                        let current = bytes.baseAddress! + row * rowLength
                        let previous = row == 0 ? zero.baseAddress! : current - rowLength
                        let target = output.baseAddress! + row * (rowLength + 1)
                        var bestType: UInt8 = 0
                        var bestCost = Int.max
                        for type in UInt8(0)...4 {
                            let cost = filterCost(type, current: current, previous: previous, count: rowLength, pixelLength: pixelLength)
                            if cost < bestCost {
                                bestCost = cost
                                bestType = type
                            }
                        }
                        target[0] = bestType
                        applyFilter(bestType, current: current, previous: previous, count: rowLength, pixelLength: pixelLength,
                                    into: target + 1)
                    }
                }
            }
        }
        return output
    }
}

/// The usual guess at how well a row filtered with `type` compresses: the sum of the filtered bytes
/// read as signed, over every fifth byte (5 is coprime to 1–4 channels, so every channel is sampled;
/// sampling keeps the choice cheap in debug builds and barely changes it).
func filterCost(_ type: UInt8, current: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>, count: Int, pixelLength: Int) -> Int {
    var cost = 0
    for index in stride(from: 0, to: count, by: 5) {
        let left = index >= pixelLength ? current[index - pixelLength] : 0
        let upLeft = index >= pixelLength ? previous[index - pixelLength] : 0
        let value = current[index] &- predictor(type, left: left, up: previous[index], upLeft: upLeft)
        cost += Int(value < 128 ? value : 255 - value + 1)
    }
    return cost
}

/// Writes row `current` filtered with `type` (each byte minus its prediction from the left byte, the
/// byte above, and the one above-left) to `target`. One loop per type keeps the switch out of the
/// per-byte work.
func applyFilter(_ type: UInt8, current: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>, count: Int, pixelLength: Int,
                 into target: UnsafeMutablePointer<UInt8>) {
    let head = min(pixelLength, count)
    switch type {
    case 1:
        for index in 0..<head { target[index] = current[index] }
        for index in head..<count { target[index] = current[index] &- current[index - pixelLength] }
    case 2:
        for index in 0..<count { target[index] = current[index] &- previous[index] }
    case 3:
        for index in 0..<head { target[index] = current[index] &- previous[index] / 2 }
        for index in head..<count {
            target[index] = current[index] &- UInt8((Int(current[index - pixelLength]) + Int(previous[index])) >> 1)
        }
    case 4:
        for index in 0..<head { target[index] = current[index] &- previous[index] }   // Paeth with no left is "up"
        for index in head..<count {
            target[index] = current[index] &- paeth(current[index - pixelLength], previous[index], previous[index - pixelLength])
        }
    default:
        for index in 0..<count { target[index] = current[index] }
    }
}

/// Undoes `applyFilter` in place: `row` holds the filtered bytes and becomes the original ones.
func removeFilter(_ type: UInt8, row: UnsafeMutablePointer<UInt8>, previous: UnsafePointer<UInt8>?, count: Int, pixelLength: Int) {
    let head = min(pixelLength, count)
    switch type {
    case 1:
        for index in head..<count { row[index] = row[index] &+ row[index - pixelLength] }
    case 2:
        guard let previous else { return }
        for index in 0..<count { row[index] = row[index] &+ previous[index] }
    case 3:
        guard let previous else {
            for index in head..<count { row[index] = row[index] &+ row[index - pixelLength] >> 1 }
            return
        }
        for index in 0..<head { row[index] = row[index] &+ previous[index] >> 1 }
        for index in head..<count { row[index] = row[index] &+ UInt8((Int(row[index - pixelLength]) + Int(previous[index])) >> 1) }
    case 4:
        guard let previous else {
            for index in head..<count { row[index] = row[index] &+ row[index - pixelLength] }   // Paeth with nothing above is "left"
            return
        }
        for index in 0..<head { row[index] = row[index] &+ previous[index] }
        for index in head..<count { row[index] = row[index] &+ paeth(row[index - pixelLength], previous[index], previous[index - pixelLength]) }
    default:
        break
    }
}

/// Paeth's predictor: whichever of left, up and up-left is closest to left + up − upLeft.
@inline(__always)
func paeth(_ left: UInt8, _ up: UInt8, _ upLeft: UInt8) -> UInt8 {
    let estimate = Int(left) + Int(up) - Int(upLeft)
    let distanceLeft = abs(estimate - Int(left)), distanceUp = abs(estimate - Int(up)), distanceUpLeft = abs(estimate - Int(upLeft))
    if distanceLeft <= distanceUp && distanceLeft <= distanceUpLeft { return left }
    return distanceUp <= distanceUpLeft ? up : upLeft
}

/// The value PNG filter `type` predicts for a byte from its neighbours (left, above, above-left): the
/// definition `applyFilter` and `removeFilter` unroll, used where speed does not matter (choosing a filter, tests that build PNGs by hand).
@inline(__always)
func predictor(_ type: UInt8, left: UInt8, up: UInt8, upLeft: UInt8) -> UInt8 {
    switch type {
    case 1: return left
    case 2: return up
    case 3: return UInt8((Int(left) + Int(up)) / 2)
    case 4: return paeth(left, up, upLeft)
    default: return 0
    }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}

/// A problem with a PNG file or PNG data: names the file (or "PNG data") and says what is wrong.
public struct PNGError: Error, CustomStringConvertible, Equatable {
    /// The file path, or a description of where the bytes came from.
    public let source: String
    public let problem: String

    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(source): \(problem)" }
}

extension Canvas {
    /// The canvas as a PNG file (RGB when fully opaque, else RGBA).
    public func pngData() throws -> Data { Data(try PNG.encode(bitmap)) }

    /// Writes the canvas as a PNG file at `url`, atomically.
    public func writePNG(to url: URL) throws { try PNG.write(bitmap, to: url) }
}
