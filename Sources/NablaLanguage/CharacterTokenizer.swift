import NablaData

/// A character-level tokeniser: one token per Unicode scalar (Python's `str` characters, so ids match a
/// PyTorch script that builds `sorted(set(text))`), after the special tokens.
///
/// Ids: the special tokens first, in the order given (`<pad>` = 0, `<unk>` = 1, `<bos>` = 2, `<eos>` = 3
/// by default), then the characters of the training text sorted by code point.
///
/// Unknown characters: with an `<unk>` special token they encode to it; without one `encode` throws a
/// `DataError` naming the character. Decoding writes special tokens as their text (`<eos>`) unless
/// `skippingSpecialTokens` is set.
///
/// Saved as JSON: `{"type":"character","special_tokens":[...],"characters":[...]}`.
///
/// ```swift
/// let tokenizer = try CharacterTokenizer(training: [corpus.text])
/// let ids = try tokenizer.encode("Hello")            // [id of "H", ...]
/// tokenizer.decode(ids)                              // "Hello"
/// try tokenizer.save(to: "tokenizer.json")
/// ```
public struct CharacterTokenizer: Equatable, Sendable {
    /// Padding, unknown, begin and end of sequence.
    public static let defaultSpecialTokens = ["<pad>", "<unk>", "<bos>", "<eos>"]

    public let specialTokens: [String]
    /// The characters, in id order after the special tokens.
    public let characters: [Unicode.Scalar]
    private let idOfCharacter: [Unicode.Scalar: Int]

    /// Learns the characters of `texts`. Throws when the texts hold no characters (an empty corpus).
    public init(training texts: [String], specialTokens: [String] = defaultSpecialTokens) throws {
        var seen = Set<Unicode.Scalar>()
        for text in texts { seen.formUnion(text.unicodeScalars) }
        guard !seen.isEmpty else {
            throw DataError(.invalidRequest, "CharacterTokenizer: the training text is empty; give it a corpus with at least one character")
        }
        try self.init(specialTokens: specialTokens, characters: seen.sorted { $0.value < $1.value })
    }

    /// A tokeniser with the given vocabulary (as loaded from JSON).
    public init(specialTokens: [String], characters: [Unicode.Scalar]) throws {
        guard Set(specialTokens).count == specialTokens.count, Set(characters).count == characters.count else {
            throw DataError(.invalidRequest, "CharacterTokenizer: special tokens and characters must each be distinct")
        }
        guard !characters.isEmpty || !specialTokens.isEmpty else {
            throw DataError(.invalidRequest, "CharacterTokenizer: the vocabulary is empty")
        }
        self.specialTokens = specialTokens
        self.characters = characters
        var ids: [Unicode.Scalar: Int] = [:]
        for (index, character) in characters.enumerated() { ids[character] = specialTokens.count + index }
        idOfCharacter = ids
    }

    public var vocabularySize: Int { specialTokens.count + characters.count }

    /// The id of a special token, or nil when the tokeniser has no such token.
    public func id(ofSpecial token: String) -> Int? { specialTokens.firstIndex(of: token) }

    /// The id of a character, or nil when it is not in the vocabulary.
    public func id(of character: Unicode.Scalar) -> Int? { idOfCharacter[character] }

    /// The ids of `text`'s characters. Unknown characters become `<unk>`, or throw where there is none.
    public func encode(_ text: String) throws -> [Int] {
        let unknown = id(ofSpecial: "<unk>")
        var ids: [Int] = []
        ids.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if let id = idOfCharacter[scalar] {
                ids.append(id)
            } else if let unknown {
                ids.append(unknown)
            } else {
                let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
                throw DataError(.invalidRequest, "CharacterTokenizer: the character \(scalar.debugDescription) (\(code)) is not in the vocabulary of \(characters.count) characters, and there is no <unk> token to stand for it")
            }
        }
        return ids
    }

    /// The text of `ids`; special tokens are written as their text unless skipped.
    public func decode(_ ids: [Int], skippingSpecialTokens: Bool = false) -> String {
        var text = String.UnicodeScalarView()
        for id in ids {
            precondition((0..<vocabularySize).contains(id),
                         "CharacterTokenizer.decode: id \(id) is outside the vocabulary 0..<\(vocabularySize)")
            if id < specialTokens.count {
                if !skippingSpecialTokens { text.append(contentsOf: specialTokens[id].unicodeScalars) }
            } else {
                text.append(characters[id - specialTokens.count])
            }
        }
        return String(text)
    }

    // MARK: JSON

    public var json: JSONValue {
        .object([JSONMember(key: "type", value: .string("character")),
                 JSONMember(key: "special_tokens", value: .array(specialTokens.map { .string($0) })),
                 JSONMember(key: "characters", value: .array(characters.map { .string(String($0)) }))])
    }

    /// Writes the tokeniser as JSON, atomically.
    public func save(to path: String) throws {
        try writeFileAtomically(json.jsonText + "\n", to: path)
    }

    /// Reads a tokeniser saved by `save(to:)`.
    public static func load(from path: String) throws -> CharacterTokenizer {
        let bytes = try FileReading.bytes(at: path)
        let value: JSONValue
        do {
            value = try JSONValue.parse(ArraySlice(bytes))
        } catch let error as JSONParseError {
            throw DataError(.invalidFormat, file: path, "not JSON: \(error)")
        }
        guard value["type"]?.string == "character",
              let special = value["special_tokens"]?.array?.compactMap(\.string),
              let characters = value["characters"]?.array?.compactMap(\.string),
              special.count == value["special_tokens"]?.array?.count,
              characters.count == value["characters"]?.array?.count,
              characters.allSatisfy({ $0.unicodeScalars.count == 1 }) else {
            throw DataError(.invalidFormat, file: path, "not a character tokeniser: expected {\"type\":\"character\",\"special_tokens\":[strings],\"characters\":[one-character strings]}")
        }
        do {
            return try CharacterTokenizer(specialTokens: special, characters: characters.map { $0.unicodeScalars.first! })
        } catch let error as DataError {
            throw DataError(.invalidFormat, file: path, error.message)
        }
    }
}
