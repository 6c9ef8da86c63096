import Foundation
import NablaData

/// One lab in a tour's index page: its report, headline figure, result, baseline and verdict.
public struct LabIndexEntry {
    public var name: String
    public var lecture: String
    public var summary: String
    /// The report's path relative to the index page.
    public var reportLink: String
    /// The headline figure as PNG bytes (embedded), if the lab has one.
    public var headlinePNG: Data?
    public var headlineSize: (width: Double, height: Double)
    public var metric: String
    public var value: Double
    public var baseline: String
    public var passed: Bool
    /// Why the lab has no result (it failed), shown instead of the figures.
    public var failure: String?

    public init(name: String, lecture: String, summary: String, reportLink: String, headlinePNG: Data?,
                headlineSize: (width: Double, height: Double), metric: String, value: Double, baseline: String, passed: Bool, failure: String? = nil) {
        self.name = name
        self.lecture = lecture
        self.summary = summary
        self.reportLink = reportLink
        self.headlinePNG = headlinePNG
        self.headlineSize = headlineSize
        self.metric = metric
        self.value = value
        self.baseline = baseline
        self.passed = passed
        self.failure = failure
    }
}

/// Writes a self-contained index page of labs (`nabla lab tour`): a table of results against their
/// baselines with pass/miss marks, then each lab's headline figure linking to its report.
public func writeLabIndex(_ entries: [LabIndexEntry], title: String, to url: URL) throws {
    var page = HTMLPage(title: title)
    page.heading(title, level: 1)
    let passed = entries.filter(\.passed).count
    page.paragraph("\(passed) of \(entries.count) labs beat their baseline.")
    page.table(headers: ["lab", "lecture", "result", "baseline", "verdict"], rows: entries.map { entry in
        [entry.name, entry.lecture, entry.failure == nil ? "\(entry.metric) \(String(format: "%.4g", entry.value))" : "failed",
         entry.baseline, entry.passed ? "✔ pass" : "✘ miss"]
    }, numericColumns: [])
    for entry in entries {
        page.raw("<h2><a href=\"\(escapeHTML(entry.reportLink))\">\(escapeHTML(entry.name))</a> <span class=\"\(entry.passed ? "pass" : "miss")\">\(entry.passed ? "✔ pass" : "✘ miss")</span></h2>")
        page.paragraph("\(entry.lecture): \(entry.summary).")
        if let failure = entry.failure {
            page.missing(failure)
            continue
        }
        page.paragraph("\(entry.metric) = \(String(format: "%.4g", entry.value)) against the baseline \(entry.baseline).")
        if let png = entry.headlinePNG {
            page.image(png: png, width: entry.headlineSize.width, height: entry.headlineSize.height,
                       alt: "headline figure of \(entry.name)", link: entry.reportLink)
        }
    }
    try writeFileAtomically(page.text, to: url.path)
}
