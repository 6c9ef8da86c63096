import Foundation
import Nabla
import NablaData
#if canImport(Glibc)
import Glibc
#endif

/// Writes a training run's files in the layout `nabla report` reads (see NablaViz's `RunFolder`):
/// config.json, metrics.jsonl and metrics.csv (rewritten whole after every epoch, atomically, so a crash
/// never leaves half a line), summary.json, confusion.json, and a few test images with their predicted
/// and true labels (samples.npy, samples.json).
///
/// Opening a writer guards the folder: an empty path is refused; a folder holding files is refused unless
/// the run resumes it or `overwrite` is set; an exclusive lock (`flock` on `.lock`, holding the owner's
/// process id) is held until the writer is released, so a second run on the same folder is refused with
/// the first one's id; and temporary files left by a killed atomic write (`.NAME.tmp-XXXXXX`) are removed.
///
/// Metrics that are not finite (a diverged loss) are written as Python's json module writes them:
/// `NaN`, `Infinity` and `-Infinity` in metrics.jsonl, and `nan`, `inf`, `-inf` in metrics.csv (what
/// pandas reads); NablaViz's run-folder reader accepts both.
public final class RunFolderWriter {
    public enum Mode: Equatable {
        /// A new run: the folder must not exist or be empty, unless `overwrite`.
        case create(overwrite: Bool)
        /// Continue the run already in the folder.
        case resume
    }

    public let folder: URL
    /// Every stage's rows, stages in the order they first wrote (a lab runs its stages in a fixed order,
    /// fresh or resumed, so this is the order of a run that was never interrupted).
    private var stages: [(name: String, rows: [[String: Double]])] = []
    /// Every epoch row of the run, stage after stage (without the stage's name; see `metrics(ofStage:)`).
    public var metrics: [[String: Double]] { stages.flatMap(\.rows) }
    /// The metric keys in order of first appearance (the columns of metrics.csv).
    public private(set) var metricColumns: [String] = []
    private var lockDescriptor: Int32 = -1

    /// The files a run writes; `overwrite` removes these (and only these) before the new run starts.
    static let runFiles = ["config.json", "metrics.jsonl", "metrics.csv", "summary.json", "confusion.json", "samples.npy",
                           "samples.json", "model.safetensors", "report.html", "report-sections.html", "result.json"]

    public init(folder: URL, mode: Mode) throws {
        guard !folder.path.isEmpty, !folder.relativePath.isEmpty else {
            throw RunFolderError("the run folder path is empty; name a folder, e.g. --output runs/my-run")
        }
        self.folder = folder
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError("cannot create the run folder \(folder.path): \(error.localizedDescription)")
        }
        try lock()
        let contents = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0 != ".lock" }
        removeTemporaryFiles(contents)
        switch mode {
        case .resume:
            break
        case .create(let overwrite):
            let kept = contents.filter { !Self.isTemporary($0) }
            if !kept.isEmpty && !overwrite {
                release()
                throw RunFolderError("the run folder \(folder.path) is not empty (it holds \(kept.sorted().prefix(5).joined(separator: ", "))\(kept.count > 5 ? ", …" : "")); "
                                     + "continue that run with --resume \(folder.path), pass --overwrite to replace it, or choose another --output")
            }
            if overwrite {
                for name in kept where Self.runFiles.contains(name) || name.hasSuffix(".png") || name.hasPrefix("checkpoint") {
                    try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
                }
            }
        }
    }

    deinit { release() }

    /// Gives up the folder's lock (also done when the writer is released).
    public func release() {
        guard lockDescriptor >= 0 else { return }
        flock(lockDescriptor, LOCK_UN)
        close(lockDescriptor)
        lockDescriptor = -1
    }

    private func lock() throws {
        let path = self.path(".lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RunFolderError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw RunFolderError("the run folder \(folder.path) is in use by another run (process \(holder.isEmpty ? "unknown" : holder)); "
                                 + "wait for it to finish, or choose another --output")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        lockDescriptor = descriptor
    }

    /// Temporary files of atomic writes are named `.NAME.tmp-XXXXXX` (see `writeFileAtomically`).
    static func isTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        return name[range.upperBound...].count == 6
    }

    /// Only called while holding the lock, so no other writer's temporary file is in flight.
    private func removeTemporaryFiles(_ names: [String]) {
        for name in names where Self.isTemporary(name) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    public func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Writes `object` (JSONSerialization types) as pretty JSON with sorted keys, atomically.
    public func writeJSON(_ object: Any, to name: String) throws {
        let data = try JSONSerialization.data(withJSONObject: Self.finite(object), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try writeFileAtomically([UInt8](data) + [10], to: path(name))
    }

    /// Non-finite numbers (JSONSerialization refuses them) become the strings "NaN", "Infinity", "-Infinity".
    static func finite(_ object: Any) -> Any {
        switch object {
        case let value as Double where !value.isFinite: return text(value)
        case let value as Float where !value.isFinite: return text(Double(value))
        case let dictionary as [String: Any]: return dictionary.mapValues(finite)
        case let array as [Any]: return array.map(finite)
        default: return object
        }
    }

    /// The rows one stage has written (all of a single-stage run's rows under the stage "").
    public func metrics(ofStage stage: String) -> [[String: Double]] {
        stages.first { $0.name == stage }?.rows ?? []
    }

    /// Adds one epoch's figures (in their order) to `stage`'s rows and rewrites metrics.jsonl and metrics.csv.
    ///
    /// The files are always rebuilt whole from the stages' rows, so they hold each epoch once. When any
    /// stage has a name (a lab that trains several times), every line starts with `"stage": "<name>"`
    /// (a text column `stage` in metrics.csv), since the epochs count from 1 again in each stage; a run
    /// with one unnamed stage writes no such column.
    public func append(epochMetrics row: [(key: String, value: Double)], stage: String = "") throws {
        for (key, _) in row where !metricColumns.contains(key) { metricColumns.append(key) }
        let values = Dictionary(row, uniquingKeysWith: { _, last in last })
        if let index = stages.firstIndex(where: { $0.name == stage }) {
            stages[index].rows.append(values)
        } else {
            stages.append((stage, [values]))
        }
        try writeMetrics()
    }

    /// Replaces `stage`'s rows with those of its checkpoint (a resumed run) and rewrites the files: epochs
    /// written after that checkpoint are dropped, and the other stages' rows are kept, so a resumed
    /// multi-stage run, restoring its stages one after another, ends with each row exactly once.
    public func restore(metrics rows: [[String: Double]], columns: [String], stage: String = "") throws {
        for key in columns where !metricColumns.contains(key) { metricColumns.append(key) }
        for row in rows { for key in row.keys.sorted() where !metricColumns.contains(key) { metricColumns.append(key) } }
        if let index = stages.firstIndex(where: { $0.name == stage }) {
            stages[index].rows = rows
        } else {
            stages.append((stage, rows))
        }
        if !rows.isEmpty { try writeMetrics() }
    }

    private func writeMetrics() throws {
        let named = stages.contains { !$0.name.isEmpty }
        var lines: [String] = [], csvRows: [String] = []
        for (stage, rows) in stages {
            for row in rows {
                let fields = metricColumns.compactMap { key in row[key].map { "\"\(key)\":\(Self.number($0))" } }
                lines.append("{" + ((named ? ["\"stage\":" + Self.jsonString(stage)] : []) + fields).joined(separator: ",") + "}")
                let cells = metricColumns.map { row[$0].map(Self.csvNumber) ?? "" }
                csvRows.append(((named ? [Self.csvText(stage)] : []) + cells).joined(separator: ","))
            }
        }
        try writeFileAtomically(lines.joined(separator: "\n") + "\n", to: path("metrics.jsonl"))
        let header = ((named ? ["stage"] : []) + metricColumns).joined(separator: ",")
        try writeFileAtomically(([header] + csvRows).joined(separator: "\n") + "\n", to: path("metrics.csv"))
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    /// `text` as a CSV cell, quoted when it holds a comma, a quote or a line break.
    static func csvText(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The confusion matrix: rows are true classes, columns predicted ones.
    public func writeConfusion(predictions: [Int], labels: [Int], classNames: [String]) throws {
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classNames.count), count: classNames.count)
        for (predicted, actual) in zip(predictions, labels) where classNames.indices.contains(predicted) && classNames.indices.contains(actual) {
            matrix[actual][predicted] += 1
        }
        try writeJSON(["class_names": classNames, "matrix": matrix], to: "confusion.json")
    }

    /// The first `count` test images (values in [0, 1]) with what the model said about them.
    public func writeSamples(images: Tensor, predictions: [Int], labels: [Int], classNames: [String]) throws {
        try NPY.write(images, to: path("samples.npy"))
        try writeJSON(["predicted": predictions, "true": labels, "class_names": classNames], to: "samples.json")
    }

    /// Integers without a decimal point, other values with enough digits to read back exactly, and
    /// non-finite values as Python's json writes them.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return text(value) }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func csvNumber(_ value: Double) -> String {
        value.isNaN ? "nan" : value.isInfinite ? (value > 0 ? "inf" : "-inf") : number(value)
    }

    static func text(_ value: Double) -> String { value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity" }
}

/// A run folder that cannot be used: an empty path, a folder in use or not empty, a bad checkpoint.
public struct RunFolderError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
