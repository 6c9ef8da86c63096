import Foundation
import Nabla

/// Carlini & Wagner's L2 attack (2017): optimise w with Adam, where the adversarial image is
/// `(tanh(w) + 1) / 2` (always inside [0, 1]), to minimise ‖x′ − x‖² + c · f(x′), with
/// f = max(Z_true − max_{k≠true} Z_k, −κ) untargeted or max(max_{k≠t} Z_k − Z_t, −κ) towards target t.
/// Each image keeps its smallest successful perturbation; images never fooled come back unchanged.
/// Settings and the early stop (the total cost grew since the last tenth of the steps) follow torchattacks.
public struct CarliniWagnerL2: AdversarialAttack {
    public var name: String { "cw" }
    /// Weight of the misclassification term against the distance.
    public var c: Float
    /// Confidence margin κ the adversarial logit must win by.
    public var kappa: Float
    public var steps: Int
    public var learningRate: Float

    public init(c: Float = 1, kappa: Float = 0, steps: Int = 50, learningRate: Float = 0.01) {
        precondition(c >= 0 && kappa >= 0 && steps >= 0 && learningRate > 0,
                     "CarliniWagnerL2: c \(c), kappa \(kappa), steps \(steps) must not be negative and learning rate \(learningRate) must be positive")
        self.c = c
        self.kappa = kappa
        self.steps = steps
        self.learningRate = learningRate
    }

    public func perturb(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal,
                        generator: RandomGenerator) -> Tensor {
        let count = images.shape[0]
        precondition(images.rank == 4 && count == labels.count, "cw: images \(images.shape) must be N×C×H×W with one label each")
        let original = images.detached().contiguous()
        let classes = IntTensor(goal.targets ?? labels)
        let oneHot = Tensor.oneHot(classes, classes: classifier.classCount)
        var w = withoutGradients { () -> Tensor in
            let z = (original * 2 - 1).clamped(min: -1 + 1e-6, max: 1 - 1e-6)
            return ((1 + z) / (1 - z)).log() * 0.5
        }
        var best = original.scalars
        var bestDistance = [Float](repeating: .infinity, count: count)
        let plane = original.count / max(1, count)
        var firstMoment = Tensor.zeros(w.shape), secondMoment = Tensor.zeros(w.shape)
        var previousCost = Float.infinity
        let checkEvery = max(steps / 10, 1)
        for step in 1...max(1, steps) where steps > 0 {
            var adversarial: Tensor?, distances: Tensor?, logits: Tensor?
            let (cost, gradient) = classifier.gradient(at: w) { w in
                let image = (w.tanh() + 1) * 0.5
                let distance = (image - original).pow(2).sum(axes: [1, 2, 3])
                let output = classifier.logits(image)
                let chosen = (output * oneHot).sum(axis: 1)
                let strongestOther = (output - oneHot * 1e9).max(axes: [1])
                let margin = goal.targets == nil ? chosen - strongestOther : strongestOther - chosen
                adversarial = image; distances = distance; logits = output
                return distance.sum() + margin.clamped(min: -kappa).sum() * c
            }
            // Keep, per image, the closest adversarial found so far.
            let predicted = logits!.detached().argmax(axis: 1).scalars
            let distanceValues = distances!.detached().scalars
            let imageValues = adversarial!.detached().scalars
            for index in 0..<count where goal.succeeded(prediction: predicted[index], label: labels[index], index: index)
                && distanceValues[index] < bestDistance[index] {
                bestDistance[index] = distanceValues[index]
                best.replaceSubrange(index * plane..<(index + 1) * plane, with: imageValues[index * plane..<(index + 1) * plane])
            }
            if step % checkEvery == 0 {
                if cost.item > previousCost { break }
                previousCost = cost.item
            }
            withoutGradients {
                // Adam (β₁ 0.9, β₂ 0.999, ε 1e-8) on w, as torch.optim.Adam.
                firstMoment = firstMoment * 0.9 + gradient * 0.1
                secondMoment = secondMoment * 0.999 + gradient * gradient * 0.001
                let correctedFirst = firstMoment / (1 - Float(pow(0.9, Double(step))))
                let correctedSecond = secondMoment / (1 - Float(pow(0.999, Double(step))))
                w = w - correctedFirst / (correctedSecond.sqrt() + 1e-8) * learningRate
            }
        }
        return Tensor(best, shape: original.shape)
    }
}
