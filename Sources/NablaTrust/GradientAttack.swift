import Nabla

/// The family of iterative gradient attacks: FGSM, I-FGSM/BIM, PGD, MI-FGSM and DIM are all "step along
/// the loss gradient's sign (L∞) or direction (L2), project back into the ε-ball and into [0, 1]", and
/// differ in the number of steps, a random start inside the ball, momentum over normalised gradients
/// and random resizing of the input at each step. The arithmetic follows torchattacks, so the same
/// weights give the same adversarial accuracy.
///
/// ```swift
/// let pgd = GradientAttack.pgd(epsilon: 0.1, stepSize: 0.01, steps: 20)
/// let adversarial = pgd.perturb(classifier, images: x, labels: y, goal: .untargeted, generator: generator)
/// ```
public struct GradientAttack: AdversarialAttack {
    public var name: String
    /// The radius of the allowed perturbation, in pixel units under `norm`.
    public var epsilon: Float
    /// The length of one step (α).
    public var stepSize: Float
    public var steps: Int
    public var norm: PerturbationNorm
    /// Start from a uniformly random point of the ε-ball rather than the image itself.
    public var randomStart: Bool
    /// MI-FGSM's decay μ: the step follows g/‖g‖₁-mean plus μ times the previous direction; nil for none.
    public var momentumDecay: Float?
    /// DIM: a random resize-and-pad of the input before each gradient, nil for none.
    public var diversity: InputDiversity?
    /// Gradients averaged per step: more than one against a randomised defence is expectation over
    /// transformation (EOT, Athalye et al., 2018), which sees through the randomness.
    public var gradientSamples = 1

    public init(name: String, epsilon: Float, stepSize: Float, steps: Int, norm: PerturbationNorm = .linf,
                randomStart: Bool = false, momentumDecay: Float? = nil, diversity: InputDiversity? = nil) {
        precondition(epsilon >= 0 && stepSize >= 0 && steps >= 0,
                     "GradientAttack: epsilon \(epsilon), step size \(stepSize) and steps \(steps) must not be negative")
        self.name = name
        self.epsilon = epsilon
        self.stepSize = stepSize
        self.steps = steps
        self.norm = norm
        self.randomStart = randomStart
        self.momentumDecay = momentumDecay
        self.diversity = diversity
    }

    /// Fast gradient sign method (Goodfellow et al., 2015): one step of length ε.
    public static func fgsm(epsilon: Float, norm: PerturbationNorm = .linf) -> GradientAttack {
        GradientAttack(name: "fgsm", epsilon: epsilon, stepSize: epsilon, steps: 1, norm: norm)
    }

    /// Basic iterative method / I-FGSM (Kurakin et al., 2017): `steps` steps of `stepSize` from the image itself.
    public static func bim(epsilon: Float, stepSize: Float, steps: Int, norm: PerturbationNorm = .linf) -> GradientAttack {
        GradientAttack(name: "bim", epsilon: epsilon, stepSize: stepSize, steps: steps, norm: norm)
    }

    /// Projected gradient descent (Madry et al., 2018): BIM from a random point of the ε-ball.
    public static func pgd(epsilon: Float, stepSize: Float, steps: Int, norm: PerturbationNorm = .linf,
                           randomStart: Bool = true) -> GradientAttack {
        GradientAttack(name: "pgd", epsilon: epsilon, stepSize: stepSize, steps: steps, norm: norm, randomStart: randomStart)
    }

    /// Momentum iterative FGSM (Dong et al., 2018), decay 1 by default as in the paper.
    public static func miFGSM(epsilon: Float, stepSize: Float, steps: Int, decay: Float = 1, norm: PerturbationNorm = .linf) -> GradientAttack {
        GradientAttack(name: "mifgsm", epsilon: epsilon, stepSize: stepSize, steps: steps, norm: norm, momentumDecay: decay)
    }

    /// Diverse-inputs attack (Xie et al., 2019): resize-and-pad the input at random before each gradient;
    /// with `decay` > 0 it is M-DI²-FGSM (torchattacks' DIFGSM defaults to decay 0).
    public static func dim(epsilon: Float, stepSize: Float, steps: Int, decay: Float = 0, diversity: InputDiversity = InputDiversity(),
                           norm: PerturbationNorm = .linf) -> GradientAttack {
        GradientAttack(name: "dim", epsilon: epsilon, stepSize: stepSize, steps: steps, norm: norm, momentumDecay: decay, diversity: diversity)
    }

    public func perturb(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal,
                        generator: RandomGenerator) -> Tensor {
        precondition(images.rank == 4 && images.shape[0] == labels.count,
                     "\(name): images \(images.shape) must be N×C×H×W with one label each (\(labels.count) labels)")
        let original = images.detached().contiguous()
        guard epsilon > 0, steps > 0 else { return original }
        var adversarial = randomStart ? withoutGradients { startingPoint(original, generator: generator) } : original
        var momentum: Tensor?
        for _ in 0..<steps {
            var direction = Tensor.zeros(images.shape)
            for _ in 0..<max(1, gradientSamples) {
                let transform: ((Tensor) -> Tensor)? = diversity.map { diversity in
                    let draw = diversity.draw(size: images.shape[2], width: images.shape[3], generator: generator)
                    return { diversity.apply($0, draw) }
                }
                direction = direction + classifier.inputGradient(at: adversarial, transform: transform) {
                    attackLoss($0, labels: labels, goal: goal)
                }.gradient
            }
            if gradientSamples > 1 { direction = direction / Float(gradientSamples) }
            adversarial = withoutGradients {
                if let decay = momentumDecay {
                    // torchattacks divides by the mean absolute gradient per image; the floor keeps an
                    // all-zero gradient (a saturated softmax) from turning into NaN.
                    direction = direction / direction.abs().mean(axes: [1, 2, 3], keepDims: true).clamped(min: 1e-12)
                    if let previous = momentum { direction = direction + previous * decay }
                    momentum = direction
                }
                return step(adversarial, along: direction, original: original)
            }
        }
        return adversarial
    }

    /// One step and the projection back into the ε-ball around `original` and into [0, 1].
    func step(_ point: Tensor, along direction: Tensor, original: Tensor) -> Tensor {
        switch norm {
        case .linf:
            let moved = point + direction.sign() * stepSize
            return (original + (moved - original).clamped(min: -epsilon, max: epsilon)).clamped(min: 0, max: 1)
        case .l2:
            let moved = point + direction / (imageNorms(direction) + 1e-10) * stepSize
            return (original + projectL2(moved - original)).clamped(min: 0, max: 1)
        }
    }

    /// `delta` scaled down, per image, to length ε where it is longer.
    func projectL2(_ delta: Tensor) -> Tensor {
        let lengths = imageNorms(delta)
        let factor = minimum(Tensor(scalar: epsilon) / lengths.clamped(min: 1e-12), Tensor(scalar: 1))
        return delta * factor
    }

    /// A uniformly random point of the ε-ball around each image, clipped to [0, 1]: uniform per pixel for
    /// L∞; for L2 a uniformly random direction with a radius uniform in [0, ε] (as torchattacks' PGDL2).
    func startingPoint(_ original: Tensor, generator: RandomGenerator) -> Tensor {
        switch norm {
        case .linf:
            return (original + generator.uniform(original.shape, low: -epsilon, high: epsilon)).clamped(min: 0, max: 1)
        case .l2:
            let direction = generator.normal(original.shape)
            let radius = generator.uniform([original.shape[0]] + Array(repeating: 1, count: original.rank - 1), low: 0, high: epsilon)
            return (original + direction / imageNorms(direction).clamped(min: 1e-12) * radius).clamped(min: 0, max: 1)
        }
    }
}

/// DIM's input transformation: shrink the image to a random size between `resizeRate` × its size and its
/// size (bilinear), then pad it back to full size at a random offset, with probability `probability`
/// per step (one draw for the whole batch, as torchattacks). The gradient flows through both.
public struct InputDiversity: Sendable, Equatable {
    public var resizeRate: Float
    public var probability: Float

    public init(resizeRate: Float = 0.9, probability: Float = 0.5) {
        precondition(resizeRate > 0 && resizeRate <= 1 && (0...1).contains(probability),
                     "InputDiversity: resize rate \(resizeRate) must lie in (0, 1] and probability \(probability) in [0, 1]")
        self.resizeRate = resizeRate
        self.probability = probability
    }

    /// One random choice: nil (leave the input alone) or the new size and the top-left offset.
    struct Draw { let size: Int; let top: Int; let left: Int }

    func draw(size height: Int, width: Int, generator: RandomGenerator) -> Draw? {
        let side = min(height, width)
        let smallest = Int(Float(side) * resizeRate)
        guard generator.nextUnitFloat() < probability, smallest < side else { return nil }
        let size = generator.integer(in: smallest..<side)
        let top = generator.integer(in: 0..<(height - size))
        let left = generator.integer(in: 0..<(width - size))
        return Draw(size: size, top: top, left: left)
    }

    func apply(_ input: Tensor, _ draw: Draw?) -> Tensor {
        guard let draw else { return input }
        let (height, width) = (input.shape[2], input.shape[3])
        let resized = interpolate(input, size: Size2(draw.size, draw.size), mode: .bilinear)
        return resized.padded([draw.left, width - draw.size - draw.left, draw.top, height - draw.size - draw.top])
    }
}
