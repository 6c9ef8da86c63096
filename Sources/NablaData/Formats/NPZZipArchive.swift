import CZlib

/// The ZIP container under NPZ files: reading stored and deflated members through the central
/// directory, and writing them, as Python's `zipfile` does for `numpy.savez` and `savez_compressed`.
///
/// Only what NPZ needs: one disk, no encryption, methods 0 (stored) and 8 (deflate), no ZIP64. NumPy
/// writes a ZIP64 *extra field* into every local header (`force_zip64=True`) even for small members;
/// that is harmless and skipped, since sizes and offsets are taken from the central directory. Archives
/// that really need ZIP64 (members or archives past 4 GiB, more than 65,535 members) are refused with a
/// message. Every offset and size is checked against the archive's length before it is used, and a
/// member's declared size is only believed as far as deflate's best compression ratio allows.
enum ZipArchive {
    struct Member {
        let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        /// Where the member's (compressed) data starts in the archive.
        let dataOffset: Int
    }

    private static let endOfDirectorySignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let directorySignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50
    /// Deflate cannot compress better than about 1032:1.
    private static let maximumDeflateRatio = 1032

    // MARK: Reading

    /// The members listed in the central directory, validated against the archive's bytes.
    static func members(of bytes: [UInt8], name: String) throws -> [Member] {
        func invalid(_ problem: String) -> DataError { DataError(.invalidFormat, file: name, "not a valid ZIP archive: \(problem)") }
        func truncated(_ problem: String) -> DataError { DataError(.truncated, file: name, problem) }
        guard bytes.count >= 22 else {
            if bytes.count >= 4 && readUInt32(bytes, 0) != localSignature && readUInt32(bytes, 0) != endOfDirectorySignature {
                throw invalid("it does not start with a ZIP signature")
            }
            throw truncated("holds \(bytes.count) bytes, too few for a ZIP archive (at least 22)")
        }
        // The end record sits in the last 22 + 65,535 bytes (its comment is at most 65,535 bytes long).
        var end = -1
        var candidate = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while candidate >= lowest {
            if readUInt32(bytes, candidate) == endOfDirectorySignature
                && candidate + 22 + Int(readUInt16(bytes, candidate + 20)) == bytes.count {
                end = candidate
                break
            }
            candidate -= 1
        }
        guard end >= 0 else {
            if readUInt32(bytes, 0) == localSignature {
                throw truncated("the ZIP archive has no end-of-directory record; the file is incomplete")
            }
            throw invalid("no end-of-central-directory record was found")
        }
        if end >= 20 && readUInt32(bytes, end - 20) == zip64LocatorSignature {
            throw DataError(.unsupported, file: name, "is a ZIP64 archive (over 4 GiB or 65,535 members), which is not supported; save the arrays in smaller files")
        }
        let diskNumber = readUInt16(bytes, end + 4), directoryDisk = readUInt16(bytes, end + 6)
        let entriesOnDisk = Int(readUInt16(bytes, end + 8)), entryCount = Int(readUInt16(bytes, end + 10))
        let directorySize = Int(readUInt32(bytes, end + 12)), directoryOffset = Int(readUInt32(bytes, end + 16))
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw DataError(.unsupported, file: name, "is a ZIP64 archive, which is not supported; save the arrays in smaller files")
        }
        guard diskNumber == 0 && directoryDisk == 0 && entriesOnDisk == entryCount else {
            throw DataError(.unsupported, file: name, "is split over several disks (a multi-part ZIP), which is not supported")
        }
        guard directoryOffset + directorySize <= end else {
            throw invalid("the central directory [\(directoryOffset), \(directoryOffset + directorySize)) runs past its end record at \(end)")
        }

        var members: [Member] = []
        var names = Set<String>()
        var position = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for index in 0..<entryCount {
            guard position + 46 <= directoryEnd else { throw invalid("central-directory entry \(index) runs past the directory") }
            guard readUInt32(bytes, position) == directorySignature else {
                throw invalid("central-directory entry \(index) at byte \(position) has a wrong signature")
            }
            let flags = readUInt16(bytes, position + 8), method = readUInt16(bytes, position + 10)
            let crc = readUInt32(bytes, position + 16)
            let compressedSize = Int(readUInt32(bytes, position + 20)), size = Int(readUInt32(bytes, position + 24))
            let nameLength = Int(readUInt16(bytes, position + 28)), extraLength = Int(readUInt16(bytes, position + 30))
            let commentLength = Int(readUInt16(bytes, position + 32))
            let localOffset = Int(readUInt32(bytes, position + 42))
            let next = position + 46 + nameLength + extraLength + commentLength
            guard next <= directoryEnd else { throw invalid("central-directory entry \(index) runs past the directory") }
            let memberName = String(decoding: bytes[position + 46..<position + 46 + nameLength], as: UTF8.self)
            position = next

            if compressedSize == 0xFFFF_FFFF || size == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                throw DataError(.unsupported, file: name, "member '\(memberName)' uses ZIP64 sizes (over 4 GiB), which are not supported")
            }
            guard flags & 0x0001 == 0 else {
                throw DataError(.unsupported, file: name, "member '\(memberName)' is encrypted, which is not supported")
            }
            guard method == 0 || method == 8 else {
                throw DataError(.unsupported, file: name, "member '\(memberName)' uses compression method \(method); only stored (0) and deflate (8) are supported")
            }
            guard names.insert(memberName).inserted else { throw invalid("the member '\(memberName)' appears twice") }
            guard localOffset + 30 <= directoryOffset, readUInt32(bytes, localOffset) == localSignature else {
                throw invalid("member '\(memberName)': no local header at byte \(localOffset)")
            }
            let dataOffset = localOffset + 30 + Int(readUInt16(bytes, localOffset + 26)) + Int(readUInt16(bytes, localOffset + 28))
            guard dataOffset + compressedSize <= directoryOffset else {
                throw truncated("member '\(memberName)': its \(compressedSize) bytes of data at byte \(dataOffset) run past the member area; the archive is incomplete or corrupt")
            }
            if method == 0 && compressedSize != size {
                throw invalid("member '\(memberName)' is stored uncompressed but its sizes differ (\(compressedSize) and \(size))")
            }
            if method == 8 && size > compressedSize.multipliedReportingOverflow(by: maximumDeflateRatio).partialValue + 64 {
                throw invalid("member '\(memberName)' claims to inflate \(compressedSize) bytes into \(size), more than deflate can compress")
            }
            members.append(Member(name: memberName, method: method, crc: crc, compressedSize: compressedSize,
                                  size: size, dataOffset: dataOffset))
        }
        return members
    }

    /// A member's bytes, inflated if needed and checked against its CRC-32.
    static func contents(of member: Member, in bytes: [UInt8], name: String) throws -> [UInt8] {
        let label = "\(name): member '\(member.name)'"
        let data: [UInt8]
        if member.method == 0 {
            data = Array(bytes[member.dataOffset..<member.dataOffset + member.compressedSize])
        } else {
            data = try inflateRaw(bytes[member.dataOffset..<member.dataOffset + member.compressedSize],
                                  size: member.size, label: label)
        }
        guard crc32(of: data) == member.crc else {
            throw DataError(.corrupt, file: name, "member '\(member.name)' fails its CRC-32 check; the archive is damaged")
        }
        return data
    }

    /// Inflates a raw deflate stream that must produce exactly `size` bytes.
    private static func inflateRaw(_ compressed: ArraySlice<UInt8>, size: Int, label: String) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits −15: a raw deflate stream, without zlib or gzip framing, as ZIP stores it.
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(.corrupt, file: label, "zlib could not start decompressing (out of memory?)")
        }
        defer { inflateEnd(&stream) }
        // One spare byte, so that a stream longer than declared shows itself instead of stopping silently.
        var output = [UInt8](repeating: 0, count: size + 1)
        let status: Int32 = compressed.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        let produced = output.count - Int(stream.avail_out)
        switch status {
        case Z_STREAM_END:
            guard produced == size else {
                throw DataError(.corrupt, file: label, "inflates to \(produced) bytes, not the \(size) its header declares")
            }
        case Z_BUF_ERROR, Z_OK:
            if produced > size {
                throw DataError(.corrupt, file: label, "inflates to more than the \(size) bytes its header declares")
            }
            throw DataError(.truncated, file: label, "the deflate stream ends before its end marker; the archive is incomplete")
        default:
            let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw DataError(.corrupt, file: label, "corrupt deflate data: \(detail)")
        }
        output.removeLast()
        return output
    }

    // MARK: Writing

    /// A ZIP archive of `members` (name and bytes, in order), each stored or deflated, with the fixed
    /// timestamp 1980-01-01 00:00 so that the same arrays always give the same bytes.
    static func encode(_ members: [(name: String, bytes: [UInt8])], compressed: Bool) throws -> [UInt8] {
        guard members.count < 0xFFFF else {
            throw DataError(.invalidRequest, "\(members.count) members need a ZIP64 archive, which is not written; use fewer arrays per file")
        }
        var archive: [UInt8] = []
        var directory: [UInt8] = []
        for member in members {
            let nameBytes = Array(member.name.utf8)
            guard nameBytes.count <= 0xFFFF else { throw DataError(.invalidRequest, "the member name '\(member.name.prefix(40))…' is too long for ZIP") }
            let crc = crc32(of: member.bytes)
            let data = compressed ? deflateRaw(member.bytes) : member.bytes
            let offset = archive.count
            guard member.bytes.count < 0xFFFF_FFFF, data.count < 0xFFFF_FFFF, offset < 0xFFFF_FFFF else {
                throw DataError(.invalidRequest, "the member '\(member.name)' does not fit in a ZIP archive without ZIP64 (4 GiB); save fewer or smaller arrays per file")
            }
            // Bit 11: the name is UTF-8 (only needed, and so only set, when it is not plain ASCII).
            let flags: UInt16 = nameBytes.allSatisfy { $0 < 0x80 } ? 0 : 0x0800
            let method: UInt16 = compressed ? 8 : 0
            let version: UInt16 = compressed ? 20 : 10
            var common: [UInt8] = []
            append16(&common, version); append16(&common, flags); append16(&common, method)
            append16(&common, 0); append16(&common, 0x21)   // 00:00:00, 1980-01-01
            append32(&common, crc); append32(&common, UInt32(data.count)); append32(&common, UInt32(member.bytes.count))
            append16(&common, UInt16(nameBytes.count)); append16(&common, 0)

            append32(&archive, localSignature)
            archive += common + nameBytes + data

            append32(&directory, directorySignature)
            append16(&directory, 20)   // made by: MS-DOS attributes, version 2.0
            directory += common
            append16(&directory, 0); append16(&directory, 0); append16(&directory, 0)   // comment, disk, internal attributes
            append32(&directory, 0); append32(&directory, UInt32(offset))
            directory += nameBytes
        }
        let directoryOffset = archive.count
        guard directoryOffset + directory.count < 0xFFFF_FFFF else {
            throw DataError(.invalidRequest, "the archive would pass 4 GiB, which needs ZIP64; save fewer or smaller arrays per file")
        }
        archive += directory
        append32(&archive, endOfDirectorySignature)
        append16(&archive, 0); append16(&archive, 0)
        append16(&archive, UInt16(members.count)); append16(&archive, UInt16(members.count))
        append32(&archive, UInt32(directory.count)); append32(&archive, UInt32(directoryOffset))
        append16(&archive, 0)
        return archive
    }

    /// A raw deflate stream of `bytes` at zlib's default level, as `zipfile.ZIP_DEFLATED` writes.
    private static func deflateRaw(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                                    zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK, "ZipArchive: zlib deflateInit2 failed with \(started)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 16)
        let status: Int32 = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "ZipArchive: zlib deflate failed with \(status)")
        output.removeLast(Int(stream.avail_out))
        return output
    }

    // MARK: Little-endian fields and CRC

    static func crc32(of bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = CZlib.crc32(0, nil, 0)
            var position = 0
            // zlib takes 32-bit lengths; feed large buffers in pieces.
            while position < buffer.count {
                let piece = min(buffer.count - position, 1 << 30)
                crc = CZlib.crc32(crc, buffer.baseAddress! + position, uInt(piece))
                position += piece
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    private static func readUInt16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    private static func append16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes.append(UInt8(value & 0xFF)); bytes.append(UInt8(value >> 8))
    }

    private static func append32(_ bytes: inout [UInt8], _ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
