/// A confusion matrix: row = true class, column = predicted class, each cell the number of examples,
/// shaded white (none) to dark blue (many) with the count written in it.
///
/// ```swift
/// let matrix = ConfusionMatrix(classNames: ["cat", "dog"], counts: [[40, 10], [5, 45]])
/// print(matrix.accuracy)   // 0.85
/// try matrix.writePNG(to: URL(fileURLWithPath: "confusion.png"), scale: 2)
/// ```
public struct ConfusionMatrix: Figure {
    public var classNames: [String]
    /// `counts[true][predicted]`.
    public var counts: [[Int]]
    public var title: String
    public var width: Double
    public var height: Double

    public init(classNames: [String], counts: [[Int]], title: String = "Confusion matrix", width: Double? = nil, height: Double? = nil) {
        precondition(counts.allSatisfy { $0.count == counts.count }, "ConfusionMatrix: counts must be square")
        self.classNames = classNames
        self.counts = counts
        self.title = title
        // Room for ten classes with four-digit counts at the default size; more classes get more room.
        let side = max(560, Double(counts.count) * 44 + 200)
        self.width = width ?? side
        self.height = height ?? side - 40
    }

    /// Counts from parallel lists of true and predicted class indices; indices outside 0..<classCount
    /// are ignored.
    public init(classNames: [String], trueClasses: [Int], predictedClasses: [Int], title: String = "Confusion matrix") {
        let classCount = classNames.count
        var counts = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (truth, prediction) in zip(trueClasses, predictedClasses)
        where truth >= 0 && truth < classCount && prediction >= 0 && prediction < classCount {
            counts[truth][prediction] += 1
        }
        self.init(classNames: classNames, counts: counts, title: title)
    }

    /// The share of examples on the diagonal (NaN for an empty matrix).
    public var accuracy: Double {
        let total = counts.joined().reduce(0, +)
        let correct = counts.indices.reduce(0) { $0 + counts[$1][$1] }
        return total == 0 ? .nan : Double(correct) / Double(total)
    }

    var heatMap: HeatMap {
        let names = counts.indices.map { $0 < classNames.count ? classNames[$0] : String($0) }
        let largest = Double(counts.joined().max() ?? 0)
        return HeatMap(width: width, height: height, title: title, xLabel: "Predicted class", yLabel: "True class",
                       values: counts.map { $0.map(Double.init) }, rowLabels: names, columnLabels: names,
                       colormap: .blues, valueRange: 0...max(1, largest), showsValues: true)
    }

    public func draw<Surface: DrawingSurface>(on surface: inout Surface) { heatMap.draw(on: &surface) }
}
