import Foundation
import NablaData
import NablaTrain
import NablaViz

/// Runs every lab into one folder and writes its index page; reads the last results for `nabla lab list`.
public enum LabTour {
    /// Runs `labs` into `folder`/NAME (replacing an earlier tour's runs) and writes `folder`/index.html.
    /// A lab that fails is marked so in the index, and the tour goes on.
    @discardableResult
    public static func run(_ labs: [any Lab], quick: Bool, folder: URL, dataFolder: String?, overrides: [String: [String]] = [:]) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var entries: [LabIndexEntry] = []
        for lab in labs {
            var options = LabRunOptions()
            options.quick = quick
            options.output = folder.appendingPathComponent(lab.name).path
            options.overwrite = true
            options.dataFolder = dataFolder
            options.overrides = overrides[lab.name] ?? []
            let baseline = lab.baseline
            func describe(_ baseline: Baseline) -> String {
                (baseline.higherIsBetter ? "≥ " : "≤ ") + String(format: "%.4g", baseline.threshold(quick: quick)) + " (\(baseline.source))"
            }
            let baselineText = describe(baseline)
            do {
                let summary = try LabRunner.run(lab, options: options)
                let headline = headlineFigure(summary)
                entries.append(LabIndexEntry(name: lab.name, lecture: lab.lecture, summary: lab.summary, reportLink: "\(lab.name)/report.html",
                                             headlinePNG: headline?.png, headlineSize: headline?.size ?? (0, 0), metric: summary.baseline.metric,
                                             value: summary.result.headline, baseline: describe(summary.baseline), passed: summary.passed))
            } catch {
                print("lab \(lab.name) failed: \(error)")
                entries.append(LabIndexEntry(name: lab.name, lecture: lab.lecture, summary: lab.summary, reportLink: "\(lab.name)/report.html",
                                             headlinePNG: nil, headlineSize: (0, 0), metric: baseline.metric, value: .nan,
                                             baseline: baselineText, passed: false, failure: "The lab failed: \(error)"))
            }
        }
        let index = folder.appendingPathComponent("index.html")
        try writeLabIndex(entries, title: "Nabla lab tour (\(quick ? "quick" : "full") settings)", to: index)
        return index
    }

    /// The lab's first section figure, else its accuracy curve, else its loss curve.
    static func headlineFigure(_ summary: LabRunSummary) -> (png: Data, size: (Double, Double))? {
        if let figure = summary.result.sections.lazy.compactMap(\.firstFigure).first, let png = try? figure.pngData(scale: 1) {
            return (png, (figure.width, figure.height))
        }
        for name in ["accuracy.png", "loss.png"] {
            let url = summary.folder.appendingPathComponent(name)
            // The report's curves are drawn at twice their CSS size (600 × 380).
            if let png = try? Data(contentsOf: url) { return (png, (600, 380)) }
        }
        return nil
    }

    /// The newest result.json of each lab under `runs` (searched two levels deep, so the tour's runs count).
    public static func latestResults(in runs: String) -> [String: LabLastResult] {
        var latest: [String: LabLastResult] = [:]
        let root = URL(fileURLWithPath: runs)
        var folders = (try? FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)) ?? []
        folders += folders.flatMap { (try? FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil)) ?? [] }
        for folder in folders {
            guard let bytes = try? FileReading.bytes(at: folder.appendingPathComponent(LabRunner.resultFile).path),
                  let json = try? JSONValue.parse(bytes[...], rules: .python),
                  let name = json["lab"]?.string, let finished = json["finished"]?.string else { continue }
            let result = LabLastResult(folder: folder.path, metric: json["metric"]?.string ?? "", value: json["value"]?.number ?? .nan,
                                       baseline: json["baseline"]?.number ?? .nan, passed: json["passed"] == .bool(true),
                                       quick: json["quick"] == .bool(true), finished: finished)
            if latest[name].map({ $0.finished < finished }) ?? true { latest[name] = result }
        }
        return latest
    }
}

/// A lab's last recorded result (its run folder's result.json).
public struct LabLastResult {
    public var folder: String
    public var metric: String
    public var value: Double
    public var baseline: Double
    public var passed: Bool
    public var quick: Bool
    public var finished: String

    public var line: String {
        "\(metric) \(String(format: "%.4g", value)) vs baseline \(String(format: "%.4g", baseline)): \(passed ? "pass" : "miss")"
            + " (\(quick ? "quick" : "full"), \(finished), \(folder))"
    }
}
