import Foundation
import NablaTrain
import NablaViz

/// A course lab: the lecture's idea as a runnable experiment with a report and a baseline to beat.
///
/// A lab declares typed settings with defaults (the full setting, the real result in under 15 minutes
/// on 2 cores) and quick values (under 60 s, for smoke tests and CI); `nabla lab run NAME --set k=v`
/// overrides them and `--help` lists them. `run` builds its models from `context.seed`, trains with
/// `context.train(task, epochs:)` (or computes directly, for a lab without training), and returns the
/// figure the baseline is judged on and its report sections.
///
/// ```swift
/// struct MyLab: Lab {
///     var name: String { "my-lab" }
///     var lecture: String { "Regression" }
///     var summary: String { "gradient descent against the closed form" }
///     var settings: [LabSetting] { [.integer("epochs", 50, quick: 5, in: 1...10_000, "passes over the data")] }
///     var baseline: Baseline { Baseline(metric: "test_mse", value: 3000, higherIsBetter: false, source: "closed form") }
///     func run(_ context: LabContext) throws -> LabResult { ... }
/// }
/// ```
/// and one line in `LabRegistry.all`.
public protocol Lab {
    /// The name typed on the command line (`fashion-mlp`).
    var name: String { get }
    /// The lecture it belongs to.
    var lecture: String { get }
    /// One line: what the lab does.
    var summary: String { get }
    /// The settings in the order `--help` lists them. `seed` is added to every lab.
    var settings: [LabSetting] { get }
    /// What the lab's result must beat.
    var baseline: Baseline { get }
    /// What a run with `settings` must beat: a setting that picks another model may have another bar.
    /// Default: `baseline`.
    func baseline(for settings: LabValues) -> Baseline
    /// Runs the lab. Throw `LabError` for input problems; return `LabResult.interrupted` when
    /// `context.train` reports an interruption.
    func run(_ context: LabContext) throws -> LabResult
    /// Overrides (`key=value`) on top of the quick setting for the test suite: the smallest run that
    /// still goes through every part of the lab (a few seconds in a debug build). Default: none.
    var tinySettings: [String] { get }
}

extension Lab {
    public var tinySettings: [String] { [] }
    public func baseline(for settings: LabValues) -> Baseline { baseline }
}

/// The figure a lab must reach, where it comes from, and how its result is judged.
public struct Baseline {
    /// The key of the figure in the lab's result (`test_accuracy`).
    public var metric: String
    /// The value to beat in the full setting.
    public var value: Double
    public var higherIsBetter: Bool
    /// Where the value comes from (a peer's run, the lecture, a simpler method measured in the lab).
    public var source: String
    /// A looser value for the quick setting (a smoke test is not the real result); nil: `value`.
    public var quickValue: Double?

    public init(metric: String, value: Double, higherIsBetter: Bool = true, source: String, quickValue: Double? = nil) {
        self.metric = metric
        self.value = value
        self.higherIsBetter = higherIsBetter
        self.source = source
        self.quickValue = quickValue
    }

    /// The value a run in `quick` mode is judged against.
    public func threshold(quick: Bool) -> Double { quick ? (quickValue ?? value) : value }

    /// Whether `result` beats (or equals) the threshold.
    public func passes(_ result: Double, quick: Bool) -> Bool {
        guard result.isFinite else { return false }
        return higherIsBetter ? result >= threshold(quick: quick) : result <= threshold(quick: quick)
    }
}

/// What a finished lab reports.
public struct LabResult {
    /// The figure the baseline is judged on (its key is `Baseline.metric`).
    public var headline: Double
    /// Further final figures for summary.json (test loss, parameters, seconds, ...).
    public var summary: [(key: String, value: Any)]
    /// The lab's report sections, after the standard run report's summary. The first figure is the
    /// lab's headline figure in the tour index (else the run's accuracy or loss curve).
    public var sections: [ReportSection]
    /// True when training was interrupted (`--stop-after-steps`), so there is nothing to report yet.
    public var isInterrupted = false

    public init(headline: Double, summary: [(key: String, value: Any)] = [], sections: [ReportSection] = []) {
        self.headline = headline
        self.summary = summary
        self.sections = sections
    }

    /// The result of a run stopped to be resumed later.
    public static var interrupted: LabResult {
        var result = LabResult(headline: .nan)
        result.isInterrupted = true
        return result
    }
}
