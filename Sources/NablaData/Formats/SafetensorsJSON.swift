/// The small JSON reader and writer behind the safetensors header.
///
/// It is strict where a hostile file could hurt: nesting is limited, a key that appears twice in one
/// object is an error (a header must not name one tensor twice), numbers keep their literal text so
/// offsets are read as exact integers (never through a `Double`), and every failure is a `DataError`
/// with the byte position. It is Foundation-free, like the rest of NablaData's readers.
enum SafetensorsJSON: Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, e.g. `24`, `-1.5e3`.
    case number(String)
    case string(String)
    case array([SafetensorsJSON])
    /// Members in file order.
    case object([(key: String, value: SafetensorsJSON)])

    static func == (left: SafetensorsJSON, right: SafetensorsJSON) -> Bool {
        switch (left, right) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The value as a non-negative integer that fits in `Int`, or nil (fractions, exponents, signs,
    /// overflow all give nil).
    var nonNegativeInteger: Int? {
        guard case .number(let text) = self, !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1 && !overflow2 else { return nil }
            value = added
        }
        return value
    }

    // MARK: Parsing

    /// Parses one JSON value filling `bytes` (surrounding white space allowed). `name` labels errors.
    static func parse(_ bytes: ArraySlice<UInt8>, name: String, maximumDepth: Int = 64) throws -> SafetensorsJSON {
        var parser = Parser(bytes: bytes, name: name, maximumDepth: maximumDepth)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.atEnd else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        let name: String
        let maximumDepth: Int
        var position: Int

        init(bytes: ArraySlice<UInt8>, name: String, maximumDepth: Int) {
            self.bytes = bytes
            self.name = name
            self.maximumDepth = maximumDepth
            position = bytes.startIndex
        }

        var atEnd: Bool { position >= bytes.endIndex }

        func error(_ problem: String) -> DataError {
            DataError(.invalidFormat, file: name, "the header is not valid JSON at byte \(position - bytes.startIndex + 1) of the header: \(problem)")
        }

        mutating func skipSpace() {
            while position < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) throws -> SafetensorsJSON {
            guard depth <= maximumDepth else { throw error("nested deeper than \(maximumDepth) levels") }
            skipSpace()
            guard position < bytes.endIndex else { throw error("a value is missing") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try word("true"); return .bool(true)
            case UInt8(ascii: "f"): try word("false"); return .bool(false)
            case UInt8(ascii: "n"): try word("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected character '\(printable(bytes[position]))'")
            }
        }

        private mutating func object(depth: Int) throws -> SafetensorsJSON {
            position += 1
            var members: [(key: String, value: SafetensorsJSON)] = []
            var keys = Set<String>()
            skipSpace()
            if consume(UInt8(ascii: "}")) { return .object(members) }
            while true {
                skipSpace()
                guard position < bytes.endIndex, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                let key = try string()
                guard keys.insert(key).inserted else { throw error("the key \"\(key)\" appears twice in one object") }
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { throw error("expected ':' after the key \"\(key)\"") }
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "}")) else { throw error("expected ',' or '}' in an object") }
                return .object(members)
            }
        }

        private mutating func array(depth: Int) throws -> SafetensorsJSON {
            position += 1
            var elements: [SafetensorsJSON] = []
            skipSpace()
            if consume(UInt8(ascii: "]")) { return .array(elements) }
            while true {
                elements.append(try value(depth: depth + 1))
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "]")) else { throw error("expected ',' or ']' in an array") }
                return .array(elements)
            }
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            guard position < bytes.endIndex, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        private mutating func word(_ text: String) throws {
            for expected in text.utf8 {
                guard consume(expected) else { throw error("expected '\(text)'") }
            }
        }

        /// A number's literal text after checking its JSON syntax.
        private mutating func number() throws -> String {
            let start = position
            _ = consume(UInt8(ascii: "-"))
            func digits() -> Int {
                let begin = position
                while position < bytes.endIndex, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") { position += 1 }
                return position - begin
            }
            let integerStart = position
            let integerDigits = digits()
            guard integerDigits > 0 else { throw error("a number needs digits") }
            guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw error("a number must not start with 0") }
            if consume(UInt8(ascii: ".")) {
                guard digits() > 0 else { throw error("a fraction needs digits") }
            }
            if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
                if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
                guard digits() > 0 else { throw error("an exponent needs digits") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        private mutating func string() throws -> String {
            position += 1   // the opening quote
            var result: [UInt8] = []
            while true {
                guard position < bytes.endIndex else { throw error("a string is not closed") }
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: result, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                    return text
                case UInt8(ascii: "\\"):
                    guard position < bytes.endIndex else { throw error("a string is not closed") }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escape)
                    case UInt8(ascii: "b"): result.append(0x08)
                    case UInt8(ascii: "f"): result.append(0x0C)
                    case UInt8(ascii: "n"): result.append(0x0A)
                    case UInt8(ascii: "r"): result.append(0x0D)
                    case UInt8(ascii: "t"): result.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hexQuad()
                        if (0xD800..<0xDC00).contains(scalar) {
                            // A high surrogate must be followed by an escaped low one.
                            guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) else { throw error("a lone surrogate in a string") }
                            let low = try hexQuad()
                            guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate in a string") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw error("a lone surrogate in a string") }
                        result.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default: throw error("an unknown escape '\\\(printable(escape))'")
                    }
                case 0..<0x20: throw error("a control character inside a string")
                default: result.append(byte)
                }
            }
        }

        private mutating func hexQuad() throws -> UInt32 {
            guard position + 4 <= bytes.endIndex else { throw error("a \\u escape needs four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error("a \\u escape needs four hex digits")
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }

        private func printable(_ byte: UInt8) -> String {
            (0x20..<0x7F).contains(byte) ? String(Character(Unicode.Scalar(byte))) : "\\x" + String(byte, radix: 16)
        }
    }

    // MARK: Writing

    /// Compact JSON text as serde_json writes it: no spaces, members in the order given, strings with
    /// `"`, `\` and control characters escaped and everything else (non-ASCII too) as UTF-8.
    var text: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let literal): output += literal
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += "," }
                Self.writeString(member.key, to: &output)
                output += ":"
                member.value.write(to: &output)
            }
            output += "}"
        }
    }

    static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
