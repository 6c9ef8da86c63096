import Foundation
import NablaData
import Testing
@testable import NablaViz

// The run report: a synthetic run folder in the documented format gives every section with images that
// decode; empty and partial folders still give a report that says what is missing.

/// An NPY version 1.0 file of float32 values, as numpy.save writes it.
func npyFile(shape: [Int], values: [Float]) -> Data {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
    // numpy pads the header with spaces and a newline so the data starts on a 64-byte boundary.
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    bytes += Array(header.utf8)
    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    return Data(bytes)
}

/// A complete run folder: ten epochs of a Fashion-MNIST-like run with twelve 28×28 test images.
func writeSyntheticRun(to folder: URL, sampleCount: Int = 12) throws {
    let names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    let quotedNames = "[" + names.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    try #"{"model": "mlp", "hidden": [256, 128], "epochs": 10, "optimizer": {"name": "adam", "learning_rate": 0.001}, "note": "<b>not bold</b> & fine"}"#
        .write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    var lines: [String] = []
    for epoch in 1...10 {
        let train = 2.3 * exp(-0.5 * Double(epoch)) + 0.2, validation = train + 0.05 * Double(epoch) / 10 + 0.03
        lines.append(#"{"epoch": \#(epoch), "train_loss": \#(train), "val_loss": \#(validation), "train_accuracy": \#(0.6 + 0.03 * Double(epoch)), "val_accuracy": \#(0.58 + 0.028 * Double(epoch)), "learning_rate": 0.001, "seconds": 3.5}"#)
    }
    lines.append(#"{"epoch": 11, "train_lo"#)   // a run killed mid-write leaves half a line
    try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
    try #"{"test_accuracy": 0.8731, "test_loss": 0.3571, "parameters": 235146}"#
        .write(to: folder.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
    var rows: [String] = []
    for row in 0..<10 { rows.append("[" + (0..<10).map { $0 == row ? "\(850 + row * 10)" : "\((row * 3 + $0) % 13)" }.joined(separator: ",") + "]") }
    try #"{"class_names": \#(quotedNames), "matrix": [\#(rows.joined(separator: ","))]}"#
        .write(to: folder.appendingPathComponent("confusion.json"), atomically: true, encoding: .utf8)
    var pixels: [Float] = []
    for item in 0..<sampleCount {
        for row in 0..<28 {
            for column in 0..<28 {
                let dx = Double(column - 14), dy = Double(row - 14)
                pixels.append(Float(max(0, 1 - (dx * dx + dy * dy).squareRoot() / Double(4 + item))))
            }
        }
    }
    try npyFile(shape: [sampleCount, 1, 28, 28], values: pixels).write(to: folder.appendingPathComponent("samples.npy"))
    let predicted = (0..<sampleCount).map { $0 % 10 }, truth = (0..<sampleCount).map { $0 % 4 == 3 ? ($0 + 1) % 10 : $0 % 10 }
    try #"{"predicted": \#(predicted), "true": \#(truth), "class_names": \#(quotedNames)}"#
        .write(to: folder.appendingPathComponent("samples.json"), atomically: true, encoding: .utf8)
}

/// The PNGs embedded in `html` as data URIs, decoded.
func embeddedImages(in html: String) throws -> [Bitmap] {
    var images: [Bitmap] = []
    var rest = html[...]
    while let start = rest.range(of: "src=\"data:image/png;base64,") {
        let end = rest[start.upperBound...].firstIndex(of: "\"")!
        let data = try #require(Data(base64Encoded: String(rest[start.upperBound..<end])))
        images.append(try PNG.decode([UInt8](data), source: "embedded image"))
        rest = rest[end...]
    }
    return images
}

@Suite struct ReportTests {
    @Test func fullRunFolderGivesEverySection() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeSyntheticRun(to: folder)
        let reportURL = try writeRunReport(runFolder: folder)
        #expect(reportURL == folder.appendingPathComponent("report.html"))
        let html = try String(contentsOf: reportURL, encoding: .utf8)
        for section in ["id=\"summary\"", "id=\"curves\"", "id=\"confusion\"", "id=\"samples\"", "id=\"metrics\"", "id=\"configuration\""] {
            #expect(html.contains(section), "missing \(section)")
        }
        for text in ["test_accuracy", "0.8731", "val_accuracy", "optimizer.learning_rate", "&lt;b&gt;not bold&lt;/b&gt; &amp; fine",
                     "line 11 is not valid JSON", "3 of the 12 shown are predicted wrongly"] {
            #expect(html.contains(text), "report lacks \(text)")
        }
        #expect(!html.contains("<b>not bold</b>"), "configuration text must be escaped")
        #expect(!html.contains("http://") && !html.contains("https://"), "the page must not load anything from elsewhere")
        let images = try embeddedImages(in: html)
        #expect(images.count == 4)
        for name in ["loss.png", "accuracy.png", "confusion.png", "samples.png"] {
            let bitmap = try PNG.read(from: folder.appendingPathComponent(name))
            #expect(bitmap.width > 100 && bitmap.height > 100, "\(name)")
        }
        // No temporary files are left behind by the atomic writes.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func emptyFolderSaysWhatIsMissing() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let html = try String(contentsOf: try writeRunReport(runFolder: folder), encoding: .utf8)
        #expect(html.contains("No metrics were recorded (metrics.jsonl is missing or empty)"))
        #expect(html.contains("No test images were recorded (samples.npy is missing)"))
        #expect(html.contains("No confusion matrix was recorded (confusion.json is missing)"))
        #expect(html.contains("No configuration was recorded (config.json is missing)"))
        #expect(html.contains("No final figures were recorded (summary.json is missing)"))
        #expect(try embeddedImages(in: html).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("loss.png").path))
    }

    @Test func problemsBoxNamesClassifierFilesOnlyForClassifierRuns() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A regression-like run: loss only, no accuracy, no confusion matrix or test images.
        try #"{"step": 1, "loss": 0.5}"#.write(to: folder.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        try #"{"final_loss": 0.5}"#.write(to: folder.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        let plain = try RunReport(runFolder: folder)
        #expect(!plain.folder.isClassifierRun)
        let problems = { (html: String) in html.components(separatedBy: "Not everything could be shown:").dropFirst().first?.components(separatedBy: "id=\"summary\"").first ?? "" }
        let plainProblems = problems(plain.html())
        #expect(!plainProblems.contains("confusion.json"))
        #expect(!plainProblems.contains("samples.npy"))

        // The same run naming an accuracy is a classifier: the missing files are problems again.
        try #"{"final_loss": 0.5, "test_accuracy": 0.9}"#.write(to: folder.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        let classifier = try RunReport(runFolder: folder)
        #expect(classifier.folder.isClassifierRun)
        let classifierProblems = problems(classifier.html())
        #expect(classifierProblems.contains("confusion.json is missing"))
        #expect(classifierProblems.contains("samples.npy is missing"))
    }

    @Test func emptyMetricsAndBrokenFilesAreDescribed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "\n\n".write(to: folder.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        try "{not json".write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try #"{"matrix": [[1, 2], [3]]}"#.write(to: folder.appendingPathComponent("confusion.json"), atomically: true, encoding: .utf8)
        try Data([0x93, 0x4E, 0x55]).write(to: folder.appendingPathComponent("samples.npy"))
        let html = try String(contentsOf: try writeRunReport(runFolder: folder), encoding: .utf8)
        #expect(html.contains("No metrics were recorded (metrics.jsonl is missing or empty)"))
        #expect(html.contains("metrics.jsonl is empty"))
        #expect(html.contains("config.json is not valid JSON"))
        #expect(html.contains("not square"))
        #expect(html.contains("samples.npy cannot be read: holds 3 bytes, too few for an NPY header"))
    }

    @Test func metricsWithoutAccuracyOrEpochStillChart() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = (1...5).map { #"{"step": \#($0 * 100), "loss": \#($0 == 3 ? "NaN" : String(1.0 / Double($0)))}"# }
        try lines.joined(separator: "\n").write(to: folder.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        let report = try RunReport(runFolder: folder)
        guard case .success(let loss) = report.lossPicture else { Issue.record("no loss chart"); return }
        #expect((loss.figure as? LineChart)?.xLabel == "step")
        guard case .failure(let error) = report.accuracyPicture else { Issue.record("accuracy chart from nothing"); return }
        #expect(error.description.contains("no accuracy metrics"))
        #expect(report.html().contains("No curve: metrics.jsonl has no accuracy metrics"))
        #expect(report.html().contains("loss is NaN or infinite in 1 record (not drawn)."))
    }

    @Test func missingFolderIsAnError() {
        #expect(throws: RunReportError.self) { try writeRunReport(runFolder: URL(fileURLWithPath: "/nonexistent/run-folder")) }
    }

    @Test func samplesFileIsReadAndDamageIsDescribed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = npyFile(shape: [1, 1, 2, 3], values: [1, 2, 3, 4, 5, 6])
        let samples = folder.appendingPathComponent(RunFolder.samplesFile)
        try good.write(to: samples)
        guard case .success(let read) = RunFolder.readSamples(in: folder) else { Issue.record("good samples refused"); return }
        #expect(read.shape == [1, 1, 2, 3] && read.values == [1, 2, 3, 4, 5, 6])
        for damaged in [good.dropLast(3), good.prefix(12)] {
            try Data(damaged).write(to: samples)
            guard case .failure(let error) = RunFolder.readSamples(in: folder) else { Issue.record("damaged samples accepted"); continue }
            #expect(error.description.contains(RunFolder.samplesFile), "\(error)")
        }
    }

    @Test func jsonParserKeepsOrderAndAcceptsPythonSpecials() throws {
        let value = try JSONValue.parse(#"{"b": 1, "a": [true, null, "x\u00e9\n"], "loss": NaN, "big": -Infinity}"#, rules: .python)
        #expect(value.members?.map(\.key) == ["b", "a", "loss", "big"])
        #expect(value["loss"]?.number?.isNaN == true)
        #expect(value["big"]?.number == -.infinity)
        #expect(value["a"]?.array?[2].string == "xé\n")
        // Strict rules (the default) refuse Python's specials and repeated keys; Python's keep the last.
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"loss": NaN}"#) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a": 1, "a": 2}"#) }
        #expect(try JSONValue.parse(#"{"a": 1, "a": 2}"#, rules: .python)["a"]?.number == 2)
        for broken in ["", "{", "{\"a\" 1}", "[1,]", "\"unterminated", "tru", "{\"a\": 1} extra", String(repeating: "[", count: 1000)] {
            #expect(throws: JSONParseError.self, "\(broken.prefix(20))") { try JSONValue.parse(broken, rules: .python) }
        }
    }
}
