import Foundation
import Nabla
import NablaData
@testable import NablaLanguage
import Testing

// The fortunes corpus reader, its split and the character tokeniser, with their bad-input errors.

@Suite struct TextDataTests {
    static func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "nabla-language-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func entriesAreSplitOnPercentLines() throws {
        let bytes = Array("A day for firm decisions!\n%\nTwo\r\nlines.\n%\n%\n  \n%\nLast one, no final separator.\n".utf8)
        let entries = try FortuneCorpus.parse(bytes, category: "cookie", name: "cookie")
        #expect(entries.map(\.text) == ["A day for firm decisions!", "Two\nlines.", "Last one, no final separator."])
        #expect(entries.allSatisfy { $0.category == "cookie" })
    }

    @Test func textThatIsNotUTF8IsRefusedWithItsOffset() {
        let bytes: [UInt8] = Array("caf".utf8) + [0xE9] + Array("\n%\n".utf8)   // Latin-1 é
        #expect {
            try FortuneCorpus.parse(bytes, category: "food", name: "food")
        } throws: { error in
            let message = "\(error)"
            return message.contains("food") && message.contains("not UTF-8") && message.contains("0xE9") && message.contains("offset 3")
        }
    }

    @Test func emptyAndMissingFoldersAreClearErrors() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "%\n\n%\n".write(toFile: folder + "/empty", atomically: true, encoding: .utf8)
        #expect { try FortuneCorpus.read(folder: folder) } throws: { "\($0)".contains("corpus is empty") }
        #expect { try FortuneCorpus.read(folder: folder + "/absent") } throws: { ($0 as? DataError)?.kind == .notFound }
        #expect(throws: DataError.self) { try FortuneCorpus(entries: []) }
    }

    @Test func folderReadingSkipsIndexesAndNamesCategories() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "b1\n%\nb2\n".write(toFile: folder + "/beta", atomically: true, encoding: .utf8)
        try "a1\n%\n".write(toFile: folder + "/alpha", atomically: true, encoding: .utf8)
        try Data([0, 1, 2, 0xFF]).write(to: URL(fileURLWithPath: folder + "/alpha.dat"))
        let corpus = try FortuneCorpus.read(folder: folder)
        #expect(corpus.entries == [FortuneEntry(category: "alpha", text: "a1"), FortuneEntry(category: "beta", text: "b1"),
                                   FortuneEntry(category: "beta", text: "b2")])
        #expect(corpus.categories == ["alpha", "beta"])
        #expect(corpus.text == "a1\n%\nb1\n%\nb2\n%\n")
    }

    @Test func splitIsSeededDisjointAndComplete() throws {
        let corpus = try FortuneCorpus(entries: (0..<50).map { FortuneEntry(category: "c\($0 % 3)", text: "entry \($0)") })
        let (training, validation) = corpus.split(validationFraction: 0.2, seed: 7)
        #expect(validation.entries.count == 10 && training.entries.count == 40)
        #expect(Set(training.entries.map(\.text)).isDisjoint(with: validation.entries.map(\.text)))
        #expect(Set(training.entries.map(\.text) + validation.entries.map(\.text)).count == 50)
        let again = corpus.split(validationFraction: 0.2, seed: 7)
        #expect(again.validation.entries == validation.entries)
        #expect(corpus.split(validationFraction: 0.2, seed: 8).validation.entries != validation.entries)
    }

    @Test func debianFortunesWhenInstalled() throws {
        guard FileReading.isFolder(FortuneCorpus.defaultFolder) else { return }
        let corpus = try FortuneCorpus.read()
        #expect(corpus.entries.count > 10_000)
        #expect(corpus.categories.count >= 30 && corpus.categories.contains("computers"))
    }

    // MARK: Character tokeniser

    @Test func characterTokenizerRoundTripsAndNumbersSpecialsFirst() throws {
        let tokenizer = try CharacterTokenizer(training: ["hello", "wörld 🙂\u{8}"])
        #expect(tokenizer.id(ofSpecial: "<pad>") == 0 && tokenizer.id(ofSpecial: "<eos>") == 3)
        #expect(tokenizer.vocabularySize == 4 + Set("hello wörld🙂\u{8}".unicodeScalars).count)
        #expect(tokenizer.id(of: "\u{8}") == 4)   // sorted by code point after the specials
        let ids = try tokenizer.encode("hold wörld 🙂")
        #expect(tokenizer.decode(ids) == "hold wörld 🙂")
        #expect(tokenizer.decode([2] + ids + [3]) == "<bos>hold wörld 🙂<eos>")
        #expect(tokenizer.decode([2] + ids + [3], skippingSpecialTokens: true) == "hold wörld 🙂")
    }

    @Test func unknownCharactersBecomeUnknownOrThrow() throws {
        let withUnknown = try CharacterTokenizer(training: ["abc"])
        #expect(try withUnknown.encode("abz") == [4, 5, 1])
        let without = try CharacterTokenizer(training: ["abc"], specialTokens: [])
        #expect { try without.encode("abz") } throws: { "\($0)".contains("\"z\"") && "\($0)".contains("U+7A") }
        #expect { try CharacterTokenizer(training: ["", ""]) } throws: { "\($0)".contains("empty") }
    }

    @Test func tokenizerSavesAndLoadsAsJSON() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tokenizer = try CharacterTokenizer(training: ["Quote \"this\"\\ \n\t\u{8} ü 🙂"], specialTokens: ["<pad>", "<mask>"])
        try tokenizer.save(to: folder + "/tokenizer.json")
        #expect(try CharacterTokenizer.load(from: folder + "/tokenizer.json") == tokenizer)
        try "{\"type\":\"word\"}".write(toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
        #expect { try CharacterTokenizer.load(from: folder + "/bad.json") } throws: { "\($0)".contains("not a character tokeniser") }
    }
}
