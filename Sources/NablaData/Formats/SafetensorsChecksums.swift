import CZlib

// Checksums let a safetensors file tell when it was damaged after it was written: a flipped data byte
// otherwise loads silently as a slightly different weight. Nabla's writer stores the CRC-32 of each
// tensor's bytes in the header's metadata, under one key whose value is a JSON object (metadata values
// must be strings); other readers (PyTorch's safetensors) ignore metadata, so the files stay
// interchangeable. Files without the key (older Nabla files, files from other writers) load as before,
// unchecked.

extension Safetensors {
    /// The metadata key holding the checksums: `{"tensor name": "8 hex digits of CRC-32", ...}`.
    public static let checksumKey = "nabla.crc32"

    /// The CRC-32 (zlib's, as gzip and zip use) of `bytes`.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CZlib.crc32(0, nil, 0)
        var position = 0
        // zlib takes 32-bit lengths; feed large buffers in pieces.
        while position < bytes.count {
            let piece = min(bytes.count - position, 1 << 30)
            crc = CZlib.crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + position, uInt(piece))
            position += piece
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// The checksum metadata value for tensors named `names` with the given checksums, names sorted.
    static func checksumText(_ checksums: [(name: String, crc: UInt32)]) -> String {
        let sorted = checksums.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        return JSONValue.object(sorted.map { JSONMember(key: $0.name, value: .string(hexDigits($0.crc))) }).jsonText
    }

    static func hexDigits(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

extension SafetensorsFile {
    /// Whether the file carries Nabla's per-tensor checksums.
    public var hasChecksums: Bool { metadata[Safetensors.checksumKey] != nil }

    /// Checks every tensor's bytes against the checksum the writer stored. Throws `DataError`
    /// (`.corrupt`) naming the first damaged tensor; a file without checksums passes unchecked.
    func verifyChecksums() throws {
        guard let text = metadata[Safetensors.checksumKey] else { return }
        func invalid(_ problem: String) -> DataError {
            DataError(.invalidFormat, file: name, "its metadata '\(Safetensors.checksumKey)' \(problem); the header was edited or damaged")
        }
        guard case .object(let members)? = try? JSONValue.parse(Array(text.utf8)[...], rules: .strict) else {
            throw invalid("is not a JSON object of checksums")
        }
        var recorded: [String: UInt32] = [:]
        for member in members {
            guard case .string(let digits) = member.value, digits.count == 8, let value = UInt32(digits, radix: 16) else {
                throw invalid("holds '\(member.key)' without 8 hex digits")
            }
            recorded[member.key] = value
        }
        for entry in entries {
            guard let expected = recorded.removeValue(forKey: entry.name) else {
                throw DataError(.corrupt, file: name, "tensor '\(entry.name)' has no checksum although the file records checksums; the file was edited or damaged after it was written")
            }
            let actual = bytes.withUnsafeBytes { raw in
                Safetensors.crc32(UnsafeRawBufferPointer(rebasing: raw[entry.fileOffset..<entry.fileOffset + entry.end - entry.begin]))
            }
            if actual != expected {
                throw DataError(.corrupt, file: name,
                                "tensor '\(entry.name)' is damaged: its bytes have CRC-32 \(Safetensors.hexDigits(actual)) but \(Safetensors.hexDigits(expected)) was recorded when the file was written; restore the file from a copy (or an earlier checkpoint)")
            }
        }
        if let missing = recorded.keys.sorted().first {
            throw DataError(.corrupt, file: name, "the checksums list tensor '\(missing)', which the file does not hold; the file was edited or damaged")
        }
    }
}
