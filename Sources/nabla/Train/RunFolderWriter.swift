import Foundation
import Nabla
import NablaData

/// Writes a training run's files in the layout `nabla report` reads (see NablaViz's `RunFolder`):
/// config.json, metrics.jsonl and metrics.csv (rewritten whole after every epoch, atomically, so a crash
/// never leaves half a line), summary.json, confusion.json, and a few test images with their predicted
/// and true labels (samples.npy, samples.json).
struct RunFolderWriter {
    let folder: URL
    private(set) var metrics: [[String: Double]] = []
    private let metricKeys = ["epoch", "train_loss", "val_loss", "val_accuracy", "learning_rate", "seconds", "samples_per_s"]

    init(folder: URL) throws {
        self.folder = folder
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationFailure("cannot create the output folder \(folder.path): \(error.localizedDescription)")
        }
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func writeJSON(_ object: Any, to name: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try writeFileAtomically([UInt8](data) + [10], to: path(name))
    }

    /// Adds one epoch's figures and rewrites metrics.jsonl and metrics.csv.
    mutating func append(epochMetrics: [String: Double]) throws {
        metrics.append(epochMetrics)
        try writeMetrics()
    }

    /// Replaces the figures with a resumed run's (from its checkpoint) and rewrites the files, dropping
    /// any epoch written after that checkpoint.
    mutating func restore(metrics rows: [[String: Double]]) throws {
        metrics = rows
        if !rows.isEmpty { try writeMetrics() }
    }

    private func writeMetrics() throws {
        let lines = try metrics.map { row -> String in
            let pairs = metricKeys.compactMap { key in row[key].map { "\"\(key)\":\(Self.number($0))" } }
            _ = try JSONSerialization.data(withJSONObject: row)   // refuses NaN/infinity early, with a reason
            return "{" + pairs.joined(separator: ",") + "}"
        }
        try writeFileAtomically(lines.joined(separator: "\n") + "\n", to: path("metrics.jsonl"))
        let csv = ([metricKeys.joined(separator: ",")] + metrics.map { row in
            metricKeys.map { row[$0].map(Self.number) ?? "" }.joined(separator: ",")
        }).joined(separator: "\n") + "\n"
        try writeFileAtomically(csv, to: path("metrics.csv"))
    }

    /// The confusion matrix: rows are true classes, columns predicted ones.
    func writeConfusion(predictions: [Int], labels: [Int], classNames: [String]) throws {
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classNames.count), count: classNames.count)
        for (predicted, actual) in zip(predictions, labels) where classNames.indices.contains(predicted) && classNames.indices.contains(actual) {
            matrix[actual][predicted] += 1
        }
        try writeJSON(["class_names": classNames, "matrix": matrix], to: "confusion.json")
    }

    /// The first `count` test images (values in [0, 1]) with what the model said about them.
    func writeSamples(images: Tensor, predictions: [Int], labels: [Int], classNames: [String]) throws {
        try NPY.write(images, to: path("samples.npy"))
        try writeJSON(["predicted": predictions, "true": labels, "class_names": classNames], to: "samples.json")
    }

    /// Integers without a decimal point, other values with enough digits to read back exactly.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// A user-facing failure with a plain message (printed by the command, exit status 1).
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
