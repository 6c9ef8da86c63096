/// The dictionary at the start of an NPY file, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
///
/// It is a Python literal, so this is a small parser for exactly the literals NumPy writes (strings,
/// `True`/`False`, tuples of integers), not a general evaluator: anything else is reported, not guessed.
struct NPYHeader: Equatable {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// The literal NumPy writes for this header, without padding.
    var literal: String {
        let dimensions = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        return "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(dimensions), }"
    }

    /// Parses the header text; `name` labels errors.
    static func parse(_ text: [UInt8], name: String) throws -> NPYHeader {
        var parser = LiteralParser(text: text, name: name)
        var values: [String: LiteralParser.Value] = [:]
        try parser.expect(UInt8(ascii: "{"))
        while true {
            parser.skipSpace()
            if parser.consume(UInt8(ascii: "}")) { break }
            let key = try parser.string()
            try parser.expect(UInt8(ascii: ":"))
            guard values[key] == nil else { throw parser.error("the key '\(key)' appears twice") }
            values[key] = try parser.value()
            parser.skipSpace()
            if parser.consume(UInt8(ascii: ",")) { continue }
            try parser.expect(UInt8(ascii: "}"))
            break
        }
        parser.skipSpace()
        guard parser.atEnd else { throw parser.error("unexpected text after the header dictionary") }

        for key in values.keys where !["descr", "fortran_order", "shape"].contains(key) {
            throw DataError(.invalidFormat, file: name, "the header has an unknown key '\(key)'; NPY headers hold only 'descr', 'fortran_order' and 'shape'")
        }
        guard case .string(let descr)? = values["descr"] else {
            if case .list? = values["descr"] {
                throw DataError(.unsupported, file: name, "holds a structured array (a list of named fields in 'descr'); save each field as its own array")
            }
            throw DataError(.invalidFormat, file: name, "the header's 'descr' is missing or not a string")
        }
        guard case .boolean(let fortranOrder)? = values["fortran_order"] else {
            throw DataError(.invalidFormat, file: name, "the header's 'fortran_order' is missing or not True/False")
        }
        guard case .integers(let shape)? = values["shape"] else {
            throw DataError(.invalidFormat, file: name, "the header's 'shape' is missing or not a tuple of integers")
        }
        return NPYHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }
}

/// Reads the Python literals of an NPY header from bytes, tracking the position for messages.
private struct LiteralParser {
    enum Value: Equatable {
        case string(String)
        case boolean(Bool)
        case integers([Int])
        case list
    }

    let text: [UInt8]
    let name: String
    var position = 0

    init(text: [UInt8], name: String) {
        self.text = text
        self.name = name
    }

    var atEnd: Bool { position >= text.count }

    func error(_ problem: String) -> DataError {
        DataError(.invalidFormat, file: name, "malformed header at character \(position + 1): \(problem)")
    }

    mutating func skipSpace() {
        while position < text.count, [0x20, 0x09, 0x0A, 0x0D].contains(text[position]) { position += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard position < text.count, text[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard consume(byte) else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
    }

    mutating func string() throws -> String {
        skipSpace()
        guard position < text.count, text[position] == UInt8(ascii: "'") || text[position] == UInt8(ascii: "\"") else {
            throw error("expected a quoted string")
        }
        let quote = text[position]
        position += 1
        let start = position
        while position < text.count, text[position] != quote {
            // NumPy's keys and type codes never need escapes; refusing them keeps this parser small.
            guard text[position] != UInt8(ascii: "\\") else { throw error("escapes in strings are not supported") }
            position += 1
        }
        guard position < text.count else { throw error("a string is not closed") }
        defer { position += 1 }
        return String(decoding: text[start..<position], as: UTF8.self)
    }

    mutating func value() throws -> Value {
        skipSpace()
        guard position < text.count else { throw error("a value is missing") }
        switch text[position] {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "("):
            position += 1
            return .integers(try integerTuple())
        case UInt8(ascii: "["):
            try skipList()
            return .list
        default:
            if word("True") { return .boolean(true) }
            if word("False") { return .boolean(false) }
            throw error("expected a string, True, False or a tuple")
        }
    }

    /// Steps over a bracketed list (a structured type's fields), whose contents are not needed: only that
    /// it is one is reported.
    private mutating func skipList() throws {
        let start = position
        var depth = 0
        while position < text.count {
            switch text[position] {
            case UInt8(ascii: "["), UInt8(ascii: "("): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: ")"): depth -= 1
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                _ = try string()
                continue
            default: break
            }
            position += 1
            if depth == 0 { return }
        }
        position = start
        throw error("a list is not closed")
    }

    private mutating func word(_ expected: String) -> Bool {
        let bytes = Array(expected.utf8)
        guard position + bytes.count <= text.count, Array(text[position..<position + bytes.count]) == bytes else { return false }
        position += bytes.count
        return true
    }

    /// The integers of a tuple after its `(`: `()`, `(3,)`, `(2, 3)`, with Python 2's `3L` accepted.
    private mutating func integerTuple() throws -> [Int] {
        var result: [Int] = []
        while true {
            skipSpace()
            if consume(UInt8(ascii: ")")) { return result }
            let start = position
            var value = 0
            while position < text.count, text[position] >= UInt8(ascii: "0"), text[position] <= UInt8(ascii: "9") {
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (added, overflow2) = shifted.addingReportingOverflow(Int(text[position] - UInt8(ascii: "0")))
                guard !overflow1 && !overflow2 else { throw error("a dimension is too large") }
                value = added
                position += 1
            }
            guard position > start else { throw error("expected a non-negative integer in the shape") }
            _ = consume(UInt8(ascii: "L"))
            result.append(value)
            skipSpace()
            if consume(UInt8(ascii: ",")) { continue }
            guard consume(UInt8(ascii: ")")) else { throw error("expected ',' or ')' in the shape") }
            return result
        }
    }
}
