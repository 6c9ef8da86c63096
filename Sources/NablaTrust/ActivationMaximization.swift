import Nabla
import NablaNN

/// Activation maximisation (Erhan et al., 2009; Simonyan et al., 2014; Yosinski et al., 2015): what a class
/// or a filter "looks for", as the input that excites it most. Starting from grey, gradient ascent in pixel
/// space on the class's logit or the filter's mean activation, with regularisers that keep the picture
/// natural rather than adversarial noise:
///
///     maximise  objective(x) − λ_tv · TV(x) − λ₂ · ‖x − ½‖²,   x ∈ [0, 1]
///
/// plus a Gaussian blur every few steps (high frequencies are what the network is fooled by, not what it
/// has learned). Each step follows the gradient normalised per image (its mean absolute value), so the
/// step size is in pixel units whatever the scale of the logits.
///
/// ```swift
/// let pictures = ActivationMaximization(steps: 200).images(classifier, objectives: (0..<10).map { .classScore($0) },
///                                                          imageShape: [1, 28, 28], generator: generator)
/// ```
public struct ActivationMaximization: Sendable {
    /// What one picture maximises.
    public enum Objective: Equatable, Sendable {
        /// The logit of a class.
        case classScore(Int)
        /// The activation of channel `channel` after layer `layer` of the model's `Sequential`, summed over positions.
        case filter(layer: Int, channel: Int)
    }

    public var steps: Int
    public var stepSize: Float
    public var totalVariationWeight: Float
    public var l2Weight: Float
    /// Blur with σ = `blurSigma` every `blurEvery` steps (0: never).
    public var blurEvery: Int
    public var blurSigma: Float

    public init(steps: Int = 200, stepSize: Float = 0.02, totalVariationWeight: Float = 0.005, l2Weight: Float = 0.01,
                blurEvery: Int = 8, blurSigma: Float = 0.5) {
        precondition(steps >= 0 && stepSize >= 0 && totalVariationWeight >= 0 && l2Weight >= 0 && blurEvery >= 0 && blurSigma > 0,
                     "ActivationMaximization: steps, step size, weights and blur interval must not be negative, blur sigma must be positive")
        self.steps = steps
        self.stepSize = stepSize
        self.totalVariationWeight = totalVariationWeight
        self.l2Weight = l2Weight
        self.blurEvery = blurEvery
        self.blurSigma = blurSigma
    }

    /// One picture per objective, K×C×H×W in [0, 1] for `imageShape` = [C, H, W], optimised together
    /// (the rows do not interact in evaluation mode), and the objective's final value per picture.
    public func images(_ classifier: PixelClassifier, objectives: [Objective], imageShape: [Int],
                       generator: RandomGenerator) throws -> (images: Tensor, values: [Float]) {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw TrustError("activation maximisation: image shape \(imageShape) must be [channels, height, width]")
        }
        guard !objectives.isEmpty else { throw TrustError("activation maximisation: no objectives; give a class or a filter") }
        let layerCount = (classifier.model as? Sequential)?.count
        for objective in objectives {
            switch objective {
            case .classScore(let value) where !(0..<classifier.classCount).contains(value):
                throw TrustError("activation maximisation: class \(value) is out of range; the classifier has classes 0...\(classifier.classCount - 1)")
            case .filter(let layer, _) where layerCount == nil || !(0..<layerCount!).contains(layer):
                throw TrustError("activation maximisation: layer \(layer) does not exist; the model's Sequential has layers 0..<\(layerCount ?? 0)")
            default: break
            }
        }
        let count = objectives.count
        var pixels = withoutGradients { (generator.normal([count] + imageShape, standardDeviation: 0.01) + 0.5).clamped(min: 0, max: 1) }
        let blur = GaussianSmoothing(sigma: blurSigma)
        for step in 0..<steps {
            let gradient = classifier.gradient(at: pixels) { x in
                objectiveValues(classifier, x, objectives).sum() - regularizer(x)
            }.gradient
            pixels = withoutGradients {
                let scale = gradient.abs().mean(axes: [1, 2, 3], keepDims: true).clamped(min: 1e-12)
                var next = (pixels + gradient / scale * stepSize).clamped(min: 0, max: 1)
                if blurEvery > 0 && (step + 1) % blurEvery == 0 { next = blur.transform(next).clamped(min: 0, max: 1) }
                return next.contiguous()
            }
        }
        let values = withoutGradients { objectiveValues(classifier, pixels, objectives).contiguous().scalars }
        return (pixels, values)
    }

    /// The regularisers, summed over the batch: anisotropic total variation and the squared distance from grey.
    func regularizer(_ x: Tensor) -> Tensor {
        let (height, width) = (x.shape[2], x.shape[3])
        let vertical = (x.sliced(axis: 2, start: 1) - x.sliced(axis: 2, start: 0, end: height - 1)).abs().sum()
        let horizontal = (x.sliced(axis: 3, start: 1) - x.sliced(axis: 3, start: 0, end: width - 1)).abs().sum()
        return (vertical + horizontal) * totalVariationWeight + ((x - 0.5) * (x - 0.5)).sum() * l2Weight
    }

    /// Each picture's objective (a vector of K values), recorded: one forward pass for the class scores and
    /// one per layer named, each row picking its own entry through a 0/1 selector.
    func objectiveValues(_ classifier: PixelClassifier, _ x: Tensor, _ objectives: [Objective]) -> Tensor {
        let count = objectives.count
        /// Σ_j matrix[k, j] · selector[k, j] for the rows whose objective `pick` chooses a column of.
        func picked(_ matrix: Tensor, _ pick: (Objective) -> Int?) -> Tensor {
            let width = matrix.shape[1]
            var selector = [Float](repeating: 0, count: count * width)
            for (row, objective) in objectives.enumerated() {
                guard let column = pick(objective) else { continue }
                precondition((0..<width).contains(column), "activation maximisation: channel \(column) is not in an output of \(width) channels")
                selector[row * width + column] = 1
            }
            return (matrix * Tensor(selector, shape: [count, width])).sum(axis: 1)
        }
        var total = Tensor.zeros([count])
        if objectives.contains(where: { if case .classScore = $0 { return true } else { return false } }) {
            total = total + picked(classifier.logits(x)) { if case .classScore(let value) = $0 { return value } else { return nil } }
        }
        let layers = Set(objectives.compactMap { objective -> Int? in if case .filter(let layer, _) = objective { return layer } else { return nil } })
        for layer in layers.sorted() {
            let model = classifier.model as! Sequential
            var output = Sequential(Array(model.layers[0...layer]))(classifier.normalized(x))
            // Summed over positions rather than averaged: the mean of a 14×14 map has a gradient ~200 times
            // smaller than a logit's, which the regularisers then drown (the pictures stayed grey).
            if output.rank == 4 { output = output.mean(axes: [2, 3]) * Float(output.shape[2] * output.shape[3]) }
            total = total + picked(output) { objective in
                if case .filter(layer, let channel) = objective { return channel } else { return nil }
            }
        }
        return total
    }
}
