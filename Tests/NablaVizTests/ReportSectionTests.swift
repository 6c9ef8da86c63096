import Foundation
import Testing
@testable import NablaViz

@Suite struct ReportSectionTests {
    /// One section of every kind.
    static func everyKind() -> [ReportSection] {
        let frames = (0..<3).map { shade -> Canvas in
            var canvas = Canvas(width: 20, height: 10)
            canvas.fillRectangle(Rectangle(x: 0, y: 0, width: Double(5 * (shade + 1)), height: 10), color: .black)
            return canvas
        }
        return [
            .lineChart("Loss by optimiser", xLabel: "step", yLabel: "loss",
                       series: [.init(name: "SGD", x: [1, 2, 3], y: [3, 2, 1.5]), .init(name: "Adam", x: [1, 2, 3], y: [2, 1, 0.5])],
                       logarithmic: true, caption: "Adam falls faster."),
            .imageGrid("Samples", images: frames, captions: frames.indices.map { ImageCaption(["image \($0)"], isHighlighted: $0 == 1) }, upscale: 2),
            .heatMap("Hessian", values: [[1, 0.5], [0.5, 2]], rowLabels: ["a", "b"], columnLabels: ["a", "b"]),
            .scatter("Embedding", x: [0, 1, 2, 3], y: [1, 0, 1, 0], classes: [0, 1, 0, 1], classNames: ["cat", "dog"]),
            .table("Final losses", headers: ["optimiser", "loss"], rows: [["SGD", "1.5"], ["Adam <b>", "0.5"]]),
            .text("What to look for", "First paragraph.\n\nSecond paragraph."),
            .figure("A histogram", Histogram(title: "values", values: [1, 2, 2, 3, 3, 3], binCount: 3)),
            .animation("Paths", frames: frames, frameSeconds: 0.1),
        ]
    }

    @Test func everyKindOfSectionGoesIntoTheReportAndStaysWhenTheReportIsRebuilt() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeSyntheticRun(to: folder)
        var report = try RunReport(runFolder: folder)
        report.sections = Self.everyKind()
        report.pixelScale = 1   // debug builds encode PNGs slowly; one pixel per unit is enough here
        let url = try report.write()
        let html = try String(contentsOf: url, encoding: .utf8)
        for section in Self.everyKind() { #expect(html.contains(">\(section.title)</h2>"), "\(section.title) is missing") }
        #expect(html.contains("Adam &lt;b&gt;") && html.contains("<p>Second paragraph.</p>"))
        #expect(html.contains("3 frames, 0.1 s apart"))
        // Five figures plus the animation's first frame, each embedded and saved beside the report.
        let sectionImages = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("section-") && $0.hasSuffix(".png") }
        #expect(sectionImages.count == 6, "\(sectionImages.sorted())")
        // `nabla report` rebuilds the page from the folder alone and keeps the lab's sections.
        let rebuilt = try writeRunReport(runFolder: folder)
        let again = try String(contentsOf: rebuilt, encoding: .utf8)
        #expect(again.contains(">Loss by optimiser</h2>") && again.contains(">Paths</h2>"))
    }
}
