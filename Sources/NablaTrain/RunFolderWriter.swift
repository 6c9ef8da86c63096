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
    public private(set) var metrics: [[String: Double]] = []
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
        let data = try JSONSerialization.data(withJSONObject: Self.finite(object), options: [.prettyPrinted, .sortedKeys])
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

    /// Adds one epoch's figures (in their order) and rewrites metrics.jsonl and metrics.csv.
    public func append(epochMetrics row: [(key: String, value: Double)]) throws {
        for (key, _) in row where !metricColumns.contains(key) { metricColumns.append(key) }
        metrics.append(Dictionary(row, uniquingKeysWith: { _, last in last }))
        try writeMetrics()
    }

    /// Replaces the figures with a resumed run's (from its checkpoint) and rewrites the files, dropping
    /// any epoch written after that checkpoint.
    public func restore(metrics rows: [[String: Double]], columns: [String]) throws {
        metrics = rows
        metricColumns = columns
        for row in rows { for key in row.keys.sorted() where !metricColumns.contains(key) { metricColumns.append(key) } }
        if !rows.isEmpty { try writeMetrics() }
    }

    private func writeMetrics() throws {
        let lines = metrics.map { row -> String in
            "{" + metricColumns.compactMap { key in row[key].map { "\"\(key)\":\(Self.number($0))" } }.joined(separator: ",") + "}"
        }
        try writeFileAtomically(lines.joined(separator: "\n") + "\n", to: path("metrics.jsonl"))
        let csv = ([metricColumns.joined(separator: ",")] + metrics.map { row in
            metricColumns.map { row[$0].map(Self.csvNumber) ?? "" }.joined(separator: ",")
        }).joined(separator: "\n") + "\n"
        try writeFileAtomically(csv, to: path("metrics.csv"))
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
