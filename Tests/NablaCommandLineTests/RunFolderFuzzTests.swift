import Foundation
import Nabla
import NablaData
import NablaViz
import Testing

/// The run-folder reader (what `nabla report` reads) over 1,000 damaged or hostile run folders: every
/// file truncated, flipped, emptied, replaced by random bytes, by extreme numbers, by a folder, a FIFO or
/// a link loop. `RunFolder` must read each without trapping (its problems become notes), and a report
/// must still be written for a sample of them.
@Suite struct RunFolderFuzzTests {
    static let config = #"{"model": "mlp", "epochs": 3, "optimizer": {"name": "adam", "lr": 0.001}, "batch_size": 64}"#
    static let metrics = (1...3).map { #"{"epoch": \#($0), "train_loss": \#(1.0 / Double($0)), "val_loss": 0.5, "val_accuracy": 0.8, "learning_rate": 0.001}"# }
        .joined(separator: "\n") + "\n"
    static let summary = #"{"test_accuracy": 0.874, "test_loss": 0.36}"#
    static let confusion = #"{"class_names": ["a", "b", "c"], "matrix": [[5, 1, 0], [0, 6, 1], [2, 0, 4]]}"#
    static let samplesLabels = #"{"predicted": [0, 1], "true": [0, 2], "class_names": ["a", "b", "c"]}"#
    static let samples = NPY.encode(Tensor((0..<(2 * 1 * 4 * 4)).map { Float($0) / 32 }, shape: [2, 1, 4, 4]))

    static let files: [(String, [UInt8])] = [
        (RunFolder.configFile, Array(config.utf8)), (RunFolder.metricsFile, Array(metrics.utf8)),
        (RunFolder.summaryFile, Array(summary.utf8)), (RunFolder.confusionFile, Array(confusion.utf8)),
        (RunFolder.samplesLabelsFile, Array(samplesLabels.utf8)), (RunFolder.samplesFile, samples),
    ]
    /// Values that have broken readers: huge, negative, non-finite, wrong types, deep nesting.
    static let hostileValues = ["1e308", "-1e308", "1e400", "-1", "NaN", "Infinity", "-Infinity", "9223372036854775808",
                                "18446744073709551616", "\"text\"", "null", "[]", "{}", "true", String(repeating: "[", count: 10_000),
                                "0.5", "1e-320", "[" + String(repeating: "1,", count: 5000) + "1]"]

    /// One damaged copy of `bytes`.
    static func damage(_ bytes: [UInt8], _ generator: inout FuzzGenerator) -> [UInt8] {
        var result = bytes
        switch generator.below(8) {
        case 0: result = Array(bytes.prefix(generator.below(bytes.count + 1)))            // truncated (a killed writer)
        case 1: for _ in 0..<(1 + generator.below(4)) where !result.isEmpty { result[generator.below(result.count)] ^= UInt8(1 << generator.below(8)) }
        case 2: result = []
        case 3: result = (0..<generator.below(300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        case 4:
            // Every number in the text replaced by a hostile value.
            let text = String(decoding: bytes, as: UTF8.self)
            let value = generator.pick(hostileValues)
            var output = "", inNumber = false
            for character in text {
                if character.isNumber || character == "." {
                    if !inNumber { output += value; inNumber = true }
                } else { inNumber = false; output.append(character) }
            }
            result = Array(output.utf8)
        case 5: result = bytes + bytes                                                       // written twice
        case 6: result = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"", with: "").utf8)
        default: if !result.isEmpty { result.insert(contentsOf: Array(generator.pick(hostileValues).utf8), at: generator.below(result.count)) }
        }
        return result
    }

    @Test func damagedRunFoldersAreReadWithoutTrapping() throws {
        var generator = FuzzGenerator(state: 99)
        let root = NSTemporaryDirectory() + "/nabla-run-fuzz-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        var outcomes = (folders: 0, problems: 0, reports: 0)
        for trial in 0..<1000 {
            let folder = root + "/run\(trial)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (name, bytes) in Self.files {
                let path = folder + "/" + name
                switch generator.below(12) {
                case 0: continue                                                             // missing
                case 1: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                case 2 where trial % 50 == 0: _ = mkfifo(path, 0o600)                        // would block a plain read
                case 3 where trial % 50 == 1: try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: path)
                case 4, 5, 6, 7, 8: FileManager.default.createFile(atPath: path, contents: Data(Self.damage(bytes, &generator)))
                default: FileManager.default.createFile(atPath: path, contents: Data(bytes))   // no fsync: 6,000 files
                }
            }
            let run = RunFolder(url: URL(fileURLWithPath: folder))
            outcomes.folders += 1
            for result in [run.config.map { _ in () }, run.metrics.map { _ in () }, run.summary.map { _ in () },
                           run.confusion.map { _ in () }, run.samples.map { _ in () }] {
                if case .failure = result { outcomes.problems += 1 }
            }
            // Writing the report (charts, PNGs, HTML) for one folder in a hundred: it is what a user runs, but
            // a debug build takes a second or more per report.
            if trial % 100 == 0 {
                _ = try? writeRunReport(runFolder: URL(fileURLWithPath: folder))
                outcomes.reports += 1
            }
        }
        #expect(outcomes.folders == 1000)
        print("run-folder fuzz: \(outcomes.folders) damaged folders read, \(outcomes.problems) file problems reported, \(outcomes.reports) reports written, 0 traps")
    }
}
