import Foundation
import NablaData
import NablaTrain
import NablaViz

/// How to run a lab (what `nabla lab run` parses).
public struct LabRunOptions {
    public var quick = false
    /// `--set key=value` overrides, in the order given.
    public var overrides: [String] = []
    /// The run folder (default `runs/NAME-DATE-TIME`).
    public var output: String?
    /// Continue the run in this folder.
    public var resume: String?
    /// Replace a run folder that holds files.
    public var overwrite = false
    public var dataFolder: String?
    public var checkpointEvery = 0
    /// Stop (with a checkpoint) after this many training steps in all, to simulate an interruption.
    public var stopAfterSteps: Int?
    public var stopAfterEpochs: Int?
    public var keepGoingOnNonFiniteLoss = false

    public init() {}
}

/// What a lab run ended with.
public struct LabRunSummary {
    public var folder: URL
    public var result: LabResult
    /// Whether the headline beat the baseline (false when interrupted).
    public var passed: Bool
    /// The bar the run was judged against (it depends on the settings for some labs).
    public var baseline: Baseline
}

/// Runs labs: resolves settings (defaults, quick values, `--set`, or config.json when resuming), guards
/// and locks the run folder, writes config.json, runs the lab, and writes summary.json, result.json and
/// the report with the lab's sections.
public enum LabRunner {
    public static let configFile = "config.json"
    public static let resultFile = "result.json"

    /// Every setting of `lab`, with `seed` added.
    public static func settings(of lab: any Lab) -> [LabSetting] {
        var all = lab.settings
        if !all.contains(where: { $0.key == "seed" }) {
            all.append(.integer("seed", 0, in: 0...Int.max, "seed of every random choice (initial weights, data order, splits)"))
        }
        return all
    }

    /// The values for a fresh run: defaults, or quick values, then the overrides (`key=value`).
    public static func resolve(_ lab: any Lab, quick: Bool, overrides: [String]) throws -> LabValues {
        let declared = settings(of: lab)
        var values: [String: LabValue] = [:]
        for setting in declared { values[setting.key] = quick ? (setting.quickValue ?? setting.defaultValue) : setting.defaultValue }
        for (key, text) in try parse(overrides, lab: lab) {
            values[key] = try declared.first { $0.key == key }!.parse(text)
        }
        return LabValues(settings: declared, values: values)
    }

    /// Splits `key=value` overrides, refusing unknown keys with the list of known ones.
    static func parse(_ overrides: [String], lab: any Lab) throws -> [(String, String)] {
        let declared = settings(of: lab)
        return try overrides.map { override in
            guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
                throw LabError("--set '\(override)' is not key=value; \(lab.name) has the settings \(declared.map(\.key).joined(separator: ", "))")
            }
            let key = String(override[..<equals]), value = String(override[override.index(after: equals)...])
            guard declared.contains(where: { $0.key == key }) else {
                throw LabError("lab \(lab.name) has no setting '\(key)'; its settings are \(declared.map(\.key).joined(separator: ", ")) (see nabla lab run \(lab.name) --help)")
            }
            return (key, value)
        }
    }

    /// Runs `lab` as `options` say; throws `LabError` or `RunFolderError` for bad input.
    @discardableResult
    public static func run(_ lab: any Lab, options: LabRunOptions) throws -> LabRunSummary {
        let folderURL: URL
        let values: LabValues
        let quick: Bool
        let mode: RunFolderWriter.Mode
        if let resume = options.resume {
            guard !resume.isEmpty else { throw RunFolderError("--resume needs a run folder, not an empty path") }
            folderURL = URL(fileURLWithPath: resume)
            (values, quick) = try recorded(lab, folder: folderURL, overrides: options.overrides, quick: options.quick)
            mode = .resume
        } else {
            if let output = options.output, output.isEmpty {
                throw RunFolderError("--output is empty; name a folder for the run, e.g. --output runs/\(lab.name)")
            }
            folderURL = URL(fileURLWithPath: options.output ?? defaultOutput(lab.name))
            quick = options.quick
            values = try resolve(lab, quick: quick, overrides: options.overrides)
            mode = .create(overwrite: options.overwrite)
        }
        let folder = try RunFolderWriter(folder: folderURL, mode: mode)
        defer { folder.release() }
        if options.resume == nil {
            try folder.writeJSON(["lab": lab.name, "lecture": lab.lecture, "quick": quick, "settings": values.json,
                                  "data_folder": options.dataFolder ?? NSNull()] as [String: Any], to: configFile)
        }
        print("lab \(lab.name) (\(lab.lecture)): \(lab.summary); \(quick ? "quick" : "full") setting: "
              + values.settings.map { "\($0.key)=\(values.values[$0.key]!)" }.joined(separator: " ") + "; run folder \(folderURL.path)")
        let context = LabContext(lab: lab, settings: values, isQuick: quick, folder: folder, options: options, isResuming: options.resume != nil)
        let clock = Date()
        let result = try lab.run(context)
        let baseline = lab.baseline(for: values)
        guard !result.isInterrupted else { return LabRunSummary(folder: folderURL, result: result, passed: false, baseline: baseline) }

        let passed = baseline.passes(result.headline, quick: quick)
        var summary: [String: Any] = [baseline.metric: result.headline]
        for (key, value) in result.summary { summary[key] = value }
        try folder.writeJSON(summary, to: "summary.json")
        try folder.writeJSON(["lab": lab.name, "quick": quick, "metric": baseline.metric, "value": result.headline,
                              "baseline": baseline.threshold(quick: quick), "higher_is_better": baseline.higherIsBetter,
                              "baseline_source": baseline.source, "passed": passed, "seconds": Date().timeIntervalSince(clock),
                              "finished": ISO8601DateFormatter().string(from: Date())] as [String: Any], to: resultFile)
        var report = try RunReport(runFolder: folderURL)
        report.sections = [verdictSection(lab: lab, baseline: baseline, value: result.headline, quick: quick, passed: passed)] + result.sections
        let reportURL = try report.write()
        print("\(baseline.metric): \(format(result.headline)) against the baseline \(format(baseline.threshold(quick: quick))) "
              + "(\(baseline.source)): \(passed ? "pass" : "miss")")
        print("report: \(reportURL.path)")
        return LabRunSummary(folder: folderURL, result: result, passed: passed, baseline: baseline)
    }

    static func verdictSection(lab: any Lab, baseline: Baseline, value: Double, quick: Bool, passed: Bool) -> ReportSection {
        return .table("Result against the baseline", headers: ["lab", "setting", baseline.metric, "baseline", "source", "verdict"],
                      rows: [[lab.name, quick ? "quick" : "full", format(value), (baseline.higherIsBetter ? "≥ " : "≤ ") + format(baseline.threshold(quick: quick)),
                              baseline.source, passed ? "pass" : "miss"]],
                      caption: "\(lab.lecture): \(lab.summary).")
    }

    /// The settings recorded in `folder`/config.json, each checked as fresh input; overrides must agree.
    static func recorded(_ lab: any Lab, folder: URL, overrides: [String], quick: Bool) throws -> (LabValues, Bool) {
        let path = folder.appendingPathComponent(configFile).path
        let config: JSONValue
        do {
            config = try JSONValue.parse(try FileReading.bytes(at: path)[...], rules: .python)
        } catch let error as DataError {
            throw RunFolderError("cannot resume from \(folder.path): \(error) (is it the folder of a lab run?)")
        } catch {
            throw RunFolderError("cannot resume: \(path) is not valid JSON: \(error)")
        }
        guard config["lab"]?.string == lab.name else {
            throw RunFolderError("cannot resume: \(path) is a run of '\(config["lab"]?.string ?? "no lab")', not of \(lab.name)")
        }
        guard let saved = config["settings"]?.members else {
            throw RunFolderError("cannot resume: \(path) has no 'settings' object")
        }
        let declared = settings(of: lab)
        var values: [String: LabValue] = [:]
        for setting in declared {
            guard let member = saved.first(where: { $0.key == setting.key }), let value = LabValue.from(json: member.value) else {
                throw RunFolderError("cannot resume: \(path) lacks the setting '\(setting.key)' (\(setting.allowed))")
            }
            do {
                values[setting.key] = try setting.checked(value)
            } catch let error as LabError {
                throw RunFolderError("cannot resume: \(path): \(error)")
            }
        }
        var conflicts: [String] = []
        for (key, text) in try parse(overrides, lab: lab) {
            let given = try declared.first { $0.key == key }!.parse(text)
            if given != values[key] { conflicts.append("\(key)=\(given) (the run has \(values[key]!))") }
        }
        let recordedQuick = config["quick"] == .bool(true)
        if quick && !recordedQuick { conflicts.append("--quick (the run uses the full setting)") }
        guard conflicts.isEmpty else {
            throw RunFolderError("cannot resume \(folder.path) with different settings: " + conflicts.joined(separator: ", ")
                                 + "; a resumed run keeps the settings of its config.json (leave these out, or start a new run)")
        }
        return (LabValues(settings: declared, values: values), recordedQuick)
    }

    /// The lab recorded in a run folder's config.json (for `--resume DIR` without a lab name).
    public static func labName(inRunFolder folder: String) throws -> String {
        let path = URL(fileURLWithPath: folder).appendingPathComponent(configFile).path
        do {
            let config = try JSONValue.parse(try FileReading.bytes(at: path)[...], rules: .python)
            if let name = config["lab"]?.string ?? config["recipe"]?.string { return name }
            throw RunFolderError("cannot resume: \(path) names no lab")
        } catch let error as DataError {
            throw RunFolderError("cannot resume from \(folder): \(error) (is it the folder of a lab run?)")
        } catch let error as JSONParseError {
            throw RunFolderError("cannot resume: \(path) is not valid JSON: \(error)")
        }
    }

    public static func defaultOutput(_ name: String) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "runs/\(name)-\(formatter.string(from: Date()))"
    }
}
