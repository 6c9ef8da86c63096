import Foundation
import Testing
@testable import NablaViz

// Contour plots: marching squares on fields with known contours (rings of x² + y², straight lines,
// a saddle), level choice, NaN in the field, trajectories clipped at the plot's edge, and the figure
// in PNG and SVG. NABLA_VIZ_GALLERY=/some/folder also saves the Rosenbrock example for a look.

private let grid = (0...80).map { -2 + Double($0) * 0.05 }
private let bowl = grid.map { y in grid.map { x in x * x + y * y } }

/// Rosenbrock's banana valley, minimum 0 at (1, 1).
private func rosenbrock(_ x: Double, _ y: Double) -> Double { (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x) }

/// Plain gradient descent (with momentum `momentum`) on Rosenbrock from (−1.5, 2): a real optimiser
/// path for the example, computed here rather than made up.
private func descent(learningRate: Double, momentum: Double, steps: Int) -> (x: [Double], y: [Double]) {
    var point = (x: -1.5, y: 2.0), velocity = (x: 0.0, y: 0.0)
    var xs = [point.x], ys = [point.y]
    for _ in 0..<steps {
        let gradient = (x: -2 * (1 - point.x) - 400 * point.x * (point.y - point.x * point.x), y: 200 * (point.y - point.x * point.x))
        velocity = (momentum * velocity.x + gradient.x, momentum * velocity.y + gradient.y)
        point = (point.x - learningRate * velocity.x, point.y - learningRate * velocity.y)
        xs.append(point.x)
        ys.append(point.y)
    }
    return (xs, ys)
}

func rosenbrockExample() -> ContourPlot {
    let plain = descent(learningRate: 1.5e-3, momentum: 0, steps: 400)
    let heavy = descent(learningRate: 1e-3, momentum: 0.9, steps: 300)
    return ContourPlot(title: "Rosenbrock", xLabel: "x", yLabel: "y", xRange: -2...2, yRange: -1...3,
                       levels: .logarithmic(count: 14), trajectories: [
                           .init(name: "gradient descent", x: plain.x, y: plain.y),
                           .init(name: "momentum 0.9", x: heavy.x, y: heavy.y),
                       ], field: rosenbrock)
}

@Suite struct ContourPlotTests {
    @Test func ringsOfABowlHaveTheRightRadius() {
        for level in [0.25, 1, 2.25] {
            let lines = MarchingSquares.contours(values: bowl, x: grid, y: grid, level: level)
            #expect(lines.count == 1, "level \(level)")
            guard let ring = lines.first else { continue }
            #expect(ring.first == ring.last && ring.count > 20, "level \(level): the ring is closed")
            // Linear interpolation of x² + y² between grid points 0.05 apart is off by at most h²/4.
            let radii = ring.map { ($0.x * $0.x + $0.y * $0.y).squareRoot() }
            #expect(radii.allSatisfy { abs($0 - level.squareRoot()) < 0.002 }, "level \(level): radii \(radii.min()!)…\(radii.max()!)")
        }
        // A level above the corners' values crosses nothing: the bowl reaches 8 only in the corners.
        #expect(MarchingSquares.segments(values: bowl, x: grid, y: grid, level: 9).isEmpty)
    }

    @Test func aTiltedPlaneGivesOneStraightLine() {
        let plane = grid.map { _ in grid.map { x in x } }
        let lines = MarchingSquares.contours(values: plane, x: grid, y: grid, level: 0.33)
        #expect(lines.count == 1)
        #expect(lines[0].allSatisfy { abs($0.x - 0.33) < 1e-12 })
        #expect(Set(lines[0].map(\.y)).count == grid.count && lines[0].first != lines[0].last)
    }

    @Test func saddleCellsFollowTheCellMean() {
        // Corners: bottom-left 1, bottom-right 0, top-right 1, top-left 0.
        let values: [[Double]] = [[1, 0], [0, 1]]
        let low = MarchingSquares.segments(values: values, x: [0, 1], y: [0, 1], level: 0.6)
        let high = MarchingSquares.segments(values: values, x: [0, 1], y: [0, 1], level: 0.4)
        #expect(low.count == 2 && high.count == 2)
        // Mean 0.5 below the level 0.6: the two high corners are cut off on their own.
        let lowCut = low.map { Set([$0.0, $0.1]) }
        #expect(lowCut.contains(Set([Point(x: 0.4, y: 0), Point(x: 0, y: 0.4)])))
        // Mean above the level 0.4: the high corners join; the two low corners are cut off.
        let highCut = high.map { Set([$0.0, $0.1]) }
        #expect(highCut.contains(Set([Point(x: 0.6, y: 0), Point(x: 1, y: 0.4)])))
    }

    @Test func missingValuesLeaveGapsNotWrongLines() {
        var holed = bowl
        holed[40][60] = .nan   // (1, 0): on the unit circle
        let lines = MarchingSquares.contours(values: holed, x: grid, y: grid, level: 1)
        #expect(lines.count == 1 && lines[0].first != lines[0].last, "the ring is open where the sample is missing")
        #expect(lines[0].allSatisfy { abs(($0.x * $0.x + $0.y * $0.y).squareRoot() - 1) < 0.002 })
        let plot = ContourPlot(xRange: -2...2, yRange: -2...2, values: holed, levels: .values([1, 2]))
        #expect(plot.levels == [1, 2])
        let canvas = plot.rendered()
        #expect(canvas.pixels.count == 640 * 480 * 4)
        #expect(ContourPlot(xRange: 0...1, yRange: 0...1, values: [[.nan, .nan], [.nan, .nan]]).levels.isEmpty)
        _ = ContourPlot(xRange: 0...1, yRange: 0...1, values: [[.nan, .infinity], [1, 2]], trajectories: [.init(name: "p", x: [0.5], y: [0.5])]).rendered()
    }

    @Test func levelsSpreadLinearlyOrGeometrically() {
        let values: [[Double]] = [[0, 1], [3, 4]]
        #expect(ContourPlot(xRange: 0...1, yRange: 0...1, values: values, levels: .linear(count: 3)).levels == [1, 2, 3])
        let geometric = ContourPlot(xRange: 0...1, yRange: 0...1, values: [[1, 10], [100, 1000]], levels: .logarithmic(count: 3)).levels
        #expect(geometric.count == 3 && abs(geometric[0] - 1) < 1e-9 && abs(geometric[1] - 10) < 1e-9 && abs(geometric[2] - 100) < 1e-9)
        // The lowest level skips the smallest 1 % of the values: the two 0.001s out of 200.
        let skewed = [[Double]](repeating: [0.001] + [Double](repeating: 10, count: 98) + [1000], count: 2)
        #expect(abs(ContourPlot(xRange: 0...1, yRange: 0...1, values: skewed, levels: .logarithmic(count: 3)).levels[0] - 10) < 1e-9)
        #expect(ContourPlot(xRange: 0...1, yRange: 0...1, values: values, levels: .values([3, .nan, 1])).levels == [1, 3])
        // No positive values: logarithmic levels fall back to linear ones.
        #expect(ContourPlot(xRange: 0...1, yRange: 0...1, values: [[-4, -3], [-1, 0]], levels: .logarithmic(count: 3)).levels == [-3, -2, -1])
        #expect(ContourPlot.band(of: 2.5, levels: [1, 2, 3]) == 2 && ContourPlot.band(of: 0, levels: [1, 2, 3]) == 0)
    }

    @Test func segmentsAreClippedToTheArea() {
        let area = Rectangle(x: 10, y: 10, width: 100, height: 50)
        let through = clip(Point(x: 0, y: 35), Point(x: 200, y: 35), to: area)
        #expect(through.map { $0.0 == Point(x: 10, y: 35) && abs($0.1.x - 110) < 1e-9 && $0.1.y == 35 } == true)
        #expect(clip(Point(x: 0, y: 0), Point(x: 5, y: 100), to: area) == nil)
        #expect(clip(Point(x: 20, y: 0), Point(x: 60, y: 5), to: area) == nil)
        #expect(clip(Point(x: 20, y: 20), Point(x: .infinity, y: 20), to: area) == nil)
        let inside = clip(Point(x: 20, y: 20), Point(x: 30, y: 40), to: area)
        #expect(inside?.0 == Point(x: 20, y: 20) && inside?.1 == Point(x: 30, y: 40))
        let far = clip(Point(x: 50, y: 30), Point(x: 1e300, y: -1e300), to: area)
        #expect(far.map { $0.1.x <= 110 && $0.1.y >= 10 } == true)
    }

    /// A path running far outside the region (huge, infinite and NaN coordinates) leaves no ink outside
    /// the plot area: its colour appears only inside it and in the legend.
    @Test func trajectoriesOutsideTheRegionAreClipped() {
        let magenta = Color(red: 255, green: 0, blue: 255)
        let plot = ContourPlot(xRange: -1...1, yRange: -1...1, values: [[0, 1], [1, 2]],
                               trajectories: [.init(name: "wild", x: [0, -5, -1e300, .infinity, .nan, 0.5, -0.2],
                                                    y: [0, -3, 1e300, 0, 1, 0.5, -40], color: magenta)])
        let canvas = plot.rendered()
        let frame = ChartFrame(width: 640, height: 480, title: "", xLabel: "", yLabel: "", horizontal: .numeric(ContourPlot.ticks(exactly: -1...1)),
                               vertical: ContourPlot.ticks(exactly: -1...1), legend: [LegendEntry(name: "wild", color: magenta, swatch: .line),
                                   LegendEntry(name: "start", color: .darkGrey, swatch: .marker(.circle)),
                                   LegendEntry(name: "end", color: .darkGrey, swatch: .marker(.diamond))])
        var magentaInside = 0, magentaOutside = 0
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let pixel = canvas[x, y]
                guard pixel.red > 200 && pixel.green < 80 && pixel.blue > 200 else { continue }
                let area = frame.plotArea
                if Double(x) >= area.minX - 1 && Double(x) <= area.maxX + 1 && Double(y) >= area.minY - 1 && Double(y) <= area.maxY + 1 {
                    magentaInside += 1
                } else if Double(x) < area.maxX + 8 {
                    magentaOutside += 1   // left of the legend, outside the plot
                }
            }
        }
        #expect(magentaInside > 50 && magentaOutside == 0, "inside \(magentaInside), outside \(magentaOutside)")
    }

    @Test func rosenbrockRendersToPNGAndSVG() throws {
        let plot = rosenbrockExample()
        let png = try plot.pngData(scale: 2)
        let back = try PNG.decode([UInt8](png))
        #expect(back.width == 1280 && back.height == 960)
        let svg = plot.svg().text
        expectWellFormedXML(svg, "contour")
        #expect(svg.contains("gradient descent") && svg.contains("<image"))
        // The colour bar names every level at this size.
        let missingLabels = plot.levels.map(ContourPlot.shortLabel).filter { !svg.contains(">\($0)</text>") }
        #expect(plot.levels.count == 14 && missingLabels.isEmpty, "\(missingLabels)")
        #expect([1400, 0.52, -0.077, 3].map(ContourPlot.shortLabel) == ["1.4e3", "0.52", "-0.077", "3"])
        if let gallery = ProcessInfo.processInfo.environment["NABLA_VIZ_GALLERY"].map({ URL(fileURLWithPath: $0) }) {
            try FileManager.default.createDirectory(at: gallery, withIntermediateDirectories: true)
            try plot.writePNG(to: gallery.appendingPathComponent("contour.png"), scale: 2)
            try plot.writeSVG(to: gallery.appendingPathComponent("contour.svg"))
            let saddle = ContourPlot(title: "Saddle z = x^2 - y^2", xLabel: "x", yLabel: "y", xRange: -1...1, yRange: -1...1,
                                     levels: .linear(count: 12), colormap: .inferno,
                                     trajectories: [.init(name: "start near the ridge", x: (0..<40).map { 0.9 * pow(0.9, Double($0)) },
                                                          y: (0..<40).map { 0.01 * pow(1.15, Double($0)) })]) { x, y in x * x - y * y }
            try saddle.writePNG(to: gallery.appendingPathComponent("saddle.png"))
        }
    }
}
