import Foundation
import Nabla
import NablaData
import NablaViz

/// Images for a trained Fashion-MNIST classifier read from a file a user has: an IDX file of images (its
/// labels found beside it when the name follows the `…-images-idx3-ubyte` pattern), an NPY array of
/// (N, 28, 28), (N, 784), (N, 1, 28, 28) or (28, 28), a 28×28 PNG, or a CSV with 784 pixel columns
/// (785 with the label first, as Kaggle's fashion-mnist CSVs; a header row is skipped). Pixels come back
/// in [0, 1] as (N, 1, 28, 28): values above 1 are taken as 0–255 and divided by 255.
public struct ClassifierInputs {
    public let pixels: Tensor
    /// The true classes, when the file (or its sibling labels file) gives them.
    public let labels: [Int]?
    /// Where the labels came from ("t10k-labels-idx1-ubyte", "the CSV's first column").
    public let labelSource: String?

    public init(pixels: Tensor, labels: [Int]? = nil, labelSource: String? = nil) {
        self.pixels = pixels
        self.labels = labels
        self.labelSource = labelSource
    }

    public static func read(_ path: String) throws -> ClassifierInputs {
        guard FileManager.default.fileExists(atPath: path) else { throw LabError("\(path): no such file; give an IDX, NPY, PNG or CSV file of 28×28 images") }
        let lower = path.lowercased()
        if lower.hasSuffix(".npy") { return try fromNPY(path) }
        if lower.hasSuffix(".png") { return try fromPNG(path) }
        if lower.hasSuffix(".csv") { return try fromCSV(path) }
        if lower.contains("idx3") || lower.hasSuffix(".idx") || lower.contains("ubyte") { return try fromIDX(path) }
        throw LabError("\(path): unknown kind of file; give an IDX (…-images-idx3-ubyte[.gz]), .npy, .png or .csv file of 28×28 images")
    }

    static func fromIDX(_ path: String) throws -> ClassifierInputs {
        let array = try IDX.read(path)
        guard array.shape.count == 3, array.shape[1] == 28, array.shape[2] == 28 else {
            throw LabError("\(path) holds an array of shape \(array.shape); a classifier of this run takes (N, 28, 28) images")
        }
        let pixels = array.tensor(dividingBy: array.dataType.isInteger ? 255 : 1).reshaped([array.shape[0], 1, 28, 28])
        let name = (path as NSString).lastPathComponent
        guard name.contains("images-idx3") else { return ClassifierInputs(pixels: pixels) }
        let labelsPath = ((path as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent(name.replacingOccurrences(of: "images-idx3", with: "labels-idx1"))
        guard FileManager.default.fileExists(atPath: labelsPath) else { return ClassifierInputs(pixels: pixels) }
        let labels = try IDX.read(labelsPath, rank: 1).intTensor().scalars
        guard labels.count == array.shape[0] else {
            throw LabError("\(labelsPath) holds \(labels.count) labels for the \(array.shape[0]) images of \(path)")
        }
        return ClassifierInputs(pixels: pixels, labels: labels, labelSource: (labelsPath as NSString).lastPathComponent)
    }

    static func fromNPY(_ path: String) throws -> ClassifierInputs {
        let array = try NPY.read(path)
        let shape = array.shape
        let count: Int
        switch shape.count {
        case 2 where shape == [28, 28]: count = 1
        case 2 where shape[1] == 784: count = shape[0]
        case 3 where shape[1] == 28 && shape[2] == 28: count = shape[0]
        case 4 where shape[1] == 1 && shape[2] == 28 && shape[3] == 28: count = shape[0]
        default:
            throw LabError("\(path) holds an array of shape \(shape); give (N, 28, 28), (N, 784), (N, 1, 28, 28) or (28, 28)")
        }
        return ClassifierInputs(pixels: scaled(array.tensor().reshaped([count, 1, 28, 28])))
    }

    static func fromPNG(_ path: String) throws -> ClassifierInputs {
        let bitmap = try PNG.read(from: URL(fileURLWithPath: path))
        guard bitmap.width == 28 && bitmap.height == 28 else {
            throw LabError("\(path) is \(bitmap.width)×\(bitmap.height) pixels; a classifier of this run takes 28×28 images")
        }
        let channels = bitmap.format.channelCount
        let colours = channels >= 3 ? 3 : 1
        var grey = [Float](repeating: 0, count: 784)
        for index in 0..<784 {
            var sum: Float = 0
            for channel in 0..<colours { sum += Float(bitmap.bytes[index * channels + channel]) }
            grey[index] = sum / Float(colours) / 255
        }
        return ClassifierInputs(pixels: Tensor(grey, shape: [1, 1, 28, 28]))
    }

    static func fromCSV(_ path: String) throws -> ClassifierInputs {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw LabError("\(path): cannot be read as UTF-8 text (\(error.localizedDescription))")
        }
        var rows: [[Float]] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let values = fields.map { Float($0) }
            if values.contains(where: { $0 == nil }) {
                if number == 0 { continue }   // a header row
                throw LabError("\(path) line \(number + 1): a field is not a number")
            }
            guard fields.count == 784 || fields.count == 785 else {
                throw LabError("\(path) line \(number + 1): \(fields.count) values; a row holds 784 pixels, or a label and 784 pixels")
            }
            rows.append(values.map { $0! })
        }
        guard let width = rows.first?.count else { throw LabError("\(path) holds no rows of pixels") }
        guard rows.allSatisfy({ $0.count == width }) else { throw LabError("\(path): rows of different lengths") }
        let labelled = width == 785
        let pixels = rows.flatMap { labelled ? Array($0.dropFirst()) : $0 }
        var labels: [Int]? = nil
        if labelled {
            labels = try rows.enumerated().map { index, row in
                guard row[0] >= 0, row[0] < 10, row[0] == row[0].rounded() else {
                    throw LabError("\(path) row \(index + 1): the label \(row[0]) is not a class 0…9")
                }
                return Int(row[0])
            }
        }
        return ClassifierInputs(pixels: scaled(Tensor(pixels, shape: [rows.count, 1, 28, 28])), labels: labels,
                                labelSource: labelled ? "the CSV's first column" : nil)
    }

    /// Values in 0–255 are brought to [0, 1].
    static func scaled(_ pixels: Tensor) -> Tensor {
        (pixels.scalars.max() ?? 0) > 1 ? pixels / 255 : pixels
    }
}

/// Accuracy, per-class precision, recall and F1, and the confusion matrix (rows: true class, columns:
/// predicted), as scikit-learn's `classification_report` and `confusion_matrix` give them.
public struct ClassificationScores {
    public let confusion: [[Int]]
    public var classCount: Int { confusion.count }
    public var total: Int { confusion.joined().reduce(0, +) }
    public var accuracy: Double { total == 0 ? 0 : Double((0..<classCount).map { confusion[$0][$0] }.reduce(0, +)) / Double(total) }

    public init(predictions: [Int], labels: [Int], classCount: Int) {
        precondition(predictions.count == labels.count, "ClassificationScores: \(predictions.count) predictions for \(labels.count) labels")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (predicted, truth) in zip(predictions, labels) { confusion[truth][predicted] += 1 }
        self.confusion = confusion
    }

    /// Precision of class `k` (0 when nothing was predicted as `k`, as scikit-learn's zero_division=0).
    public func precision(_ k: Int) -> Double {
        let predicted = (0..<classCount).map { confusion[$0][k] }.reduce(0, +)
        return predicted == 0 ? 0 : Double(confusion[k][k]) / Double(predicted)
    }

    public func recall(_ k: Int) -> Double {
        let actual = confusion[k].reduce(0, +)
        return actual == 0 ? 0 : Double(confusion[k][k]) / Double(actual)
    }

    public func f1(_ k: Int) -> Double {
        let p = precision(k), r = recall(k)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    public func support(_ k: Int) -> Int { confusion[k].reduce(0, +) }
}
