import Foundation
import NablaData

/// The folder one training run writes, and what `nabla report` reads. This comment is the contract
/// between the two sides; every file is optional, and the report says plainly which ones are missing.
///
/// ```
/// RUN_DIR/
///   config.json      one JSON object: the run's settings (any keys; nested objects are shown with
///                    dotted keys). {"model": "mlp", "epochs": 10, "optimizer": {"name": "adam", "lr": 0.001}}
///   metrics.jsonl    one JSON object per line, appended as training goes, e.g.
///                    {"epoch": 1, "train_loss": 0.61, "val_loss": 0.48, "val_accuracy": 0.83, "learning_rate": 0.001, "seconds": 4.2}
///                    Every key becomes a table column. Every key ending in "loss" is drawn in the loss
///                    chart, every key ending in "accuracy" in the accuracy chart, against "epoch" (or
///                    "step" when epochs do not increase from line to line, or the line number when
///                    neither is there). Lines may have different keys; a line that is not valid JSON
///                    (a run killed mid-write) is skipped with a note. NaN and Infinity are accepted.
///   summary.json     one JSON object of final figures: {"test_accuracy": 0.874, "test_loss": 0.36}
///   confusion.json   {"class_names": ["T-shirt/top", ...], "matrix": [[812, 3, ...], ...]}
///                    matrix[true class][predicted class] = count; square, one row per class name.
///   samples.npy      test images, float32 N×C×H×W (C = 1 or 3), values in [0, 1]; NPY version 1.0,
///                    little-endian '<f4', C order (numpy.save writes exactly this).
///   samples.json     {"predicted": [3, 1, ...], "true": [3, 7, ...], "class_names": ["T-shirt/top", ...]}
///                    one predicted and one true class index per image in samples.npy.
/// ```
///
/// `nabla report RUN_DIR` (or `writeRunReport(runFolder:)`) adds report.html, loss.png, accuracy.png,
/// confusion.png and samples.png to the folder.
public struct RunFolder {
    public static let configFile = "config.json"
    public static let metricsFile = "metrics.jsonl"
    public static let summaryFile = "summary.json"
    public static let confusionFile = "confusion.json"
    public static let samplesFile = "samples.npy"
    public static let samplesLabelsFile = "samples.json"
    public static let reportFile = "report.html"

    public let url: URL
    /// config.json's keys and values, or why there are none.
    public var config: Result<[JSONMember], RunFileError>
    /// One row per valid line of metrics.jsonl, or why there are none.
    public var metrics: Result<[[JSONMember]], RunFileError>
    /// Lines of metrics.jsonl that were skipped, and why.
    public var metricsWarnings: [String] = []
    public var summary: Result<[JSONMember], RunFileError>
    public var confusion: Result<ConfusionMatrix, RunFileError>
    public var samples: Result<TestSamples, RunFileError>

    /// Test images with what the model said and what was right.
    public struct TestSamples {
        /// N×C×H×W float32 values in [0, 1].
        public var shape: [Int]
        public var values: [Float]
        public var predicted: [Int]
        public var truth: [Int]
        public var classNames: [String]
        /// Set when the label lists and the images disagree in length (the shorter count is shown).
        public var warning: String?

        public func className(_ index: Int) -> String {
            index >= 0 && index < classNames.count ? classNames[index] : String(index)
        }
    }

    /// Reads every file it can; problems become `.failure` values, never a thrown error, so a report
    /// can always be written.
    public init(url: URL) {
        self.url = url
        config = RunFolder.readObject(url.appendingPathComponent(RunFolder.configFile))
        summary = RunFolder.readObject(url.appendingPathComponent(RunFolder.summaryFile))
        metrics = .failure(RunFileError(file: RunFolder.metricsFile, problem: "is missing"))
        confusion = RunFolder.readConfusion(url.appendingPathComponent(RunFolder.confusionFile))
        samples = RunFolder.readSamples(in: url)
        readMetrics(url.appendingPathComponent(RunFolder.metricsFile))
    }

    /// Whether the run classified something: it left a confusion matrix or test images (even broken
    /// ones), or its summary or metrics name an accuracy. Only such runs are expected to have
    /// confusion.json and samples.npy.
    public var isClassifierRun: Bool {
        func present<Value>(_ result: Result<Value, RunFileError>) -> Bool {
            if case .failure(let error) = result { return error.problem != "is missing" }
            return true
        }
        if present(confusion) || present(samples) { return true }
        let namesAccuracy = { (members: [JSONMember]) in members.contains { $0.key.lowercased().contains("accuracy") } }
        if case .success(let members) = summary, namesAccuracy(members) { return true }
        if case .success(let rows) = metrics, rows.contains(where: namesAccuracy) { return true }
        return false
    }

    private mutating func readMetrics(_ file: URL) {
        let text: String
        switch RunFolder.readText(file) {
        case .failure(let error):
            metrics = .failure(error)
            return
        case .success(let contents):
            text = contents
        }
        var rows: [[JSONMember]] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            do {
                guard let members = try JSONValue.parse(trimmed, rules: .python).members else {
                    metricsWarnings.append("line \(index + 1) is not a JSON object; skipped")
                    continue
                }
                rows.append(members)
            } catch {
                metricsWarnings.append("line \(index + 1) is not valid JSON (\(error)); skipped")
            }
        }
        metrics = rows.isEmpty ? .failure(RunFileError(file: RunFolder.metricsFile, problem: "has no metrics in it")) : .success(rows)
    }

    static func readText(_ file: URL) -> Result<String, RunFileError> {
        let name = file.lastPathComponent
        // NablaData's reader, not Data(contentsOf:): it refuses a FIFO or device in the folder (which
        // would block or never end), files past the memory budget, and says why a file cannot be read.
        let data: [UInt8]
        do {
            data = try FileReading.bytes(at: file.path)
        } catch let error as DataError {
            return .failure(RunFileError(file: name, problem: error.kind == .notFound && error.message == "no such file" ? "is missing" : "cannot be read: \(error.message)"))
        } catch {
            return .failure(RunFileError(file: name, problem: "cannot be read: \(error)"))
        }
        let text = String(decoding: data, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .failure(RunFileError(file: name, problem: "is empty")) }
        return .success(text)
    }

    static func readJSON(_ file: URL) -> Result<JSONValue, RunFileError> {
        readText(file).flatMap { text in
            do {
                return .success(try JSONValue.parse(text, rules: .python))
            } catch {
                return .failure(RunFileError(file: file.lastPathComponent, problem: "is not valid JSON (\(error))"))
            }
        }
    }

    static func readObject(_ file: URL) -> Result<[JSONMember], RunFileError> {
        readJSON(file).flatMap { value in
            guard let members = value.members else {
                return .failure(RunFileError(file: file.lastPathComponent, problem: "does not hold a JSON object"))
            }
            return members.isEmpty ? .failure(RunFileError(file: file.lastPathComponent, problem: "holds an empty object")) : .success(members)
        }
    }

    static func readConfusion(_ file: URL) -> Result<ConfusionMatrix, RunFileError> {
        readJSON(file).flatMap { value in
            func fail(_ problem: String) -> Result<ConfusionMatrix, RunFileError> {
                .failure(RunFileError(file: file.lastPathComponent, problem: problem))
            }
            guard let rows = value["matrix"]?.array else { return fail("has no \"matrix\" array") }
            var counts: [[Int]] = []
            for row in rows {
                // Counts past 2⁵³ are not counts a run wrote, and Int() of a larger double would trap.
                guard let cells = row.array, cells.allSatisfy({ ($0.number ?? -1) >= 0 && $0.number! <= 9.0e15 }) else {
                    return fail("has a matrix row that is not a list of non-negative whole numbers (at most 9×10¹⁵)")
                }
                counts.append(cells.map { Int($0.number!.rounded()) })
            }
            guard !counts.isEmpty else { return fail("has an empty matrix") }
            guard counts.count <= 1000 else { return fail("has \(counts.count) classes; the report draws at most 1000") }
            guard counts.allSatisfy({ $0.count == counts.count }) else {
                return fail("has a matrix that is not square (\(counts.count) rows of lengths \(counts.map(\.count)))")
            }
            var names = (value["class_names"]?.array ?? []).map(\.displayText)
            if names.count != counts.count {
                names = (0..<counts.count).map(String.init)   // indices rather than misaligned names
            }
            return .success(ConfusionMatrix(classNames: names, counts: counts))
        }
    }

    static func readSamples(in folder: URL) -> Result<TestSamples, RunFileError> {
        let imagesFile = folder.appendingPathComponent(samplesFile)
        guard FileManager.default.fileExists(atPath: imagesFile.path) else {
            return .failure(RunFileError(file: samplesFile, problem: "is missing"))
        }
        let array: (shape: [Int], values: [Float])
        do {
            let images = try NPY.read(imagesFile.path).tensor()
            array = (images.shape, images.scalars)
        } catch let error as DataError {
            return .failure(RunFileError(file: samplesFile, problem: "cannot be read: \(error.message)"))
        } catch {
            return .failure(RunFileError(file: samplesFile, problem: "cannot be read (\(error))"))
        }
        guard array.shape.count == 4, array.shape[1] == 1 || array.shape[1] == 3, array.shape[2] > 0, array.shape[3] > 0 else {
            return .failure(RunFileError(file: samplesFile, problem: "has shape \(array.shape); expected N×C×H×W with C = 1 or 3"))
        }
        guard array.shape[0] > 0 else { return .failure(RunFileError(file: samplesFile, problem: "holds no images")) }
        var samples = TestSamples(shape: array.shape, values: array.values, predicted: [], truth: [], classNames: [])
        switch readJSON(folder.appendingPathComponent(samplesLabelsFile)) {
        case .failure(let error):
            samples.warning = "\(error.description), so the images are shown without labels"
        case .success(let labels):
            // A class index outside Int's range (or NaN) becomes -1, shown as itself, instead of trapping in Int().
            func indices(_ key: String) -> [Int] {
                (labels[key]?.array ?? []).compactMap { $0.number }.map { abs($0) < 9.0e15 ? Int($0) : -1 }
            }
            samples.predicted = indices("predicted")
            samples.truth = indices("true")
            samples.classNames = (labels["class_names"]?.array ?? []).map(\.displayText)
            let count = array.shape[0]
            if samples.predicted.count != count || samples.truth.count != count {
                samples.warning = "\(samplesLabelsFile) has \(samples.predicted.count) predicted and \(samples.truth.count) true labels for \(count) images"
            }
        }
        return .success(samples)
    }
}

/// A problem with one file of a run folder, in words the report can show: "metrics.jsonl is empty".
public struct RunFileError: Error, CustomStringConvertible {
    public let file: String
    public let problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file) \(problem)" }
}
