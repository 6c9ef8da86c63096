import Foundation
import Nabla

/// Clean and adversarial accuracy of a classifier on a set of images under one attack.
public struct AttackEvaluation {
    public let count: Int
    public let cleanAccuracy: Double
    /// Accuracy on the adversarial images (for a targeted goal too: the share still classified correctly).
    public let adversarialAccuracy: Double
    /// The share of images whose attack succeeded (misclassified, or classified as the target).
    public let successRate: Double
    /// Mean L∞ and L2 distance between adversarial and clean images.
    public let meanLinfDistance: Double
    public let meanL2Distance: Double
    public let seconds: Double
    /// Classifier queries per image of a black-box attack (SimBA, one-pixel), nil for the others.
    public let meanQueries: Double?
    /// Clean and adversarial predictions, per image.
    public let cleanPredictions: [Int]
    public let adversarialPredictions: [Int]
    /// Adversarial images of the first `keep` images (N×C×H×W), for pictures.
    public let keptAdversarial: Tensor?

    public var imagesPerSecond: Double { seconds > 0 ? Double(count) / seconds : 0 }

    /// Attacks `images` in batches of `batchSize` and measures the result.
    public static func run(_ attack: any AdversarialAttack, on classifier: PixelClassifier, images: Tensor, labels: [Int],
                           goal: AttackGoal = .untargeted, batchSize: Int = 250, keep: Int = 0,
                           generator: RandomGenerator) throws -> AttackEvaluation {
        precondition(images.rank == 4 && images.shape[0] == labels.count,
                     "AttackEvaluation: images \(images.shape) must be N×C×H×W with one label each (\(labels.count) labels)")
        precondition(batchSize > 0, "AttackEvaluation: batch size \(batchSize) must be positive")
        try goal.validate(count: labels.count, classCount: classifier.classCount)
        if let bad = labels.first(where: { !(0..<classifier.classCount).contains($0) }) {
            throw TrustError("label \(bad) is out of range; the classifier has classes 0...\(classifier.classCount - 1)")
        }
        let start = Date()
        var adversarialPredictions: [Int] = [], cleanPredictions: [Int] = []
        var kept: [Tensor] = []
        var linf = 0.0, l2 = 0.0
        var queries: Int?
        for (batchIndex, batch) in images.split(size: batchSize, axis: 0).enumerated() {
            let offset = batchIndex * batchSize
            let range = offset..<(offset + batch.shape[0])
            let batchLabels = Array(labels[range])
            let batchGoal: AttackGoal = goal.targets.map { .targeted(Array($0[range])) } ?? .untargeted
            cleanPredictions += classifier.predictions(batch)
            let adversarial: Tensor
            if let counting = attack as? any QueryCountingAttack {
                let result = counting.perturbCountingQueries(classifier, images: batch, labels: batchLabels, goal: batchGoal, generator: generator)
                adversarial = result.adversarial
                queries = (queries ?? 0) + result.queries.reduce(0, +)
            } else {
                adversarial = attack.perturb(classifier, images: batch, labels: batchLabels, goal: batchGoal, generator: generator)
            }
            adversarialPredictions += classifier.predictions(adversarial)
            withoutGradients {
                let change = adversarial - batch
                linf += Double(change.abs().max(axes: [1, 2, 3]).sum().item)
                l2 += Double(imageNorms(change).sum().item)
            }
            if offset < keep { kept.append(adversarial.sliced(axis: 0, start: 0, end: min(batch.shape[0], keep - offset))) }
        }
        let seconds = Date().timeIntervalSince(start)
        let count = labels.count
        func share(_ hits: Int) -> Double { count == 0 ? 0 : Double(hits) / Double(count) }
        let successes = adversarialPredictions.indices.filter {
            goal.succeeded(prediction: adversarialPredictions[$0], label: labels[$0], index: $0)
        }.count
        return AttackEvaluation(
            count: count,
            cleanAccuracy: share(zip(cleanPredictions, labels).filter { $0 == $1 }.count),
            adversarialAccuracy: share(zip(adversarialPredictions, labels).filter { $0 == $1 }.count),
            successRate: share(successes),
            meanLinfDistance: count == 0 ? 0 : linf / Double(count), meanL2Distance: count == 0 ? 0 : l2 / Double(count),
            seconds: seconds, meanQueries: queries.map { count == 0 ? 0 : Double($0) / Double(count) }, cleanPredictions: cleanPredictions, adversarialPredictions: adversarialPredictions,
            keptAdversarial: kept.isEmpty ? nil : Tensor.concat(kept, axis: 0).contiguous())
    }
}
