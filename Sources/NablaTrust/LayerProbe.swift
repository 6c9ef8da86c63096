import Nabla
import NablaClassic
import NablaNN

/// Linear probes (Alain & Bengio, 2017): how linearly separable the classes are in each layer's
/// features. The network's `Sequential` is cut after every layer; the features of training images are
/// standardised and a logistic regression (NablaClassic, L-BFGS) is fitted on them and scored on test
/// images. The probe only reads: the network is not changed.
public enum LayerProbe {
    /// One probe's result: the layer (−1 for the pixels), its name, the feature count it saw and its test accuracy.
    public struct Result: Sendable {
        public let layer: Int
        public let name: String
        public let featureCount: Int
        public let accuracy: Double
    }

    /// The features after layer `layer` of `classifier`'s `Sequential` (−1: the pixels) for `images` in
    /// [0, 1], flattened to N × features; feature maps are average-pooled to at most `maximumSide` ×
    /// `maximumSide` so the probes stay small.
    public static func features(_ classifier: PixelClassifier, images: Tensor, layer: Int, maximumSide: Int = 7) -> Tensor {
        guard let model = classifier.model as? Sequential else { preconditionFailure("LayerProbe: the model is not a Sequential") }
        precondition((-1..<model.count).contains(layer), "LayerProbe: layer \(layer) is not in -1..<\(model.count)")
        return withoutGradients {
            var output = images
            if layer >= 0 { output = Sequential(Array(model.layers[0...layer]))(classifier.normalized(images)) }
            if output.rank == 4 && layer >= 0 && output.shape[2] > maximumSide {
                output = adaptiveAvgPool2d(output, outputSize: Size2(maximumSide, maximumSide))
            }
            return output.reshaped([output.shape[0], output.count / max(1, output.shape[0])]).contiguous()
        }
    }

    /// Test accuracy of a logistic-regression probe on every layer in `layers` (−1: pixels), trained on
    /// `trainingImages`. `names` labels the layers in the results.
    public static func run(_ classifier: PixelClassifier, layers: [Int], names: [String], trainingImages: Tensor, trainingLabels: [Int],
                           testImages: Tensor, testLabels: [Int], regularization: Double = 1) throws -> [Result] {
        precondition(layers.count == names.count, "LayerProbe.run: \(layers.count) layers for \(names.count) names")
        return try zip(layers, names).map { layer, name in
            let training = matrix(features(classifier, images: trainingImages, layer: layer))
            let test = matrix(features(classifier, images: testImages, layer: layer))
            let scaler = try StandardScaler.fit(training)
            let model = try LogisticRegression(regularizationStrength: regularization, maximumIterations: 200)
                .fit(try scaler.transform(training), labels: trainingLabels)
            let predicted = try model.predict(try scaler.transform(test))
            let correct = zip(predicted, testLabels).filter { $0 == $1 }.count
            return Result(layer: layer, name: name, featureCount: training.columnCount, accuracy: Double(correct) / Double(max(1, testLabels.count)))
        }
    }

    /// A rank-2 tensor as a double-precision matrix for NablaClassic.
    public static func matrix(_ tensor: Tensor) -> Matrix {
        precondition(tensor.rank == 2, "LayerProbe.matrix: expected N × features, got \(tensor.shape)")
        return Matrix(rowCount: tensor.shape[0], columnCount: tensor.shape[1], values: tensor.contiguous().scalars.map(Double.init))
    }
}
