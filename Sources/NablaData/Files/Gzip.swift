import CZlib

/// gzip compression and decompression through zlib.
///
/// ```swift
/// let packed = Gzip.compress(Array("hello".utf8))
/// let unpacked = try Gzip.decompress(packed, name: "greeting.gz")   // [104, 101, 108, 108, 111]
/// ```
public enum Gzip {
    /// The largest decompressed size accepted unless a caller asks for more: the memory budget
    /// (`MemoryBudget.limit`, raised by `--memory-limit` or `NABLA_MEMORY_LIMIT`), so a gzip bomb stops
    /// with an error once its output passes the budget instead of growing until the kernel kills the process.
    public static var defaultMaximumBytes: Int { MemoryBudget.limit }

    /// Whether `bytes` start with the gzip magic number 1f 8b.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed bytes of a gzip (or zlib) stream; several concatenated gzip members are joined, as
    /// `gunzip` does. `name` labels errors. Throws `DataError` `.corrupt` for bad data, `.truncated` when the
    /// stream ends early, `.invalidRequest` past `maximumBytes`.
    public static func decompress(_ compressed: [UInt8], name: String, maximumBytes: Int = defaultMaximumBytes) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32: the largest window, and detect the gzip or zlib header automatically.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(.corrupt, file: name, "zlib could not start decompressing (out of memory?)")
        }
        defer { inflateEnd(&stream) }

        // One allocation in the common case: gzip's trailer holds the size mod 2^32, trusted only as far as
        // deflate's best ratio (about 1032:1) allows. One spare byte lets inflate report the end of the
        // stream without the buffer first growing.
        var output = [UInt8](repeating: 0, count: initialCapacity(compressed, maximumBytes: maximumBytes) + 1)
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                guard output.count <= maximumBytes else { throw tooLarge(name, maximumBytes) }
                let target = min(max(output.count * 2, 1 << 16), maximumBytes + 1)
                output.append(contentsOf: repeatElement(0, count: target - output.count))
            }
            let status = step(&stream, compressed, &consumed, &output, &produced) { stream, _ in inflate(&stream, Z_NO_FLUSH) }
            let outputRoomAfter = Int(stream.avail_out)
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (as `cat a.gz b.gz` makes); zero padding after the last one
                // is tolerated as gunzip does.
                let rest = compressed[consumed...]
                if rest.count >= 2 && rest.first == 0x1F && rest.dropFirst().first == 0x8B {
                    guard inflateReset(&stream) == Z_OK else {
                        throw DataError(.corrupt, file: name, "zlib could not restart for the next gzip member")
                    }
                    continue
                }
                guard rest.allSatisfy({ $0 == 0 }) else {
                    throw DataError(.corrupt, file: name,
                                    "\(rest.count) bytes of unknown data follow the end of the gzip stream at byte \(consumed)")
                }
                guard produced <= maximumBytes else { throw tooLarge(name, maximumBytes) }
                output.removeLast(output.count - produced)
                return output
            case Z_OK, Z_BUF_ERROR:
                // All input used, room left to write, and still no end marker: the stream was cut short.
                if consumed == compressed.count && outputRoomAfter > 0 {
                    throw DataError(.truncated, file: name,
                                    "the gzip stream ends after \(compressed.count) compressed bytes (\(produced) decompressed) before its end marker; the file is incomplete, download or copy it again")
                }
            case Z_NEED_DICT:
                throw DataError(.unsupported, file: name, "the zlib stream needs a preset dictionary")
            case Z_MEM_ERROR:
                throw DataError(.corrupt, file: name, "zlib ran out of memory while decompressing")
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DataError(.corrupt, file: name,
                                "corrupt gzip data near compressed byte \(consumed): \(detail); the file is damaged, download or copy it again")
            }
        }
    }

    /// The gzip-compressed form of `bytes` (`level` 0–9, default 6 as gzip's).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: write a gzip header and trailer rather than a zlib one.
        let started = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                    zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK, "Gzip.compress: zlib deflateInit2 failed with \(started)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        var produced = 0
        var consumed = 0
        var status = Z_OK
        while status != Z_STREAM_END {
            if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
            status = step(&stream, bytes, &consumed, &output, &produced) { stream, allInputGiven in
                deflate(&stream, allInputGiven ? Z_FINISH : Z_NO_FLUSH)
            }
            precondition(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR,
                         "Gzip.compress: zlib deflate failed with \(status)")
        }
        output.removeLast(output.count - produced)
        return output
    }

    /// One call of `operation` (inflate or deflate) on the rest of `input` (from `consumed`) into the rest of
    /// `output` (from `produced`), advancing both counts by what it used. zlib counts in 32 bits, so at
    /// most 4 GiB go in and out per call; `operation` learns whether the whole rest of the input was given.
    private static func step(_ stream: inout z_stream, _ input: [UInt8], _ consumed: inout Int,
                             _ output: inout [UInt8], _ produced: inout Int,
                             _ operation: (inout z_stream, _ allInputGiven: Bool) -> Int32) -> Int32 {
        input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                let inputLeft = min(input.count - consumed, Int(UInt32.max))
                let outputRoom = min(out.count - produced, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + consumed })
                stream.avail_in = UInt32(inputLeft)
                stream.next_out = out.baseAddress! + produced
                stream.avail_out = UInt32(outputRoom)
                let status = operation(&stream, consumed + inputLeft == input.count)
                consumed += inputLeft - Int(stream.avail_in)
                produced += outputRoom - Int(stream.avail_out)
                return status
            }
        }
    }

    private static func tooLarge(_ name: String, _ maximumBytes: Int) -> DataError {
        DataError(.invalidRequest, file: name,
                  "decompresses to more than \(maximumBytes) bytes (\(MemoryBudget.describe(maximumBytes))), the limit, and was stopped there; "
                    + "if the file is genuine, raise the memory limit (\(MemoryBudget.optionName) or \(MemoryBudget.environmentVariable)), otherwise it is damaged or a decompression bomb")
    }

    /// The first `count` decompressed bytes of a gzip stream (fewer if it is shorter), without inflating
    /// the rest: enough to read a header that says how large the whole should be.
    public static func decompressedPrefix(_ compressed: [UInt8], count: Int, name: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(.corrupt, file: name, "zlib could not start decompressing (out of memory?)")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: count)
        var produced = 0, consumed = 0
        while produced < count {
            let status = step(&stream, compressed, &consumed, &output, &produced) { stream, _ in inflate(&stream, Z_NO_FLUSH) }
            if status == Z_STREAM_END { break }
            if status != Z_OK {
                if status == Z_BUF_ERROR && consumed == compressed.count { break }   // cut short: the full read explains
                let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DataError(.corrupt, file: name, "corrupt gzip data near compressed byte \(consumed): \(detail); the file is damaged, download or copy it again")
            }
        }
        output.removeLast(output.count - produced)
        return output
    }

    /// The buffer to start decompressing into: the trailer's size hint when it is plausible.
    private static func initialCapacity(_ compressed: [UInt8], maximumBytes: Int) -> Int {
        let plausible = min(maximumBytes, compressed.count.multipliedReportingOverflow(by: 1032).partialValue)
        guard compressed.count >= 18 else { return min(plausible, 1 << 16) }
        let tail = compressed.count - 4
        let hint = Int(compressed[tail]) | Int(compressed[tail + 1]) << 8 | Int(compressed[tail + 2]) << 16 | Int(compressed[tail + 3]) << 24
        return max(0, min(hint > 0 ? hint : 1 << 16, plausible))
    }
}
