/// Recognises text that is not UTF-8 before a text reader (CSV) misreads it: a UTF-16 file read as
/// UTF-8 is a zero byte between every character and used to surface as "line 42: ragged row".
enum TextEncoding {
    /// Throws `.unsupported` naming the encoding and how to convert when `bytes` start with a UTF-16 or
    /// UTF-32 byte-order mark, or look like UTF-16 without one (zero bytes in every other position).
    /// A UTF-8 byte-order mark is fine (readers skip it).
    static func requireUTF8(_ bytes: [UInt8], name: String) throws {
        let encoding: (name: String, iconv: String, how: String)?
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) {
            encoding = ("UTF-32 little-endian", "UTF-32LE", "byte-order mark FF FE 00 00")
        } else if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            encoding = ("UTF-32 big-endian", "UTF-32BE", "byte-order mark 00 00 FE FF")
        } else if bytes.starts(with: [0xFF, 0xFE]) {
            encoding = ("UTF-16 little-endian", "UTF-16LE", "byte-order mark FF FE")
        } else if bytes.starts(with: [0xFE, 0xFF]) {
            encoding = ("UTF-16 big-endian", "UTF-16BE", "byte-order mark FE FF")
        } else {
            encoding = guessUnmarkedUTF16(bytes)
        }
        guard let encoding else { return }
        throw DataError(.unsupported, file: name,
                        "is encoded as \(encoding.name) (\(encoding.how)) but is read as UTF-8; convert it, e.g. `iconv -f \(encoding.iconv) -t UTF-8 '\(name)' > converted.csv`, or save it again as \"CSV UTF-8\"")
    }

    /// UTF-16 text without a byte-order mark: in its first bytes, nearly every even (big-endian) or odd
    /// (little-endian) byte is zero while the others are not, as ASCII characters in UTF-16 look.
    private static func guessUnmarkedUTF16(_ bytes: [UInt8]) -> (String, String, String)? {
        let sample = bytes.prefix(512)
        guard sample.count >= 8 else { return nil }
        var evenZeros = 0, oddZeros = 0
        for (index, byte) in sample.enumerated() where byte == 0 {
            if index % 2 == 0 { evenZeros += 1 } else { oddZeros += 1 }
        }
        let pairs = sample.count / 2
        if oddZeros * 10 >= pairs * 9 && evenZeros * 10 < pairs { return ("UTF-16 little-endian", "UTF-16LE", "no byte-order mark; every other byte is zero") }
        if evenZeros * 10 >= pairs * 9 && oddZeros * 10 < pairs { return ("UTF-16 big-endian", "UTF-16BE", "no byte-order mark; every other byte is zero") }
        return nil
    }
}
