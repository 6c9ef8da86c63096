import CZlib

/// The three things PNG needs from the system zlib: deflate, inflate and CRC-32.
enum Zlib {
    /// A zlib stream (header, deflate data, Adler-32) of `bytes`.
    static func compress(_ bytes: [UInt8], level: Int32 = 6) throws(ZlibFailure) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { outputBuffer in
            bytes.withUnsafeBufferPointer { inputBuffer in
                compress2(outputBuffer.baseAddress, &capacity, inputBuffer.baseAddress, uLong(inputBuffer.count), level)
            }
        }
        guard status == Z_OK else { throw ZlibFailure(message: "zlib could not compress (status \(status))") }
        output.removeSubrange(Int(capacity)...)
        return output
    }

    /// Inflates a zlib stream that must hold exactly `expectedCount` bytes: PNG knows the size of the
    /// image data in advance, so more or fewer bytes mean a corrupt file.
    static func decompress(_ bytes: [UInt8], expectedCount: Int) throws(ZlibFailure) -> [UInt8] {
        var stream = z_stream()
        // inflateInit is a C macro; this is what it expands to.
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ZlibFailure(message: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        // One spare byte: if inflate fills it, the stream holds more than the image needs.
        var output = [UInt8](repeating: 0, count: expectedCount + 1)
        var input = bytes
        let status = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        let produced = Int(stream.total_out)
        switch status {
        case Z_STREAM_END where produced == expectedCount:
            output.removeLast()
            return output
        case Z_STREAM_END:
            throw ZlibFailure(message: "compressed image data holds \(produced) bytes, but the header needs \(expectedCount)")
        case Z_BUF_ERROR where produced > expectedCount:
            throw ZlibFailure(message: "compressed image data holds more than the \(expectedCount) bytes the header needs")
        case Z_BUF_ERROR:
            throw ZlibFailure(message: "compressed image data ends early (truncated file?) after \(produced) of \(expectedCount) bytes")
        default:
            let detail = stream.msg.map { String(cString: $0) } ?? "status \(status)"
            throw ZlibFailure(message: "compressed image data is corrupt (\(detail))")
        }
    }

    /// CRC-32 as PNG chunks use it, continuing from `previous` (0 to start).
    static func crc32(_ bytes: ArraySlice<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CZlib.crc32(uLong(previous), buffer.baseAddress, uInt(buffer.count)))
        }
    }
}

/// A zlib failure, turned into a `PNGError` naming the file by the caller.
struct ZlibFailure: Error {
    let message: String
}
