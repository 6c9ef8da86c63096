import Foundation
import Testing
@testable import NablaViz

/// Long titles stay inside the image: wrapped onto two lines, then made smaller, then cut with "...";
/// short titles keep one line at the title scale.
@Suite struct TitleFittingTests {
    static let longTitle = "Test accuracy of the distilled student against the teacher and the student trained alone, per epoch"

    @Test func shortTitlesKeepOneLargeLine() {
        let fitted = FittedTitle("Loss", imageWidth: 640)
        #expect(fitted.lines == ["Loss"] && fitted.style.scale == 2)
    }

    @Test func longTitlesWrapThenShrinkThenCut() {
        let available = 640 - 2 * ChartFrame.padding
        let wrapped = FittedTitle("Validation accuracy of the residual network with augmentation", imageWidth: 640)
        #expect(wrapped.lines.count == 2 && wrapped.style.scale == 2)
        #expect(wrapped.lines.joined(separator: " ") == "Validation accuracy of the residual network with augmentation")
        let longer = Self.longTitle + ", in the full setting of the lab, on all 60,000 images"
        let small = FittedTitle(longer, imageWidth: 640)
        #expect(small.lines.count <= 2 && small.style.scale == 1 && small.lines.joined(separator: " ") == longer)
        let cut = FittedTitle(Self.longTitle + " " + Self.longTitle, imageWidth: 320)
        #expect(cut.lines.count == 2 && cut.lines[1].hasSuffix("..."))
        let unbroken = FittedTitle(String(repeating: "x", count: 200), imageWidth: 320)
        #expect(unbroken.lines.count == 1 && unbroken.lines[0].hasSuffix("..."))
        for fitted in [wrapped, small] {
            #expect(fitted.lines.allSatisfy { fitted.style.width(of: $0) <= available })
        }
        for fitted in [cut, unbroken] {
            #expect(fitted.lines.allSatisfy { fitted.style.width(of: $0) <= 320 - 2 * ChartFrame.padding })
        }
    }

    /// No ink in the margins of the title band: clipped text would run to the image's edge.
    @Test func drawnTitlesLeaveTheMarginsClear() throws {
        let epochs = (1...10).map(Double.init)
        let series = [LineChart.Series(name: "student", x: epochs, y: epochs.map { 1 - 1 / $0 })]
        let figures: [(String, any Figure)] = [
            ("line", LineChart(width: 480, height: 300, title: Self.longTitle, xLabel: "epoch", yLabel: "accuracy", series: series)),
            ("heat", HeatMap(width: 360, height: 300, title: Self.longTitle, values: [[0, 1], [1, 0]])),
            ("grid", ImageGrid(images: [Canvas(width: 28, height: 28, background: .black)], upscale: 2, title: Self.longTitle)),
        ]
        let gallery = ProcessInfo.processInfo.environment["NABLA_VIZ_GALLERY"].map { URL(fileURLWithPath: $0) }
        for (name, figure) in figures {
            let canvas = figure.rendered(scale: 1)
            let band = Int(ChartFrame.padding) + 2 * Int(ChartFrame.titleStyle.lineHeight) + 4
            var inkColumns: [Int] = []
            for y in 0..<min(band, canvas.height) {
                for x in 0..<canvas.width where canvas[x, y] != .white { inkColumns.append(x) }
            }
            #expect(!inkColumns.isEmpty, "\(name): no title drawn")
            #expect(inkColumns.min()! >= Int(ChartFrame.padding) - 1 && inkColumns.max()! <= canvas.width - Int(ChartFrame.padding),
                    "\(name): title ink at columns \(inkColumns.min()!)...\(inkColumns.max()!) of \(canvas.width)")
            if let gallery {
                try FileManager.default.createDirectory(at: gallery, withIntermediateDirectories: true)
                try figure.writePNG(to: gallery.appendingPathComponent("long-title-\(name).png"), scale: 1)
            }
        }
    }
}
