import Foundation
import NablaLabs
import Testing
@testable import NablaViz

// Every lab's report in headless Chromium: each lab of the registry runs with its tiny settings, and its
// report must open with every image decoded (the lab's own sections included). Skipped where Chromium
// is not installed.
@Suite(.serialized) struct LabReportBrowserTests {
    @Test(.enabled(if: chromiumPath != nil, "chromium is not installed (Debian: apt-get install chromium); the browser check is skipped"),
          .timeLimit(.minutes(10)), arguments: LabRegistry.all.map(\.name))
    func labReportRendersWithEveryImage(_ name: String) throws {
        let lab = try LabRegistry.lab(named: name)
        let folder = try temporaryFolder().appendingPathComponent(name)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        var options = LabRunOptions()
        options.quick = true
        options.overrides = lab.tinySettings
        options.output = folder.path
        let summary = try LabRunner.run(lab, options: options)
        let report = summary.folder.appendingPathComponent("report.html")
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains("Result against the baseline"), "the verdict section is missing from \(name)'s report")
        let checked = folder.appendingPathComponent("report-check.html")
        try html.replacingOccurrences(of: "</body>", with: imageCheckScript + "</body>").write(to: checked, atomically: true, encoding: .utf8)
        guard let dom = try runChromium(["--virtual-time-budget=10000", "--dump-dom"], page: checked) else { return }
        let expected = html.components(separatedBy: "<img ").count - 1
        #expect(expected >= 1, "\(name)'s report has no images")
        #expect(dom.contains("id=\"nabla-image-check\" data-total=\"\(expected)\" data-loaded=\"\(expected)\""),
                "\(name): \(dom.range(of: "nabla-image-check").map { String(dom[$0.lowerBound...].prefix(120)) } ?? "marker missing")")
    }

    /// The tour's index links every lab's report beside its headline figure and verdict.
    @Test(.enabled(if: chromiumPath != nil, "chromium is not installed"), .timeLimit(.minutes(10)))
    func tourIndexLinksEveryReport() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labs = LabRegistry.all
        let index = try LabTour.run(labs, quick: true, folder: folder, dataFolder: nil,
                                    overrides: Dictionary(uniqueKeysWithValues: labs.map { ($0.name, $0.tinySettings) }))
        let html = try String(contentsOf: index, encoding: .utf8)
        for lab in labs {
            #expect(html.contains("href=\"\(lab.name)/report.html\""), "the index does not link \(lab.name)")
        }
        #expect(html.components(separatedBy: "✔ pass").count + html.components(separatedBy: "✘ miss").count - 2 == 2 * labs.count)
        let checked = folder.appendingPathComponent("index-check.html")
        try html.replacingOccurrences(of: "</body>", with: imageCheckScript + "</body>").write(to: checked, atomically: true, encoding: .utf8)
        guard let dom = try runChromium(["--virtual-time-budget=10000", "--dump-dom"], page: checked) else { return }
        let expected = html.components(separatedBy: "<img ").count - 1
        #expect(expected == labs.count, "one headline figure per lab")
        #expect(dom.contains("id=\"nabla-image-check\" data-total=\"\(expected)\" data-loaded=\"\(expected)\""))
    }
}
