import Foundation
import Nabla
import NablaData
import NablaNN
import NablaTrain
import NablaTrust
import NablaViz

/// Transfer (black-box) attack, HW10: the attacker cannot see the victim networks, only networks of its
/// own trained on the same task (proxies). Adversarial images made against the proxies are shown to
/// held-out victims of other architectures and seeds. A single proxy's FGSM transfers a little; momentum
/// (MI-FGSM), input diversity (DIM) and above all an ensemble of proxies of different architectures make
/// perturbations that exploit what networks share, and transfer much better. Baseline: the issue's bar,
/// the ensemble MI-FGSM + DIM lowers the victims' mean accuracy at least 10 points more than
/// single-proxy FGSM at the same ε.
public struct TransferAttackLab: Lab {
    public let name = "transfer-attack"
    public let lecture = "Adversarial attack (black box)"
    public let summary = "proxies of different architectures and seeds attack held-out victims: single-proxy FGSM against ensemble MI-FGSM + DIM"
    public let baseline = Baseline(metric: "ensemble_gain_over_fgsm", value: 0.10,
                                   source: "the issue's bar: ensemble MI-FGSM + DIM lowers the victims' accuracy >= 10 points more than single-proxy FGSM",
                                   quickValue: 0.05)

    public init() {}

    public var settings: [LabSetting] {
        [.integer("epochs", 2, quick: 1, in: 1...100, "passes over the training set for every proxy and victim"),
         .integer("training_examples", 0, quick: 6_000, in: 0...60_000, "train on only this many images (0: all 60,000)"),
         .integer("attack_examples", 1_000, quick: 200, in: 1...10_000, "test images attacked"),
         .integer("steps", 10, in: 1...1000, "steps of the iterative attacks (step size eps / steps)"),
         .real("epsilon", 0.1, in: 0.001...1, "the L-infinity budget of every attack, in pixels in [0, 1]")]
    }

    public var tinySettings: [String] { ["epochs=1", "training_examples=64", "attack_examples=8", "steps=2"] }

    /// A network, its role and the seed stream it is built from.
    struct Member {
        let name: String
        let make: (RandomGenerator) -> any Layer
        let stream: UInt64
    }

    /// LeNet-5 in the modern form (ReLU, max pooling): a third architecture for the proxies.
    static func leNet(_ generator: RandomGenerator) -> any Layer {
        Sequential(Conv2d(inputChannels: 1, outputChannels: 6, kernelSize: 5, padding: 2, generator: generator), ReLU(), MaxPool2d(kernelSize: 2),
                   Conv2d(inputChannels: 6, outputChannels: 16, kernelSize: 5, generator: generator), ReLU(), MaxPool2d(kernelSize: 2),
                   Flatten(), Linear(inputSize: 16 * 5 * 5, outputSize: 120, generator: generator), ReLU(),
                   Linear(inputSize: 120, outputSize: 84, generator: generator), ReLU(), Linear(inputSize: 84, outputSize: 10, generator: generator))
    }

    static let proxies = [Member(name: "proxy CNN", make: FashionArchitecture.cnn.makeModel, stream: 1),
                          Member(name: "proxy MLP", make: FashionArchitecture.mlp.makeModel, stream: 2),
                          Member(name: "proxy LeNet", make: leNet, stream: 3)]
    static let victims = [Member(name: "victim CNN (other seed)", make: FashionArchitecture.cnn.makeModel, stream: 11),
                          Member(name: "victim MLP (other seed)", make: FashionArchitecture.mlp.makeModel, stream: 12),
                          Member(name: "victim residual network", make: FashionArchitecture.residual.makeModel, stream: 13)]

    public func run(_ context: LabContext) throws -> LabResult {
        let settings = context.settings
        let epsilon = Float(settings.real("epsilon")), steps = settings.integer("steps")
        var training: any Dataset = try FashionDataCache.shared.load(.training, folder: context.dataFolder)
        let test = try FashionDataCache.shared.load(.test, folder: context.dataFolder)
        if settings.integer("training_examples") > 0 {
            training = DatasetSubset(base: training, indices: Array(0..<min(settings.integer("training_examples"), training.count)))
        }
        let normalization = Normalize(mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation])
        if !context.isResuming {
            try context.recordConfiguration([
                "proxies": Self.proxies.map(\.name), "victims": Self.victims.map(\.name),
                "input_normalization": ["pixel_scale": "value / 255", "mean": Double(FashionMNIST.mean),
                                        "standard_deviation": Double(FashionMNIST.standardDeviation)]])
        }
        var trained: [String: PixelClassifier] = [:]
        var trainingRows: [[String]] = []
        for member in Self.proxies + Self.victims {
            let generator = context.generator(stream: member.stream)
            let model = member.make(generator)
            let optimizer = OptimizerKind.adam.make(model.parameters(), learningRate: 1e-3)
            let loader = DataLoader(training, batchSize: 64, shuffle: true, generator: generator)
            let epochs = settings.integer("epochs")
            let scheduler = LearningRateScheduleKind.cosine.makeScheduler(optimizer, totalSteps: loader.batchCount * epochs)
            let task = ClassificationTask(model: model, optimizer: optimizer, scheduler: scheduler, loader: loader, dataGenerator: generator,
                                          inputTransform: normalization)
            let stage = member.name.split(separator: " ").prefix(2).joined(separator: "-").lowercased()
            let outcome = try context.train(task, epochs: epochs, stage: stage)
            guard outcome.isOver else { return .interrupted }
            trained[member.name] = PixelClassifier(model: model, mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation], classCount: 10)
            trainingRows.append([member.name, "\(model.parameterCount())", String(format: "%.0f", outcome.state.trainingSeconds)])
        }

        let count = min(settings.integer("attack_examples"), test.count)
        let batch = test.batch(at: Array(0..<count))
        let images = batch.inputs, labels = batch.labels.scalars
        let victims = Self.victims.map { trained[$0.name]! }
        let proxies = Self.proxies.map { trained[$0.name]! }
        let ensemble = PixelClassifier(model: EnsembleModel(proxies.map(\.model)), mean: [FashionMNIST.mean],
                                       standardDeviation: [FashionMNIST.standardDeviation], classCount: 10)
        let stepSize = epsilon / Float(steps)
        var attacks: [(label: String, short: String, source: PixelClassifier, attack: GradientAttack)] = []
        for (member, proxy) in zip(Self.proxies, proxies) {
            attacks.append(("FGSM from the \(member.name)", "FGSM " + member.name.dropFirst(6), proxy, .fgsm(epsilon: epsilon)))
        }
        attacks += [("I-FGSM from the proxy CNN", "I-FGSM CNN", proxies[0], .bim(epsilon: epsilon, stepSize: stepSize, steps: steps)),
                    ("MI-FGSM from the proxy CNN", "MI CNN", proxies[0], .miFGSM(epsilon: epsilon, stepSize: stepSize, steps: steps)),
                    ("MI-FGSM + DIM from the proxy CNN", "MI+DIM CNN", proxies[0], .dim(epsilon: epsilon, stepSize: stepSize, steps: steps, decay: 1)),
                    ("FGSM from the ensemble", "FGSM ens.", ensemble, .fgsm(epsilon: epsilon)),
                    ("MI-FGSM + DIM from the ensemble", "MI+DIM ens.", ensemble, .dim(epsilon: epsilon, stepSize: stepSize, steps: steps, decay: 1))]
        let cleanAccuracies = victims.map { $0.accuracy(images, labels: labels) }
        var rows: [[String]] = [["no attack"] + cleanAccuracies.map(format) + [format(mean(cleanAccuracies)), "-"]]
        var meanByAttack: [String: Double] = [:]
        var shown: Tensor?
        for (index, entry) in attacks.enumerated() {
            let start = Date()
            var adversarial: [Tensor] = []
            let generator = context.generator(stream: UInt64(100 + index))
            for part in 0..<((count + 249) / 250) {
                let range = (part * 250)..<min(count, part * 250 + 250)
                adversarial.append(entry.attack.perturb(entry.source, images: images.sliced(axis: 0, start: range.lowerBound, end: range.upperBound),
                                                        labels: Array(labels[range]), goal: .untargeted, generator: generator))
            }
            let all = Tensor.concat(adversarial, axis: 0).contiguous()
            let accuracies = victims.map { $0.accuracy(all, labels: labels) }
            let proxyAccuracy = entry.source.accuracy(all, labels: labels)
            meanByAttack[entry.label] = mean(accuracies)
            if entry.label == "MI-FGSM + DIM from the ensemble" { shown = all.sliced(axis: 0, start: 0, end: min(10, count)).contiguous() }
            rows.append([entry.label] + accuracies.map(format) + [format(mean(accuracies)), format(proxyAccuracy)])
            context.log("\(entry.label): victims \(accuracies.map(format).joined(separator: " ")), mean \(format(mean(accuracies))), "
                        + "white-box \(format(proxyAccuracy)) (\(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
        }
        let singleFGSM = Self.proxies.map { meanByAttack["FGSM from the \($0.name)"]! }
        let ensembleMeanAccuracy = meanByAttack["MI-FGSM + DIM from the ensemble"]!
        let gain = mean(singleFGSM) - ensembleMeanAccuracy
        let gainOverBest = (singleFGSM.min() ?? .nan) - ensembleMeanAccuracy

        var sections: [ReportSection] = [
            .table("Victims' accuracy under attacks made on the proxies", headers: ["attack"] + Self.victims.map(\.name) + ["victims' mean", "on its own source"],
                   rows: rows, caption: "\(count) test images, L-infinity eps \(epsilon); iterative attacks: \(steps) steps of eps/\(steps), momentum decay 1, "
                       + "DIM resizes to 90-100% and pads with probability 0.5. The victims were never seen by the attacker."),
            .figure("Victims' mean accuracy by attack", BarChart(title: "victims' mean accuracy",
                                                                 categories: attacks.map(\.short), values: attacks.map { meanByAttack[$0.label]! })),
            .table("Networks", headers: ["network", "parameters", "training seconds"], rows: trainingRows)]
        if let shown {
            let shownCount = shown.shape[0]
            let originals = images.sliced(axis: 0, start: 0, end: shownCount).contiguous()
            let grid = AttackPictures.grid(originals: originals, adversarial: shown, labels: Array(labels.prefix(shownCount)),
                                           cleanPredictions: victims[2].predictions(originals), adversarialPredictions: victims[2].predictions(shown),
                                           classNames: FashionMNIST.classNames, title: "ensemble MI-FGSM + DIM, judged by the victim residual network")
            sections.append(.figure("Ensemble adversarials and what the unseen residual network makes of them", grid))
        }
        sections.append(.text("What to look for", """
            Each FGSM row shows how much one proxy's single step transfers: some, since networks trained on the same data \
            share much of their decision boundaries. Iterating (I-FGSM) fits the perturbation to the proxy's quirks and can \
            transfer worse than one step; momentum stabilises the direction and input diversity keeps it from depending on \
            exact pixel positions. Attacking the ensemble of three architectures at once gives the perturbation that fools \
            networks in general: the victims' accuracy drops by \(format(gain)) more than under single-proxy FGSM (mean over \
            the proxies; \(format(gainOverBest)) more than the best single proxy).
            """))
        return LabResult(headline: gain,
                         summary: [("victims_clean_mean_accuracy", mean(cleanAccuracies)), ("single_proxy_fgsm_mean_accuracy", mean(singleFGSM)),
                                   ("ensemble_mi_dim_mean_accuracy", ensembleMeanAccuracy), ("ensemble_gain_over_best_single_fgsm", gainOverBest),
                                   ("attack_examples", count)],
                         sections: sections)
    }

    private func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
    private func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
