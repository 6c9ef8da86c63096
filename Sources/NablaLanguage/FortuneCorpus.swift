import Foundation
import Nabla
import NablaData

/// One fortune: its text and the category file it came from.
public struct FortuneEntry: Equatable, Sendable {
    /// The category: the name of the file the entry was read from (`computers`, `science`, ...).
    public var category: String
    /// The entry's text, without its `%` separator line and without a final newline.
    public var text: String

    public init(category: String, text: String) {
        self.category = category
        self.text = text
    }
}

/// The text of Debian's `fortunes` package (or any folder in its format) as a corpus for language
/// modelling and text classification.
///
/// The format is `strfile`'s: each category is a text file (`/usr/share/games/fortunes/computers`, ...)
/// whose entries are separated by lines holding a single `%`. The `.dat` indexes beside them and the
/// `.u8` links to them are skipped. Files are read in sorted name order, entries in file order, empty
/// entries dropped, and lines ending in `\r\n` read as `\n`.
///
/// Bad input throws `DataError`: a missing folder, a folder with no entries (empty corpus), and a file
/// that is not UTF-8 (naming the file and the byte offset, and how to convert it).
///
/// ```swift
/// let corpus = try FortuneCorpus.read()                         // about 15,000 entries, 40 categories
/// let (training, validation) = corpus.split(validationFraction: 0.1, seed: 0)
/// let text = training.text                                      // entries in the file format, "%" lines between
/// ```
public struct FortuneCorpus: Sendable {
    /// Where Debian's `fortunes` package installs its files.
    public static let defaultFolder = "/usr/share/games/fortunes"

    public let entries: [FortuneEntry]

    /// A corpus of the given entries; throws when there are none.
    public init(entries: [FortuneEntry], name: String = "corpus") throws {
        guard !entries.isEmpty else {
            throw DataError(.invalidRequest, file: name, "the corpus is empty: it holds no entries (entries are text separated by lines holding a single %)")
        }
        self.entries = entries
    }

    /// Reads every category file in `folder` (Debian's `fortunes` package by default).
    public static func read(folder: String = defaultFolder) throws -> FortuneCorpus {
        guard FileReading.isFolder(folder) else {
            throw DataError(.notFound, file: folder, "no such folder; install Debian's `fortunes` package (apt-get install fortunes) or name a folder of fortune files")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw DataError(.unreadable, file: folder, "the folder cannot be listed: \(error.localizedDescription)")
        }
        var entries: [FortuneEntry] = []
        for name in names where !name.hasPrefix(".") && !name.hasSuffix(".dat") && !name.hasSuffix(".u8") {
            let path = folder + "/" + name
            guard !FileReading.isFolder(path) else { continue }
            entries += try parse(FileReading.bytes(at: path), category: name, name: path)
        }
        return try FortuneCorpus(entries: entries, name: folder)
    }

    /// The entries of one file's bytes; throws when they are not UTF-8.
    public static func parse(_ bytes: [UInt8], category: String, name: String) throws -> [FortuneEntry] {
        // "\r\n" is one Character in Swift, so it is made "\n" before the split on "\n".
        let text = try decodeUTF8(bytes, name: name).replacingOccurrences(of: "\r\n", with: "\n")
        var entries: [FortuneEntry] = []
        var lines: [Substring] = []
        func finish() {
            let entry = lines.joined(separator: "\n")
            if !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                entries.append(FortuneEntry(category: category, text: entry))
            }
            lines.removeAll(keepingCapacity: true)
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "%" { finish() } else { lines.append(line) }
        }
        // A file ends with a newline, which leaves one empty line after the last separator.
        while lines.last?.isEmpty == true { lines.removeLast() }
        finish()
        return entries
    }

    /// The names of the categories, sorted.
    public var categories: [String] { Array(Set(entries.map(\.category))).sorted() }

    /// The entries in the file format: each entry followed by a `%` line, so a language model learns
    /// where fortunes end.
    public var text: String {
        var joined = ""
        for entry in entries { joined += entry.text + "\n%\n" }
        return joined
    }

    /// A shuffled split, the same for the same seed: `validationFraction` of the entries (rounded, at
    /// least one, leaving at least one for training) go to validation.
    public func split(validationFraction: Double = 0.1, seed: UInt64 = 0) -> (training: FortuneCorpus, validation: FortuneCorpus) {
        precondition(validationFraction > 0 && validationFraction < 1,
                     "FortuneCorpus.split: validationFraction must lie in (0, 1), got \(validationFraction)")
        precondition(entries.count >= 2, "FortuneCorpus.split: a split needs at least 2 entries, the corpus has \(entries.count)")
        let order = RandomGenerator(seed: seed).permutation(entries.count)
        let validationCount = Swift.min(Swift.max(1, Int((Double(entries.count) * validationFraction).rounded())), entries.count - 1)
        // Both halves keep file order, so their text reads like the files.
        let validation = order.prefix(validationCount).sorted().map { entries[$0] }
        let training = order.dropFirst(validationCount).sorted().map { entries[$0] }
        return (try! FortuneCorpus(entries: training), try! FortuneCorpus(entries: validation))
    }
}

/// `bytes` as a string, or a `DataError` naming the first byte that is not UTF-8 and how to convert.
func decodeUTF8(_ bytes: [UInt8], name: String) throws -> String {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let encoded): offset += encoded.count
        case .emptyInput: return String(decoding: bytes, as: UTF8.self)
        case .error(let length):
            let byte = String(format: "0x%02X", bytes[offset])
            throw DataError(.invalidFormat, file: name,
                            "is not UTF-8 text: byte \(byte) at offset \(offset) (\(length) byte\(length == 1 ? "" : "s")) is not valid UTF-8; convert the file, e.g. `iconv -f latin1 -t UTF-8`")
        }
    }
}
