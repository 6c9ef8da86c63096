import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Nabla
import Testing
@testable import NablaViz

// Every figure type draws to a canvas and to well-formed SVG; drawing primitives put ink where they
// should. Set NABLA_VIZ_GALLERY=/some/folder to also save each figure as PNG and SVG for a look.

/// One of each figure, with awkward text (XML specials, a long legend name) where it can go.
func sampleFigures() -> [(name: String, figure: any Figure)] {
    let epochs = (1...12).map(Double.init)
    let line = LineChart(title: "Loss <train & val>", xLabel: "epoch", yLabel: "loss", yScale: .logarithmic, series: [
        .init(name: "train_loss", x: epochs, y: epochs.map { 2.3 * exp(-0.4 * $0) + 0.05 }),
        .init(name: "val_loss \"quoted\"", x: epochs, y: epochs.map { 2.0 * exp(-0.3 * $0) + 0.15 }),
    ])
    var random = ByteStream(state: 3)
    func uniform() -> Double { Double(random.below(10_000)) / 10_000 }
    let classes = (0..<120).map { $0 % 4 }
    let scatter = ScatterPlot(title: "Embedding", xLabel: "component 1", yLabel: "component 2",
                              x: classes.map { Double($0) * 2 + uniform() }, y: classes.map { Double($0 % 2) * 3 + uniform() * 2 },
                              classes: classes, classNames: ["T-shirt/top", "Trouser", "Pullover", "a very long class name indeed, too long"])
    let bars = BarChart(title: "Accuracy per class", yLabel: "accuracy",
                        categories: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
                        values: [0.85, 0.97, 0.8, 0.88, 0.82, 0.95, 0.62, 0.95, 0.97, 0.96], showsValues: true)
    let histogram = Histogram(title: "Weights", xLabel: "value", values: (0..<500).map { _ in uniform() + uniform() + uniform() - 1.5 }, binCount: 24)
    let heat = HeatMap(title: "Attention", values: (0..<6).map { row in (0..<8).map { column in sin(Double(row * column)) } },
                       rowLabels: ["the", "cat", "sat", "on", "the", "mat"], columnLabels: (0..<8).map { "t\($0)" }, showsValues: true)
    var counts = [[Int]](repeating: [Int](repeating: 0, count: 10), count: 10)
    for row in 0..<10 { for column in 0..<10 { counts[row][column] = row == column ? 900 + row * 7 : (row + column) % 5 * 4 } }
    let confusion = ConfusionMatrix(classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
                                    counts: counts)
    let pixels: [Float] = (0..<(6 * 28 * 28)).map { (index: Int) -> Float in
        let column = index % 28, row = (index / 28) % 28, item = index / 784
        return Float((column + row * (item + 1)) % 28) / 27
    }
    let batch = Tensor(pixels, shape: [6, 1, 28, 28])
    let grid = ImageGrid(batch: batch, captions: (0..<6).map { ImageCaption(["pred \($0)", "true \($0 % 4)"], isHighlighted: $0 != $0 % 4) },
                         columns: 3, upscale: 3, title: "Samples")
    let base = Canvas(tensor: batch.sliced(axis: 0, start: 0, end: 1).reshaped([28, 28])).upscaled(by: 4)
    let saliency = HeatMap(title: "Saliency", values: (0..<7).map { row in (0..<7).map { column in Double(row * column) } },
                           colormap: .inferno, underlay: base, opacity: 0.45)
    return [("line", line), ("scatter", scatter), ("bars", bars), ("histogram", histogram), ("heatmap", heat),
            ("confusion", confusion), ("grid", grid), ("saliency", saliency)]
}

/// Checks that `text` parses as XML, reporting the parser's error otherwise.
func expectWellFormedXML(_ text: String, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let parser = XMLParser(data: Data(text.utf8))
    let parsed = parser.parse()
    #expect(parsed, "\(label): \(parser.parserError.map { "\($0)" } ?? "unknown error") at line \(parser.lineNumber)",
            sourceLocation: sourceLocation)
}

@Suite struct FigureTests {
    @Test func everyFigureRendersAndWritesWellFormedSVG() throws {
        let gallery = ProcessInfo.processInfo.environment["NABLA_VIZ_GALLERY"].map { URL(fileURLWithPath: $0) }
        for (name, figure) in sampleFigures() {
            let canvas = figure.rendered(scale: 1)
            #expect(canvas.width == Int(figure.width.rounded(.up)) && canvas.height == Int(figure.height.rounded(.up)), "\(name)")
            // Something was drawn: not every pixel is the white background.
            #expect(stride(from: 0, to: canvas.pixels.count, by: 4).contains { canvas.pixels[$0] != 255 || canvas.pixels[$0 + 1] != 255 },
                    "\(name) is blank")
            let svg = figure.svg().text
            expectWellFormedXML(svg, name)
            #expect(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            if let gallery {
                try FileManager.default.createDirectory(at: gallery, withIntermediateDirectories: true)
                try figure.writePNG(to: gallery.appendingPathComponent("\(name).png"), scale: 2)
                try figure.writeSVG(to: gallery.appendingPathComponent("\(name).svg"))
            }
        }
    }

    @Test func svgEscapesTextAndDropsForbiddenCharacters() {
        var svg = SVGDocument(width: 100, height: 50)
        svg.drawText("a < b && c > \"d\" 'e' \u{0001}\u{FFFE}", at: Point(x: 1, y: 20), style: TextStyle())
        svg.drawText("up", at: Point(x: 10, y: 40), style: TextStyle(isRotated: true))
        svg.strokePolyline([Point(x: 0, y: 0), Point(x: .nan, y: 3), Point(x: 5, y: 5)], color: .red.withAlpha(0.5), thickness: 1.5)
        let text = svg.text
        expectWellFormedXML(text, "escaped text")
        #expect(text.contains("a &lt; b &amp;&amp; c &gt; &quot;d&quot; &apos;e&apos; "))
        #expect(!text.contains("nan"))
    }

    @Test func logarithmicHorizontalAxisSpacesDecadesEvenly() {
        // 1, 10, 100 sit at equal distances on a log axis (not 1 : 10 as on a linear one); x ≤ 0 is left out.
        let chart = LineChart(xScale: .logarithmic, series: [.init(name: "sizes", x: [0, 1, 10, 100], y: [5, 1, 2, 3])])
        let centres = chart.svg().text.components(separatedBy: "<circle cx=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
        #expect(centres.count == 3)
        if centres.count == 3 {
            #expect(abs((centres[1] - centres[0]) - (centres[2] - centres[1])) < 0.5, "dot centres \(centres)")
        }
    }

    @Test func sixteenLinesGetSixteenColours() {
        // The optimizers lab draws sixteen loss curves; each needs its own colour, and charts with up
        // to ten lines keep the familiar first ten.
        let series = (0..<16).map { LineChart.Series(name: "line \($0)", x: [0, 1], y: [Double($0), Double($0) + 1]) }
        let svg = LineChart(series: series).svg().text
        let strokes = Set(svg.components(separatedBy: "<polyline ").dropFirst().compactMap { element in
            element.components(separatedBy: "stroke=\"").dropFirst().first.map { String($0.prefix { $0 != "\"" }) }
        })
        let expected = Set((0..<16).map { Palette.color(forLine: $0).cssHex })
        #expect(expected.count == 16)
        #expect(expected.isSubset(of: strokes), "line colours \(strokes)")
        #expect((0..<10).allSatisfy { Palette.color(forLine: $0) == Palette.color(forCategory: $0) })
    }

    @Test func emptyChartsStillDraw() {
        let charts: [any Figure] = [
            LineChart(title: "nothing", series: []),
            LineChart(series: [.init(name: "all NaN", x: [1, 2], y: [.nan, .nan])]),
            LineChart(yScale: .logarithmic, series: [.init(name: "negative", x: [1, 2], y: [-1, 0])]),
            ScatterPlot(x: [], y: []),
            BarChart(categories: [], values: []),
            Histogram(values: []),
            Histogram(values: [3, 3, 3]),
            HeatMap(values: []),
            ConfusionMatrix(classNames: [], counts: []),
            ImageGrid(images: []),
        ]
        for chart in charts {
            _ = chart.rendered()
            expectWellFormedXML(chart.svg().text, "\(type(of: chart))")
        }
    }

    @Test func textIsDrawnInTheFontsBoxAndUpwardsWhenRotated() {
        var canvas = Canvas(width: 40, height: 40)
        canvas.drawText("H", at: Point(x: 10, y: 10), style: TextStyle(verticalAlignment: .top))
        // 'H' is ink in columns 0 and 4 of all seven rows, and row 3 across.
        for row in 0..<7 {
            #expect(canvas[10, 10 + row] == .black && canvas[14, 10 + row] == .black)
            #expect(canvas[12, 10 + row] == (row == 3 ? .black : .white))
        }
        #expect(canvas[10, 17] == .white)
        var rotated = Canvas(width: 40, height: 40)
        rotated.drawText("HH", at: Point(x: 20, y: 30), style: TextStyle(verticalAlignment: .top, isRotated: true))
        // Upwards text runs from y = 30 towards y = 30 − 11; its glyph tops face left, at x = 20.
        let inked = (0..<40).flatMap { y in (0..<40).map { x in (x, y) } }.filter { rotated[$0.0, $0.1] == .black }
        #expect(inked.map(\.0).min() == 20 && inked.map(\.0).max() == 26)
        #expect(inked.map(\.1).max() == 29 && inked.map(\.1).min() == 19)
        #expect(BitmapFont.width(of: "abc") == 17)
    }

    @Test func linesAreAntiAliasedAndThick() {
        var canvas = Canvas(width: 30, height: 30)
        canvas.strokeLine(from: Point(x: 5, y: 15.5), to: Point(x: 25, y: 15.5), color: .black, thickness: 3)
        #expect(canvas[15, 14] == .black && canvas[15, 15] == .black && canvas[15, 16] == .black)
        #expect(canvas[15, 12] == .white && canvas[15, 18] == .white)
        canvas.strokeLine(from: Point(x: 0, y: 0), to: Point(x: 30, y: 7), color: .black, thickness: 1)
        let greys = canvas.pixels.enumerated().filter { $0.offset % 4 == 0 && $0.element > 0 && $0.element < 255 }
        #expect(!greys.isEmpty, "a slanted line has partly covered pixels")
        canvas.fillCircle(center: Point(x: 100, y: 100), radius: 5, color: .red)   // off the canvas: ignored
        canvas.fillRectangle(Rectangle(x: -5, y: -5, width: 8, height: 8), color: .red)
        #expect(canvas[0, 0] == .red && canvas[2, 2] == .red && canvas[3, 3] != .red)
    }

    @Test func saliencyBlendsOverTheImage() {
        let image = Canvas(width: 8, height: 8, background: .black)
        let overlay = saliencyOverlay([[0, 1], [0, 0]], on: image, opacity: 0.5)
        // The hottest corner (top right) is brightest, the cold ones stay dark.
        #expect(overlay[7, 0].luminance > overlay[0, 7].luminance + 0.2)
        #expect(overlay[0, 7].luminance < 0.05)
    }

    @Test func tensorImagesMapTheValueRange() {
        let rgb = Tensor([0, 1, -1, 1, 0.5, 0, 0, 0, 2, 0, 0, 0], shape: [1, 3, 2, 2])
        let image = Canvas.images(fromBatch: rgb, valueRange: -1...1)[0]
        #expect(image[0, 0] == Color(red: 128, green: 191, blue: 255))   // blue 2 is clamped
        #expect(image[0, 1] == Color(red: 0, green: 128, blue: 128))
        #expect(image[1, 0] == Color(red: 255, green: 128, blue: 128))
    }
}
