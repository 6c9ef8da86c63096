import Foundation

// The PNG reader: every standard colour type and bit depth, non-interlaced. Corrupt, truncated or
// unsupported files throw a `PNGError` that names the file and the problem; no input makes it trap
// (every length and index is checked before use, sizes are capped before anything is allocated).

extension PNG {
    /// The largest image data (after inflating) the reader accepts: a corrupt header must not make it
    /// try to allocate terabytes.
    public static let maximumDecodedBytes = 1 << 30

    /// Reads the PNG file at `url`.
    public static func read(from url: URL) throws -> Bitmap {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PNGError(source: url.path, problem: "cannot read the file (\(error.localizedDescription))")
        }
        return try decode([UInt8](data), source: url.path)
    }

    /// Decodes a PNG file's bytes. Grey, grey+alpha, RGB and RGBA come back in that format with 8 bits
    /// per channel (16-bit samples keep their high byte; 1-, 2- and 4-bit grey is stretched to 0–255);
    /// palette images come back as RGB, or RGBA when they carry transparency.
    ///
    /// - Parameter source: names the bytes in error messages (a file path, say).
    public static func decode(_ bytes: [UInt8], source: String = "PNG data") throws -> Bitmap {
        func fail(_ problem: String) -> PNGError { PNGError(source: source, problem: problem) }

        guard bytes.count >= signature.count else { throw fail("not a PNG file (only \(bytes.count) bytes, too short for the signature)") }
        guard Array(bytes[0..<8]) == signature else { throw fail("not a PNG file (the 8-byte PNG signature is missing)") }

        var header: Header?
        var palette: [UInt8] = []
        var transparency: [UInt8] = []
        var compressed: [UInt8] = []
        var sawImageData = false
        var sawEnd = false
        var position = 8
        while position < bytes.count {
            guard bytes.count - position >= 12 else { throw fail("truncated: a chunk starts at byte \(position) but the file ends") }
            let length = Int(readUInt32(bytes, at: position))
            let typeBytes = Array(bytes[(position + 4)..<(position + 8)])
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard typeBytes.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
                throw fail("corrupt: invalid chunk type bytes \(typeBytes) at byte \(position)")
            }
            guard length <= Int(Int32.max), length <= bytes.count - position - 12 else {
                throw fail("truncated: chunk \(type) at byte \(position) claims \(length) bytes but the file ends first")
            }
            let dataStart = position + 8
            let data = bytes[dataStart..<(dataStart + length)]
            let storedCRC = readUInt32(bytes, at: dataStart + length)
            guard Zlib.crc32(bytes[(position + 4)..<(dataStart + length)]) == storedCRC else {
                throw fail("corrupt: chunk \(type) at byte \(position) fails its CRC check")
            }
            position = dataStart + length + 4

            if header == nil && type != "IHDR" { throw fail("corrupt: the first chunk is \(type), not IHDR") }
            switch type {
            case "IHDR":
                guard header == nil else { throw fail("corrupt: a second IHDR chunk") }
                header = try Header(Array(data), fail: fail)
            case "PLTE":
                guard length % 3 == 0, length > 0, length <= 768 else { throw fail("corrupt: palette of \(length) bytes (must be 3 × 1…256)") }
                palette = Array(data)
            case "tRNS":
                transparency = Array(data)
            case "IDAT":
                compressed += data
                sawImageData = true
            case "IEND":
                sawEnd = true
            default:
                // Bit 5 of the first letter: lower case marks an ancillary chunk, safe to skip.
                guard typeBytes[0] & 0x20 != 0 else { throw fail("unsupported: critical chunk \(type) is not part of standard PNG") }
            }
            if sawEnd { break }
        }
        guard let header else { throw fail("truncated: no IHDR chunk") }
        guard sawImageData else { throw fail("truncated: no image data (IDAT chunk)") }
        guard sawEnd else { throw fail("truncated: the file ends before its IEND chunk") }
        if header.colourType == 3 && palette.isEmpty { throw fail("corrupt: palette image without a PLTE chunk") }

        let rowBytes = (header.width * header.bitsPerPixel + 7) / 8
        let (total, overflow) = (rowBytes + 1).multipliedReportingOverflow(by: header.height)
        guard !overflow, total <= maximumDecodedBytes else {
            throw fail("unsupported: a \(header.width)×\(header.height) image is larger than this reader's \(maximumDecodedBytes >> 20) MiB limit")
        }
        let inflated: [UInt8]
        do {
            inflated = try Zlib.decompress(compressed, expectedCount: total)
        } catch {
            throw fail(error.message)
        }
        let raw = try unfilter(inflated, rowBytes: rowBytes, height: header.height,
                               bytesPerPixel: max(1, header.bitsPerPixel / 8), fail: fail)
        return try expand(raw, header: header, rowBytes: rowBytes, palette: palette, transparency: transparency, fail: fail)
    }

    /// The IHDR fields this reader uses, checked against the combinations the PNG standard allows.
    private struct Header {
        let width: Int
        let height: Int
        let bitDepth: Int
        let colourType: Int

        init(_ data: [UInt8], fail: (String) -> PNGError) throws {
            guard data.count == 13 else { throw fail("corrupt: IHDR has \(data.count) bytes, not 13") }
            width = Int(readUInt32(data, at: 0))
            height = Int(readUInt32(data, at: 4))
            bitDepth = Int(data[8])
            colourType = Int(data[9])
            guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
                throw fail("corrupt: image size \(width)×\(height)")
            }
            let allowedDepths: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
            guard let depths = allowedDepths[colourType] else { throw fail("corrupt: unknown colour type \(colourType)") }
            guard depths.contains(bitDepth) else { throw fail("corrupt: bit depth \(bitDepth) is not allowed with colour type \(colourType)") }
            guard data[10] == 0 else { throw fail("unsupported: compression method \(data[10])") }
            guard data[11] == 0 else { throw fail("unsupported: filter method \(data[11])") }
            guard data[12] == 0 else {
                throw fail(data[12] == 1 ? "unsupported: interlaced (Adam7) PNG; save it without interlacing"
                                         : "corrupt: unknown interlace method \(data[12])")
            }
        }

        var channelCount: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colourType]! }
        var bitsPerPixel: Int { channelCount * bitDepth }
    }

    private static func unfilter(_ data: [UInt8], rowBytes: Int, height: Int, bytesPerPixel: Int,
                                 fail: (String) -> PNGError) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: rowBytes * height)
        var badRow: (row: Int, type: UInt8)?
        data.withUnsafeBufferPointer { data in
            output.withUnsafeMutableBufferPointer { output in
                for row in 0..<height {
                    let filterType = data[row * (rowBytes + 1)]
                    guard filterType <= 4 else {
                        badRow = (row, filterType)
                        return
                    }
                    let current = output.baseAddress! + row * rowBytes
                    current.update(from: data.baseAddress! + row * (rowBytes + 1) + 1, count: rowBytes)
                    removeFilter(filterType, row: current, previous: row > 0 ? UnsafePointer(current - rowBytes) : nil,
                                 count: rowBytes, pixelLength: bytesPerPixel)
                }
            }
        }
        if let badRow { throw fail("corrupt: row \(badRow.row) has unknown filter type \(badRow.type)") }
        return output
    }

    /// Turns unfiltered samples of any depth into an 8-bit `Bitmap`.
    private static func expand(_ raw: [UInt8], header: Header, rowBytes: Int, palette: [UInt8], transparency: [UInt8],
                               fail: (String) -> PNGError) throws -> Bitmap {
        let width = header.width, height = header.height
        let channels = header.channelCount
        // Sample `index` of a row as an integer, whatever the depth.
        func sample(row: Int, index: Int) -> Int {
            let base = row * rowBytes
            switch header.bitDepth {
            case 8: return Int(raw[base + index])
            case 16: return Int(raw[base + index * 2])   // the high byte: 8 bits are all a Bitmap holds
            default:
                let bitOffset = index * header.bitDepth
                let byte = raw[base + bitOffset / 8]
                let shift = 8 - header.bitDepth - bitOffset % 8
                return Int(byte >> UInt8(shift)) & ((1 << header.bitDepth) - 1)
            }
        }
        if header.colourType == 3 {
            let colourCount = palette.count / 3
            let format: PixelFormat = transparency.isEmpty ? .rgb : .rgba
            var bytes = [UInt8]()
            bytes.reserveCapacity(width * height * format.channelCount)
            for row in 0..<height {
                for column in 0..<width {
                    let index = sample(row: row, index: column)
                    guard index < colourCount else {
                        throw fail("corrupt: pixel (\(column), \(row)) uses palette entry \(index) of \(colourCount)")
                    }
                    bytes += palette[(index * 3)..<(index * 3 + 3)]
                    if format == .rgba { bytes.append(index < transparency.count ? transparency[index] : 255) }
                }
            }
            return Bitmap(width: width, height: height, format: format, bytes: bytes)
        }
        let format: PixelFormat = [0: .grey, 2: .rgb, 4: .greyAlpha, 6: .rgba][header.colourType]!
        if header.bitDepth == 8 { return Bitmap(width: width, height: height, format: format, bytes: raw) }
        let maximum = (1 << min(header.bitDepth, 8)) - 1
        var bytes = [UInt8]()
        bytes.reserveCapacity(width * height * channels)
        for row in 0..<height {
            for index in 0..<(width * channels) {
                let value = sample(row: row, index: index)
                bytes.append(header.bitDepth >= 8 ? UInt8(value) : UInt8(value * 255 / maximum))
            }
        }
        return Bitmap(width: width, height: height, format: format, bytes: bytes)
    }
}

private func readUInt32(_ bytes: [UInt8], at index: Int) -> UInt32 {
    UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
}
