/// A JSON value with object members in file order: the reader and writer behind safetensors headers
/// and the run folders that reports read (Foundation's JSONSerialization returns unordered dictionaries).
///
/// Numbers keep their literal text, so integers such as safetensors offsets are read exactly (never
/// through a `Double`) and written back unchanged. Parsing is strict by default (`JSONRules.strict`);
/// `JSONRules.python` also reads what Python's json module writes for a diverged loss (`NaN`,
/// `Infinity`). It is Foundation-free, like the rest of NablaData's readers.
///
/// ```swift
/// let row = try JSONValue.parse(#"{"epoch": 1, "train_loss": 0.52}"#, rules: .python)
/// row["train_loss"]?.number   // 0.52
/// ```
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, e.g. `24`, `-1.5e3`, or `NaN` / `Infinity` / `-Infinity` under
    /// `JSONRules.python`.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in file order.
    case object([JSONMember])

    /// An integer as a JSON number.
    public static func integer(_ value: Int) -> JSONValue { .number(String(value)) }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The number's value (NaN and the infinities included), or nil for anything but a number.
    public var number: Double? {
        if case .number(let literal) = self { return Double(literal) }
        return nil
    }

    /// The value as a non-negative integer that fits in `Int`, or nil (fractions, exponents, signs,
    /// overflow all give nil).
    public var nonNegativeInteger: Int? {
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

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var members: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }
}

/// One key and value of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// What a parse accepts beyond standard JSON, and how deep it may nest (hostile input must not
/// overflow the stack).
public struct JSONRules: Sendable {
    /// Accept `NaN`, `Infinity` and `-Infinity` as numbers.
    public var allowsNonFiniteNumbers: Bool
    /// A key repeated in one object keeps its last value (Python's behaviour) instead of being an error.
    public var allowsRepeatedKeys: Bool
    /// A lone UTF-16 surrogate in a `\u` escape reads as U+FFFD instead of being an error.
    public var replacesLoneSurrogates: Bool
    public var maximumDepth: Int

    /// Standard JSON only; a key may appear once per object (a safetensors header must not name one
    /// tensor twice).
    public static let strict = JSONRules(allowsNonFiniteNumbers: false, allowsRepeatedKeys: false,
                                         replacesLoneSurrogates: false, maximumDepth: 64)
    /// What Python's json module writes and reads.
    public static let python = JSONRules(allowsNonFiniteNumbers: true, allowsRepeatedKeys: true,
                                         replacesLoneSurrogates: true, maximumDepth: 256)
}

/// Invalid JSON: what is wrong and at which byte of the text (counted from 0).
public struct JSONParseError: Error, CustomStringConvertible {
    public let problem: String
    public let offset: Int
    public var description: String { "\(problem) at character \(offset + 1)" }
}

// MARK: Parsing

extension JSONValue {
    /// Parses one JSON document; anything but white space after it is an error.
    public static func parse(_ text: String, rules: JSONRules = .strict) throws -> JSONValue {
        try parse(ArraySlice(text.utf8), rules: rules)
    }

    /// Parses one JSON document filling `bytes` (surrounding white space allowed).
    public static func parse(_ bytes: ArraySlice<UInt8>, rules: JSONRules = .strict) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, rules: rules)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.atEnd else { throw parser.error("unexpected text after the JSON value") }
        return value
    }
}

/// A recursive-descent JSON parser over UTF-8 bytes.
private struct JSONParser {
    let bytes: ArraySlice<UInt8>
    let rules: JSONRules
    var position: Int

    init(bytes: ArraySlice<UInt8>, rules: JSONRules) {
        self.bytes = bytes
        self.rules = rules
        position = bytes.startIndex
    }

    var atEnd: Bool { position >= bytes.endIndex }

    func error(_ problem: String) -> JSONParseError {
        JSONParseError(problem: problem, offset: position - bytes.startIndex)
    }

    mutating func skipSpace() {
        while position < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth <= rules.maximumDepth else { throw error("nested deeper than \(rules.maximumDepth) levels") }
        skipSpace()
        guard position < bytes.endIndex else { throw error("a value is missing") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try word("true"); return .bool(true)
        case UInt8(ascii: "f"): try word("false"); return .bool(false)
        case UInt8(ascii: "n"): try word("null"); return .null
        case UInt8(ascii: "N") where rules.allowsNonFiniteNumbers: try word("NaN"); return .number("NaN")
        case UInt8(ascii: "I") where rules.allowsNonFiniteNumbers: try word("Infinity"); return .number("Infinity")
        case UInt8(ascii: "-") where rules.allowsNonFiniteNumbers && next == UInt8(ascii: "I"):
            try word("-Infinity"); return .number("-Infinity")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character '\(printable(bytes[position]))'")
        }
    }

    private var next: UInt8? { position + 1 < bytes.endIndex ? bytes[position + 1] : nil }

    private mutating func object(depth: Int) throws -> JSONValue {
        position += 1
        var members: [JSONMember] = []
        var keys: [String: Int] = [:]   // where each key's member is
        skipSpace()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipSpace()
            guard position < bytes.endIndex, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let key = try string()
            skipSpace()
            guard consume(UInt8(ascii: ":")) else { throw error("expected ':' after the key \"\(key)\"") }
            let member = JSONMember(key: key, value: try value(depth: depth + 1))
            if let existing = keys[key] {
                guard rules.allowsRepeatedKeys else { throw error("the key \"\(key)\" appears twice in one object") }
                members[existing] = member
            } else {
                keys[key] = members.count
                members.append(member)
            }
            skipSpace()
            if consume(UInt8(ascii: ",")) { continue }
            guard consume(UInt8(ascii: "}")) else { throw error("expected ',' or '}' in an object") }
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
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
                case UInt8(ascii: "u"): result.append(contentsOf: Array(String(try escapedCharacter()).utf8))
                default: throw error("an unknown escape '\\\(printable(escape))'")
                }
            case 0..<0x20: throw error("a control character inside a string")
            default: result.append(byte)
            }
        }
    }

    /// The character of a `\u` escape (after the `u`), joining a UTF-16 surrogate pair into one.
    private mutating func escapedCharacter() throws -> Character {
        var scalar = try hexQuad()
        if (0xD800..<0xDC00).contains(scalar), position + 1 < bytes.endIndex,
           bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
            let afterHigh = position
            position += 2
            let low = try hexQuad()
            if (0xDC00..<0xE000).contains(low) {
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else {
                position = afterHigh   // not a pair: the high surrogate stands alone
            }
        }
        if let unicode = Unicode.Scalar(scalar) { return Character(unicode) }
        guard rules.replacesLoneSurrogates else { throw error("a lone surrogate in a string") }
        return "\u{FFFD}"
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

extension JSONValue {
    /// Compact JSON text as serde_json writes it: no spaces, members in the order given, numbers as
    /// their literal text, strings with `"`, `\` and control characters escaped and everything else
    /// (non-ASCII too) as UTF-8.
    public var jsonText: String {
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

    /// `value` as a quoted JSON string.
    public static func writeString(_ value: String, to output: inout String) {
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
