import Foundation
import Nabla
import NablaClassic

/// A partition of an image's pixels into segments (superpixels): `labels[y * width + x]` is the segment of
/// pixel (y, x), numbered 0..<count. LIME and Kernel SHAP switch whole segments on and off.
public struct ImageSegmentation: Sendable, Equatable {
    public let height: Int
    public let width: Int
    public let labels: [Int]
    public let count: Int

    public init(height: Int, width: Int, labels: [Int]) {
        precondition(labels.count == height * width && !labels.isEmpty, "ImageSegmentation: \(labels.count) labels for \(height)×\(width) pixels")
        let count = (labels.max() ?? 0) + 1
        precondition(labels.allSatisfy { $0 >= 0 } && Set(labels).count == count, "ImageSegmentation: labels must number the segments 0..<count without gaps")
        self.height = height
        self.width = width
        self.labels = labels
        self.count = count
    }

    /// Square cells of `cell` × `cell` pixels (smaller at the right and bottom edges): 7 × 7 = 49 segments of
    /// 4 × 4 on a 28 × 28 image. A fixed grid keeps the segments comparable between images and methods.
    public static func grid(height: Int, width: Int, cell: Int) -> ImageSegmentation {
        precondition(cell >= 1, "ImageSegmentation.grid: cell \(cell) must be positive")
        let across = (width + cell - 1) / cell
        return ImageSegmentation(height: height, width: width, labels: (0..<height * width).map { ($0 / width / cell) * across + ($0 % width) / cell })
    }
}

/// What LIME and Kernel SHAP explain: the class's softmax probability (as the `lime` and `shap` packages
/// use a classifier's `predict_proba`) or its logit.
public enum SurrogateOutput: String, Sendable {
    case probability, logit
}

extension Attribution {
    /// LIME (Ribeiro et al., 2016) for images: `samples` copies of each image with a random half of its
    /// segments replaced by `fill` (the first copy keeps them all), the class output of each, and a ridge
    /// regression (penalty 1, through NablaClassic) of the outputs on which segments were kept, each copy
    /// weighted by the kernel √exp(−d²/0.25²) of its cosine distance d to the whole image — `lime`'s
    /// `LimeImageExplainer` defaults. Every pixel gets its segment's coefficient.
    public static func lime(_ classifier: PixelClassifier, images: Tensor, classes: [Int], segmentation: ImageSegmentation,
                            samples: Int = 1000, fill: Float = 0, output: SurrogateOutput = .probability,
                            generator: RandomGenerator) throws -> Tensor {
        precondition(samples >= 2, "lime: samples \(samples) must be at least 2")
        return try surrogate(classifier, images: images, classes: classes, segmentation: segmentation, fill: fill, output: output) { count in
            var coalitions = [[Bool](repeating: true, count: count)]
            var weights = [1.0]
            for _ in 1..<samples {
                let kept = (0..<count).map { _ in generator.nextUnitFloat() < 0.5 }
                let on = Double(kept.filter { $0 }.count)
                // Cosine distance between the kept-mask and all ones: 1 − on / √(on · count).
                let distance = on == 0 ? 1 : 1 - on / (on * Double(count)).squareRoot()
                coalitions.append(kept)
                weights.append(exp(-distance * distance / (0.25 * 0.25)).squareRoot())
            }
            return (coalitions, weights, RidgeRegression(penalty: 1))
        }
    }

    /// Kernel SHAP (Lundberg & Lee, 2017): Shapley values of the segments, from a weighted linear regression
    /// of the class output on `samples` random coalitions of kept segments (the rest set to `fill`). Coalition
    /// sizes k are drawn in proportion to the Shapley kernel's mass (S − 1) / (k (S − k)) and each coalition
    /// then weighs the same; the empty and the full coalition get a weight of 10⁶, which makes the values add
    /// up to output(image) − output(all segments filled), as Shapley values must.
    public static func kernelSHAP(_ classifier: PixelClassifier, images: Tensor, classes: [Int], segmentation: ImageSegmentation,
                                  samples: Int = 1000, fill: Float = 0, output: SurrogateOutput = .probability,
                                  generator: RandomGenerator) throws -> Tensor {
        precondition(samples >= 2 && segmentation.count >= 2, "kernelSHAP: samples \(samples) and segments \(segmentation.count) must be at least 2")
        return try surrogate(classifier, images: images, classes: classes, segmentation: segmentation, fill: fill, output: output) { count in
            var coalitions = [[Bool](repeating: true, count: count), [Bool](repeating: false, count: count)]
            var weights = [1e6, 1e6]
            let mass = (1..<count).map { Double(count - 1) / Double($0 * (count - $0)) }
            let total = mass.reduce(0, +)
            for _ in 2..<max(3, samples) {
                var draw = Double(generator.nextUnitFloat()) * total, size = 1
                for (index, value) in mass.enumerated() { size = index + 1; draw -= value; if draw <= 0 { break } }
                var order = Array(0..<count)
                for index in 0..<size { order.swapAt(index, generator.integer(in: index..<count)) }
                var kept = [Bool](repeating: false, count: count)
                for index in order.prefix(size) { kept[index] = true }
                coalitions.append(kept)
                weights.append(1)
            }
            return (coalitions, weights, RidgeRegression(penalty: 1e-6))
        }
    }

    /// The shared machinery of LIME and Kernel SHAP: per image, the coalitions and weights `design` draws,
    /// the classifier's output on each masked copy, and a weighted ridge fit whose coefficients are spread
    /// over each segment's pixels.
    static func surrogate(_ classifier: PixelClassifier, images: Tensor, classes: [Int], segmentation: ImageSegmentation, fill: Float,
                          output: SurrogateOutput,
                          design: (Int) -> (coalitions: [[Bool]], weights: [Double], fitter: RidgeRegression)) throws -> Tensor {
        precondition(images.rank == 4 && images.shape[0] == classes.count, "surrogate attribution: images \(images.shape) for \(classes.count) classes")
        precondition(images.shape[2] == segmentation.height && images.shape[3] == segmentation.width,
                     "surrogate attribution: segmentation of \(segmentation.height)×\(segmentation.width) for images \(images.shape)")
        let (count, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let plane = height * width, imageSize = channels * plane
        let source = images.contiguous().scalars
        var result = [Float](repeating: 0, count: source.count)
        for n in 0..<count {
            let (coalitions, weights, fitter) = design(segmentation.count)
            let image = Array(source[(n * imageSize)..<((n + 1) * imageSize)])
            var outputs: [Double] = []
            for chunk in stride(from: 0, to: coalitions.count, by: 250) {
                let part = coalitions[chunk..<min(coalitions.count, chunk + 250)]
                var masked = [Float](); masked.reserveCapacity(part.count * imageSize)
                for kept in part {
                    for c in 0..<channels { for p in 0..<plane { masked.append(kept[segmentation.labels[p]] ? image[c * plane + p] : fill) } }
                }
                let logits = withoutGradients { classifier.logits(Tensor(masked, shape: [part.count, channels, height, width])) }
                let values = (output == .probability ? logits.softmax(axis: 1) : logits).contiguous().scalars
                let classCount = classifier.classCount
                outputs += (0..<part.count).map { Double(values[$0 * classCount + classes[n]]) }
            }
            let features = Matrix(rowCount: coalitions.count, columnCount: segmentation.count,
                                  values: coalitions.flatMap { $0.map { $0 ? 1.0 : 0.0 } })
            let model = try fitter.fit(features, targets: outputs, sampleWeights: weights)
            for c in 0..<channels { for p in 0..<plane { result[n * imageSize + c * plane + p] = Float(model.weights[segmentation.labels[p]]) } }
        }
        return Tensor(result, shape: images.shape)
    }
}
