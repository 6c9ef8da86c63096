import Nabla
import NablaNN

/// Explanations of one class score per image: how much each pixel (or region) matters for
/// `logits[n, classes[n]]`. Every method returns attributions of the images' shape (N×C×H×W).
public enum Attribution {
    /// Vanilla gradient saliency (Simonyan et al., 2014): ∂ score / ∂ pixel.
    public static func saliency(_ classifier: PixelClassifier, images: Tensor, classes: [Int]) -> Tensor {
        classGradient(classifier, images, classes)
    }

    /// SmoothGrad (Smilkov et al., 2017): the gradient averaged over `samples` copies of the image with
    /// Gaussian noise of standard deviation `noise` (in pixel units), which averages away the gradient's
    /// speckle.
    public static func smoothGrad(_ classifier: PixelClassifier, images: Tensor, classes: [Int], samples: Int = 25,
                                  noise: Float = 0.15, generator: RandomGenerator) -> Tensor {
        precondition(samples >= 1 && noise >= 0, "smoothGrad: samples \(samples) must be ≥ 1 and noise \(noise) ≥ 0")
        var total = Tensor.zeros(images.shape)
        for _ in 0..<samples {
            let noisy = images + generator.normal(images.shape, standardDeviation: noise)
            total = total + classGradient(classifier, noisy, classes)
        }
        return total / Float(samples)
    }

    /// How integrated gradients average the gradient over the `steps` points α_i = i / (steps − 1).
    public enum IntegrationRule: String, Sendable {
        /// The trapezoid rule: weights 1/(steps − 1), halved at both ends (they sum to 1).
        case trapezoid
        /// captum's "riemann_trapezoid": weights 1/steps, halved at both ends, so they sum to
        /// (steps − 1)/steps and the attributions come out short by 1/steps; for comparisons with captum.
        case captumTrapezoid
    }

    /// Integrated gradients (Sundararajan et al., 2017): (x − baseline) times the gradient averaged along
    /// the straight path from the baseline (default black) to x, over `steps` points including both ends.
    /// The attributions sum to about score(x) − score(baseline); `completenessError` is the gap, per image.
    public static func integratedGradients(_ classifier: PixelClassifier, images: Tensor, classes: [Int], baseline: Tensor? = nil,
                                           steps: Int = 50, rule: IntegrationRule = .trapezoid,
                                           batchSize: Int = 100) -> (attributions: Tensor, completenessError: [Float]) {
        precondition(steps >= 2, "integratedGradients: steps \(steps) must be at least 2")
        let start = baseline ?? Tensor.zeros(images.shape)
        precondition(start.shape == images.shape, "integratedGradients: baseline \(start.shape) differs from images \(images.shape)")
        let count = images.shape[0]
        let difference = images - start
        var total = Tensor.zeros(images.shape)
        let alphas = (0..<steps).map { Float($0) / Float(steps - 1) }
        let interval = Float(rule == .trapezoid ? steps - 1 : steps)
        let weights = (0..<steps).map { ($0 == 0 || $0 == steps - 1 ? 0.5 : 1) / interval }
        // Several path points per forward pass: the images repeated at each α of a group.
        let group = max(1, batchSize / max(1, count))
        var index = 0
        while index < steps {
            let chosen = Array(index..<min(steps, index + group))
            let points = Tensor.concat(chosen.map { start + difference * alphas[$0] }, axis: 0)
            let gradient = classGradient(classifier, points, Array(chosen.map { _ in classes }.joined()))
            for (position, step) in chosen.enumerated() {
                total = total + gradient.sliced(axis: 0, start: position * count, end: (position + 1) * count) * weights[step]
            }
            index += group
        }
        let attributions = (difference * total).contiguous()
        let scores = withoutGradients { () -> [Float] in
            let atImages = classScores(classifier.logits(images), classes)
            let atBaseline = classScores(classifier.logits(start), classes)
            return zip(atImages, atBaseline).map { $0 - $1 }
        }
        let sums = attributions.sum(axes: [1, 2, 3]).scalars
        return (attributions, zip(sums, scores).map { abs($0 - $1) })
    }

    /// Occlusion (Zeiler & Fergus, 2014): the drop in the class score when a `window` × `window` patch
    /// (moved by `stride`) is set to `fill`, spread over the pixels each patch covers (averaged where patches overlap).
    public static func occlusion(_ classifier: PixelClassifier, images: Tensor, classes: [Int], window: Int = 4, stride: Int = 2,
                                 fill: Float = 0) -> Tensor {
        precondition(window >= 1 && stride >= 1, "occlusion: window \(window) and stride \(stride) must be positive")
        let (count, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let source = images.contiguous().scalars
        let base = withoutGradients { classScores(classifier.logits(images), classes) }
        var attribution = [Float](repeating: 0, count: source.count)
        var coverage = [Float](repeating: 0, count: source.count)
        let tops = Array(Swift.stride(from: 0, through: max(0, height - window), by: stride))
        let lefts = Array(Swift.stride(from: 0, through: max(0, width - window), by: stride))
        for top in tops {
            for left in lefts {
                var occluded = source
                for n in 0..<count { for c in 0..<channels { for y in top..<min(height, top + window) { for x in left..<min(width, left + window) {
                    occluded[((n * channels + c) * height + y) * width + x] = fill
                } } } }
                let scores = withoutGradients { classScores(classifier.logits(Tensor(occluded, shape: images.shape)), classes) }
                for n in 0..<count { for c in 0..<channels { for y in top..<min(height, top + window) { for x in left..<min(width, left + window) {
                    let position = ((n * channels + c) * height + y) * width + x
                    attribution[position] += base[n] - scores[n]
                    coverage[position] += 1
                } } } }
            }
        }
        return Tensor(zip(attribution, coverage).map { $1 > 0 ? $0 / $1 : 0 }, shape: images.shape)
    }

    /// Grad-CAM (Selvaraju et al., 2017) for a `Sequential` model cut after layer `layer` (a convolution
    /// block's output, N×K×h×w): the feature maps weighted by their mean gradient, summed, ReLU, then
    /// upsampled bilinearly to the image size and repeated over the image's channels.
    public static func gradCAM(_ classifier: PixelClassifier, images: Tensor, classes: [Int], layer: Int) -> Tensor {
        guard let model = classifier.model as? Sequential else { preconditionFailure("gradCAM: the model is not a Sequential") }
        precondition((0..<model.count - 1).contains(layer), "gradCAM: layer \(layer) is not in 0..<\(model.count - 1)")
        let head = Sequential(Array(model.layers[0...layer])), tail = Sequential(Array(model.layers[(layer + 1)...]))
        let features = withoutGradients { head(classifier.normalized(images)) }
        precondition(features.rank == 4, "gradCAM: layer \(layer) gives shape \(features.shape), not N×K×h×w")
        let oneHot = Tensor.oneHot(IntTensor(classes), classes: classifier.classCount)
        let featureGradient = classifier.gradient(at: features) { (tail($0) * oneHot).sum() }.gradient
        let weights = featureGradient.mean(axes: [2, 3], keepDims: true)
        let map = (features * weights).sum(axis: 1, keepDims: true).relu()
        let resized = interpolate(map, size: Size2(images.shape[2], images.shape[3]), mode: .bilinear)
        return resized.expanded(to: images.shape).contiguous()
    }

    /// ∂ logits[n, classes[n]] / ∂ images[n], for every n at once (the rows do not interact in eval mode).
    static func classGradient(_ classifier: PixelClassifier, _ images: Tensor, _ classes: [Int]) -> Tensor {
        precondition(images.shape[0] == classes.count, "Attribution: \(images.shape[0]) images for \(classes.count) classes")
        let oneHot = Tensor.oneHot(IntTensor(classes), classes: classifier.classCount)
        return classifier.inputGradient(at: images) { ($0 * oneHot).sum() }.gradient
    }

    static func classScores(_ logits: Tensor, _ classes: [Int]) -> [Float] {
        let values = logits.scalars, width = logits.shape[1]
        return classes.enumerated().map { values[$0.offset * width + $0.element] }
    }
}
