import Foundation
import Nabla
@testable import NablaData
import Testing

/// Thousands of damaged safetensors, NPY and NPZ files: each must end in a `DataError` or a valid parse
/// whose tensors fit inside the file, never a crash (which would end this test process) and never an
/// allocation that the file's size does not justify.
@Suite struct CorruptionFuzzTests {
    /// A valid file with several element types, zero-sized and scalar tensors, and metadata.
    static let safetensorsSample: [UInt8] = try! Safetensors.encode([
        "layer.weight": .float(Tensor((0..<12).map(Float.init), shape: [3, 4])),
        "layer.bias": .float(Tensor([1, 2, 3]), as: .float16),
        "steps": .integer(IntTensor([5, 6])),
        "scale": .float(Tensor(scalar: 0.5), as: .bfloat16),
        "nothing": .float(Tensor.zeros([0, 2]), as: .float64),
    ], metadata: ["format": "pt"])

    static let npySample: [UInt8] = NPY.encode(Tensor((0..<10).map(Float.init), shape: [2, 5]))

    @Test func safetensorsSurviveRandomCorruption() {
        let generator = RandomGenerator(seed: 2024)
        var outcomes = (errors: 0, parses: 0)
        let kinds: [(String, ([UInt8], RandomGenerator) -> [UInt8])] = [
            ("truncation", truncate), ("flipped bytes", flipBytes), ("flipped header bytes", flipHeaderBytes),
            ("lying header length", lieAboutHeaderLength), ("bad JSON", breakJSON),
            ("offsets out of range", moveOffsets), ("overlapping tensors", overlapTensors),
            ("huge declared sizes", declareHugeSizes), ("duplicate names", duplicateNames),
        ]
        for (kind, corrupt) in kinds {
            for trial in 0..<150 {
                let bytes = corrupt(Self.safetensorsSample, generator)
                do {
                    let file = try Safetensors.parse(bytes, name: "fuzz")
                    outcomes.parses += 1
                    for entry in file.entries {
                        // Every tensor lies inside the file, so converting it allocates at most 8 bytes per file byte.
                        #expect(entry.count <= bytes.count, "\(kind) #\(trial): \(entry.name) declares \(entry.count) elements in a \(bytes.count)-byte file")
                        #expect(entry.fileOffset + entry.end - entry.begin <= bytes.count)
                        if entry.dataType.isInteger { _ = try? file.intTensor(entry.name) } else { _ = try? file.tensor(entry.name) }
                    }
                } catch is DataError {
                    outcomes.errors += 1
                } catch {
                    Issue.record("\(kind) #\(trial): a \(type(of: error)) instead of a DataError: \(error)")
                }
            }
        }
        #expect(outcomes.errors + outcomes.parses == 1350)
        #expect(outcomes.errors > 1000, "most corruptions must be caught: \(outcomes)")
    }

    @Test func npyFilesSurviveRandomCorruption() {
        let generator = RandomGenerator(seed: 99)
        var outcomes = (errors: 0, parses: 0)
        let kinds: [(String, ([UInt8], RandomGenerator) -> [UInt8])] = [
            ("truncation", truncate), ("flipped bytes", flipBytes), ("flipped header bytes", flipNPYHeaderBytes),
            ("lying header length", lieAboutNPYHeaderLength), ("huge shapes", declareHugeNPYShape),
            ("bad header literal", breakNPYLiteral), ("extended payload", { bytes, generator in bytes + randomBytes(generator, count: 1 + generator.integer(in: 0..<40)) }),
        ]
        for (kind, corrupt) in kinds {
            for trial in 0..<160 {
                let bytes = corrupt(Self.npySample, generator)
                do {
                    let array = try NPY.parse(bytes, name: "fuzz.npy")
                    outcomes.parses += 1
                    #expect(array.count <= bytes.count, "\(kind) #\(trial): \(array.shape) in \(bytes.count) bytes")
                    _ = array.tensor()
                    _ = try? array.intTensor()
                } catch is DataError {
                    outcomes.errors += 1
                } catch {
                    Issue.record("\(kind) #\(trial): a \(type(of: error)) instead of a DataError: \(error)")
                }
            }
        }
        #expect(outcomes.errors + outcomes.parses == 1120)
        #expect(outcomes.errors > 800, "most corruptions must be caught: \(outcomes)")
    }

    @Test func npyShapesWhoseStridesOverflowAreRefused() {
        // Zero elements, so no payload, but the strides (and a left-to-right element count) of these shapes
        // overflow: refused while parsing instead of trapping when the tensor is made.
        for shape in [[0, 1 << 32, 1 << 32], [1 << 32, 1 << 32, 0]] {
            let bytes = NPY.headerBytes(descr: "<f4", shape: shape)
            expectDataError(.invalidFormat, containing: ["impossible shape"]) { try NPY.parse(bytes, name: "zero.npy") }
        }
        #expect(throws: Never.self) { try NPY.parse(NPY.headerBytes(descr: "<f4", shape: [0, 1 << 20, 1 << 20]), name: "fine.npy").tensor() }
    }

    @Test func npzArchivesSurviveRandomCorruption() throws {
        let generator = RandomGenerator(seed: 5)
        let members = [(name: "a", npyBytes: Self.npySample), (name: "b", npyBytes: NPY.encode(IntTensor([1, 2, 3])))]
        for compressed in [false, true] {
            let archive = try NPZ.encode(members, compressed: compressed)
            for trial in 0..<300 {
                let bytes = trial % 2 == 0 ? truncate(archive, generator) : flipBytes(archive, generator)
                do {
                    let parsed = try NPZ.parse(bytes, name: "fuzz.npz")
                    for (_, array) in parsed.arrays { #expect(array.count <= bytes.count * 1032); _ = array.tensor() }
                } catch is DataError {
                } catch {
                    Issue.record("#\(trial): a \(type(of: error)) instead of a DataError: \(error)")
                }
            }
        }
    }
}

// MARK: Corruptions

private func randomBytes(_ generator: RandomGenerator, count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
}

private func truncate(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    Array(bytes.prefix(generator.integer(in: 0..<bytes.count)))
}

private func flipBytes(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    var result = bytes
    for _ in 0..<(1 + generator.integer(in: 0..<4)) {
        result[generator.integer(in: 0..<result.count)] ^= UInt8(truncatingIfNeeded: 1 + generator.integer(in: 0..<255))
    }
    return result
}

private func headerLength(_ bytes: [UInt8]) -> Int {
    (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
}

private func flipHeaderBytes(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    var result = bytes
    let length = headerLength(bytes)
    for _ in 0..<(1 + generator.integer(in: 0..<3)) {
        result[8 + generator.integer(in: 0..<length)] = UInt8(truncatingIfNeeded: generator.next())
    }
    return result
}

private func lieAboutHeaderLength(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    let truth = UInt64(headerLength(bytes))
    let choices: [UInt64] = [0, 1, 7, truth - 1, truth + 1, truth + 8, UInt64(bytes.count), UInt64(bytes.count) - 8,
                             100_000_000, 100_000_001, UInt64(Int.max), UInt64.max, generator.next(), generator.next() >> 40]
    let lie = choices[generator.integer(in: 0..<choices.count)]
    return (0..<8).map { UInt8(truncatingIfNeeded: lie >> (8 * UInt64($0))) } + bytes[8...]
}

/// The header's text with `edit` applied, re-framed with a correct length (and the data unchanged).
private func editHeader(_ bytes: [UInt8], _ edit: (String) -> String) -> [UInt8] {
    let length = headerLength(bytes)
    let text = String(decoding: bytes[8..<8 + length], as: UTF8.self)
    return safetensorsFile(header: edit(text), data: Array(bytes[(8 + length)...]))
}

private func breakJSON(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    editHeader(bytes) { text in
        var characters = Array(text)
        let position = generator.integer(in: 0..<characters.count)
        let replacements: [Character] = ["{", "}", "[", "]", "\"", ",", ":", "0", "9", "-", "e", ".", "\\", " ", "x", "\u{0}"]
        switch generator.integer(in: 0..<3) {
        case 0: characters.remove(at: position)
        case 1: characters[position] = replacements[generator.integer(in: 0..<replacements.count)]
        default: characters.insert(replacements[generator.integer(in: 0..<replacements.count)], at: position)
        }
        return String(characters)
    }
}

/// Replaces the `index`-th run of digits in the header with `replacement`.
private func replaceNumber(in text: String, index: Int, with replacement: String) -> String {
    var result = "", digits = "", seen = 0
    func flush() {
        guard !digits.isEmpty else { return }
        result += seen == index ? replacement : digits
        seen += 1
        digits = ""
    }
    for character in text {
        if character.isASCII && character.isNumber { digits.append(character) } else { flush(); result.append(character) }
    }
    flush()
    return result
}

private func numberCount(_ text: String) -> Int {
    var count = 0, inDigits = false
    for character in text {
        let digit = character.isASCII && character.isNumber
        if digit && !inDigits { count += 1 }
        inDigits = digit
    }
    return count
}

private func moveOffsets(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    editHeader(bytes) { text in
        let values = ["0", "1", "3", "64", "65", "1000", "4294967296", "9223372036854775807", "9223372036854775808",
                      "18446744073709551615", "99999999999999999999999", String(generator.integer(in: 0..<200))]
        return replaceNumber(in: text, index: generator.integer(in: 0..<numberCount(text)),
                             with: values[generator.integer(in: 0..<values.count)])
    }
}

private func overlapTensors(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    // Shift one data_offsets pair down so that it overlaps its neighbour (or leaves a gap, shifting up).
    editHeader(bytes) { text in
        guard let range = text.range(of: "\"data_offsets\":[", options: [], range: nil) else { return text }
        var occurrences: [Range<String.Index>] = [range]
        while let next = text.range(of: "\"data_offsets\":[", range: occurrences.last!.upperBound..<text.endIndex) { occurrences.append(next) }
        let chosen = occurrences[generator.integer(in: 0..<occurrences.count)]
        let end = text[chosen.upperBound...].firstIndex(of: "]")!
        let pair = text[chosen.upperBound..<end].split(separator: ",").compactMap { Int($0) }
        guard pair.count == 2 else { return text }
        let shift = [-8, -4, -2, -1, 1, 2, 4][generator.integer(in: 0..<7)]
        return text.replacingCharacters(in: chosen.upperBound..<end, with: "\(max(0, pair[0] + shift)),\(max(0, pair[1] + shift))")
    }
}

private func declareHugeSizes(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    editHeader(bytes) { text in
        guard let range = text.range(of: "\"shape\":[") else { return text }
        let end = text[range.upperBound...].firstIndex(of: "]")!
        let shapes = ["1099511627776", "4294967296,4294967296", "0,4294967296,4294967296", "9223372036854775807",
                      "18446744073709551615", "1e12", "-1", "3.5", "1099511627776,0", "\"3\"", "null"]
        return text.replacingCharacters(in: range.upperBound..<end, with: shapes[generator.integer(in: 0..<shapes.count)])
    }
}

private func duplicateNames(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    editHeader(bytes) { text in
        let names = ["layer.weight", "layer.bias", "steps", "scale", "nothing"]
        let from = names[generator.integer(in: 0..<names.count)], to = names[generator.integer(in: 0..<names.count)]
        guard let range = text.range(of: "\"\(from)\"") else { return text }
        return text.replacingCharacters(in: range, with: "\"\(to)\"")
    }
}

private func npyHeaderLength(_ bytes: [UInt8]) -> Int { Int(bytes[8]) | Int(bytes[9]) << 8 }

private func flipNPYHeaderBytes(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    var result = bytes
    result[10 + generator.integer(in: 0..<npyHeaderLength(bytes))] = UInt8(truncatingIfNeeded: generator.next())
    return result
}

private func lieAboutNPYHeaderLength(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    var result = bytes
    let lie = [0, 1, 10, npyHeaderLength(bytes) - 1, npyHeaderLength(bytes) + 1, 65535, bytes.count, generator.integer(in: 0..<65536)]
    let value = lie[generator.integer(in: 0..<lie.count)]
    result[8] = UInt8(value & 0xFF)
    result[9] = UInt8(value >> 8 & 0xFF)
    return result
}

/// The NPY file with its header literal edited (kept at its length with padding, so only the text changes).
private func editNPYHeader(_ bytes: [UInt8], _ edit: (String) -> String) -> [UInt8] {
    let length = npyHeaderLength(bytes)
    let text = String(decoding: bytes[10..<10 + length], as: UTF8.self)
    var edited = Array(edit(text.droppingTrailing(" \n")).utf8)
    edited += [UInt8](repeating: UInt8(ascii: " "), count: max(0, length - 1 - edited.count)) + [10]
    return Array(bytes[0..<8]) + [UInt8(edited.count & 0xFF), UInt8(edited.count >> 8 & 0xFF)] + edited + bytes[(10 + length)...]
}

private func declareHugeNPYShape(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    editNPYHeader(bytes) { text in
        let shapes = ["(1099511627776,)", "(4294967296, 4294967296)", "(0, 4294967296, 4294967296)", "(9223372036854775807, 2)",
                      "(18446744073709551615,)", "(2, 5, 1099511627776)", "(1099511627776, 0)", "(-1,)", "(10,)", "(5, 2)", "()"]
        guard let start = text.range(of: "'shape': "), let end = text.range(of: ", }") else { return text }
        return text.replacingCharacters(in: start.upperBound..<end.lowerBound, with: shapes[generator.integer(in: 0..<shapes.count)])
    }
}

private func breakNPYLiteral(_ bytes: [UInt8], _ generator: RandomGenerator) -> [UInt8] {
    editNPYHeader(bytes) { text in
        var characters = Array(text)
        let position = generator.integer(in: 0..<characters.count)
        let replacements: [Character] = ["{", "}", "(", ")", "'", ",", ":", "0", "9", "L", "[", "]", "\\", " ", "x"]
        switch generator.integer(in: 0..<3) {
        case 0: characters.remove(at: position)
        case 1: characters[position] = replacements[generator.integer(in: 0..<replacements.count)]
        default: characters.insert(replacements[generator.integer(in: 0..<replacements.count)], at: position)
        }
        return String(characters)
    }
}

private extension String {
    func droppingTrailing(_ set: String) -> String {
        var result = Substring(self)
        while let last = result.last, set.contains(last) { result.removeLast() }
        return String(result)
    }
}
