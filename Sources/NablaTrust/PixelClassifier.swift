import Nabla
import NablaNN

/// A classifier seen from pixel space: images in [0, 1], shape N×C×H×W, with the model's own input
/// normalisation `(x − mean) / std` applied inside, so attacks and explanations perturb and attribute
/// real pixels and an ε means the same thing whatever the network was trained on.
///
/// The model is put in evaluation mode (dropout off, batch norm on running statistics): an attack
/// against a network that changes between calls would measure noise, not the network.
///
/// ```swift
/// let classifier = PixelClassifier(model: model, mean: [0.286], standardDeviation: [0.353], classCount: 10)
/// let predicted = classifier.predictions(images)
/// ```
public final class PixelClassifier {
    public let model: any Layer
    public let mean: [Float]
    public let standardDeviation: [Float]
    public let classCount: Int
    /// An input transformation in pixel space before the model (a defence such as JPEG compression), and
    /// how gradients pass through it; nil for none.
    public let defence: (any InputDefence)?
    public let defenceGradient: DefenceGradient
    private let meanTensor: Tensor
    private let scaleTensor: Tensor

    /// `mean` and `standardDeviation` hold one value (all channels) or one per channel.
    public init(model: any Layer, mean: [Float] = [0], standardDeviation: [Float] = [1], classCount: Int,
                defence: (any InputDefence)? = nil, defenceGradient: DefenceGradient = .own) {
        precondition(!mean.isEmpty && mean.count == standardDeviation.count,
                     "PixelClassifier: \(mean.count) means for \(standardDeviation.count) standard deviations")
        precondition(standardDeviation.allSatisfy { $0 > 0 }, "PixelClassifier: standard deviations \(standardDeviation) must be positive")
        precondition(classCount >= 2, "PixelClassifier: classCount \(classCount) must be at least 2")
        self.model = model
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.classCount = classCount
        self.defence = defence
        self.defenceGradient = defenceGradient
        let shape = mean.count == 1 ? [] : [1, mean.count, 1, 1]
        meanTensor = Tensor(mean, shape: shape)
        scaleTensor = Tensor(standardDeviation.map { 1 / $0 }, shape: shape)
        model.eval()
    }

    /// The model's logits (N × classes) for pixels in [0, 1]; recorded when `pixels` requires gradients.
    public func logits(_ pixels: Tensor) -> Tensor {
        precondition(pixels.rank == 4, "PixelClassifier.logits: images must be N×C×H×W, got \(pixels.shape)")
        precondition(mean.count == 1 || pixels.shape[1] == mean.count,
                     "PixelClassifier.logits: \(pixels.shape[1]) channels but \(mean.count) channel means")
        let output = model(normalized(defended(pixels)))
        precondition(output.rank == 2 && output.shape[1] == classCount,
                     "PixelClassifier.logits: the model gave shape \(output.shape), expected N×\(classCount)")
        return output
    }

    /// The same model and normalisation behind `defence`, its gradient passed as `gradient` says.
    public func defended(by defence: any InputDefence, gradient: DefenceGradient = .own) -> PixelClassifier {
        PixelClassifier(model: model, mean: mean, standardDeviation: standardDeviation, classCount: classCount,
                        defence: defence, defenceGradient: gradient)
    }

    /// The pixels after the defence, if any. A transformation without a gradient of its own passes none
    /// (`.own`: the attack sees a zero gradient) or the identity's (`.straightThrough`, BPDA: forward the
    /// transformed pixels, backward as if nothing had been done).
    func defended(_ pixels: Tensor) -> Tensor {
        guard let defence else { return pixels }
        if defence.isDifferentiable { return defence.transform(pixels) }
        let transformed = withoutGradients { defence.transform(pixels.detached()) }
        switch defenceGradient {
        // Zero times the pixels keeps the graph connected (a recorded output) with the gradient the
        // transformation really has almost everywhere: none.
        case .own: return pixels * 0 + transformed
        case .straightThrough: return pixels + (transformed - pixels.detached())
        }
    }

    /// The pixels as the model sees them: `(x − mean) / std`.
    public func normalized(_ pixels: Tensor) -> Tensor {
        mean == [0] && standardDeviation == [1] ? pixels : (pixels - meanTensor) * scaleTensor
    }

    /// The predicted class of every image, computed in batches of `batchSize` without recording.
    public func predictions(_ pixels: Tensor, batchSize: Int = 500) -> [Int] {
        withoutGradients {
            pixels.split(size: max(1, batchSize), axis: 0).flatMap { logits($0).argmax(axis: 1).scalars }
        }
    }

    /// The share of `pixels` classified as `labels`.
    public func accuracy(_ pixels: Tensor, labels: [Int], batchSize: Int = 500) -> Double {
        precondition(pixels.shape[0] == labels.count, "PixelClassifier.accuracy: \(pixels.shape[0]) images for \(labels.count) labels")
        guard !labels.isEmpty else { return 0 }
        let correct = zip(predictions(pixels, batchSize: batchSize), labels).filter { $0 == $1 }.count
        return Double(correct) / Double(labels.count)
    }

    /// `function(pixels)` (a scalar) and its gradient with respect to `point`, recorded even inside
    /// `withoutGradients`. The model's own parameters are frozen meanwhile, so backward computes no
    /// weight gradients an attack would throw away.
    public func gradient(at point: Tensor, of function: (Tensor) -> Tensor) -> (value: Tensor, gradient: Tensor) {
        withFrozenModel {
            let (value, gradients) = valueAndGradient(at: [point.detached()]) { function($0[0]) }
            return (value, gradients[0])
        }
    }

    /// `objective(logits(transform(pixels)))` and its gradient with respect to the pixels, with the logits seen.
    public func inputGradient(at pixels: Tensor, transform: ((Tensor) -> Tensor)? = nil,
                              of objective: (_ logits: Tensor) -> Tensor) -> (value: Tensor, logits: Tensor, gradient: Tensor) {
        var output: Tensor?
        let (value, gradient) = gradient(at: pixels) { input in
            output = logits(transform.map { $0(input) } ?? input)
            return objective(output!)
        }
        return (value, output!.detached(), gradient)
    }

    /// The gradient of each row's weighted logit sum `Σ_k seed[n, k] · logits[n, k]` with respect to the
    /// pixels, one per seed (N × classes), from one forward pass: DeepFool needs every class's gradient.
    public func logitGradients(at pixels: Tensor, seeds: [Tensor]) -> (logits: Tensor, gradients: [Tensor]) {
        precondition(!seeds.isEmpty, "PixelClassifier.logitGradients: no seeds")
        return withFrozenModel {
            var output: Tensor?
            var input: Tensor?
            let first = valueAndGradient(at: [pixels.detached()]) { inputs -> Tensor in
                input = inputs[0]
                output = logits(inputs[0])
                return (output! * seeds[0]).sum()
            }.gradients[0]
            let rest = seeds.dropFirst().map { seed in gradients(of: output!, withRespectTo: [input!], gradient: seed)[0] }
            return (output!.detached(), [first] + rest)
        }
    }

    /// Runs `body` with every parameter's `requiresGrad` off, then restores the flags.
    func withFrozenModel<Result>(_ body: () throws -> Result) rethrows -> Result {
        let parameters = model.parameters()
        let flags = parameters.map(\.requiresGrad)
        parameters.forEach { $0.requiresGrad = false }
        defer { for (parameter, flag) in zip(parameters, flags) { parameter.requiresGrad = flag } }
        return try body()
    }
}
