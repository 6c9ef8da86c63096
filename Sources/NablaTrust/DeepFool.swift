import Nabla

/// DeepFool (Moosavi-Dezfooli et al., 2016): linearise the classifier at the current point, step to the
/// nearest linearised decision boundary (L2), overshoot a little, repeat until the class changes. The
/// perturbations it finds are close to minimal, which makes it a measure of robustness more than an
/// attack with a budget. Targeted, it steps towards the target's boundary only. As torchattacks, the
/// step is (1 + overshoot) · |f′| / ‖w′‖² · w′ for the nearest class, clipped to [0, 1] after every step;
/// unlike torchattacks, w′ leaves out pixels already at 0 (or 1) that the step would push further out,
/// so on images with black backgrounds the step is not lost to the clipping and the attack does not stall.
public struct DeepFool: AdversarialAttack {
    public var name: String { "deepfool" }
    public var steps: Int
    public var overshoot: Float

    public init(steps: Int = 50, overshoot: Float = 0.02) {
        precondition(steps >= 0 && overshoot >= 0, "DeepFool: steps \(steps) and overshoot \(overshoot) must not be negative")
        self.steps = steps
        self.overshoot = overshoot
    }

    public func perturb(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal,
                        generator: RandomGenerator) -> Tensor {
        let count = images.shape[0]
        precondition(images.rank == 4 && count == labels.count, "deepfool: images \(images.shape) must be N×C×H×W with one label each")
        let imageShape = Array(images.shape.dropFirst())
        let plane = imageShape.reduce(1, *)
        let classCount = classifier.classCount
        var current = images.detached().contiguous().scalars
        var active = Array(0..<count)
        for _ in 0..<steps {
            guard !active.isEmpty else { break }
            let batch = Tensor(active.flatMap { current[$0 * plane..<($0 + 1) * plane] }, shape: [active.count] + imageShape)
            let seeds = (0..<classCount).map { k in Tensor.oneHot(IntTensor([Int](repeating: k, count: active.count)), classes: classCount) }
            let (logits, classGradients) = classifier.logitGradients(at: batch, seeds: seeds)
            let logitValues = logits.scalars
            let gradientValues = classGradients.map(\.scalars)
            var stillActive: [Int] = []
            for (row, index) in active.enumerated() {
                let scores = Array(logitValues[row * classCount..<(row + 1) * classCount])
                let predicted = scores.indices.max { scores[$0] < scores[$1] }!
                if goal.succeeded(prediction: predicted, label: labels[index], index: index) { continue }
                let origin = labels[index]
                let candidates = goal.targets.map { [$0[index]] } ?? (0..<classCount).filter { $0 != origin }
                // A pixel at 0 cannot darken and one at 1 cannot brighten: the linearised distance counts only
                // the pixels free to move the way the step would move them, so the step is not lost to clipping.
                func freeDifference(_ k: Int, _ p: Int) -> Float {
                    let difference = gradientValues[k][row * plane + p] - gradientValues[origin][row * plane + p]
                    let value = current[index * plane + p]
                    return (value <= 0 && difference < 0) || (value >= 1 && difference > 0) ? 0 : difference
                }
                var bestStep: (distance: Float, scale: Float, k: Int)?
                for k in candidates {
                    var squaredNorm: Float = 0
                    for p in 0..<plane {
                        let difference = freeDifference(k, p)
                        squaredNorm += difference * difference
                    }
                    let gap = abs(scores[k] - scores[origin])
                    let norm = squaredNorm.squareRoot()
                    guard norm > 0 else { continue }
                    if bestStep == nil || gap / norm < bestStep!.distance {
                        bestStep = (gap / norm, gap / squaredNorm, k)
                    }
                }
                guard let chosen = bestStep else { continue }
                for p in 0..<plane {
                    let moved = current[index * plane + p] + (1 + overshoot) * chosen.scale * freeDifference(chosen.k, p)
                    current[index * plane + p] = Swift.min(1, Swift.max(0, moved))
                }
                stillActive.append(index)
            }
            active = stillActive
        }
        return Tensor(current, shape: images.shape)
    }
}
