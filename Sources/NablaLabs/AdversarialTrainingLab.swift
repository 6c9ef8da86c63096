import Foundation
import Nabla
import NablaData
import NablaNN
import NablaTrain
import NablaTrust
import NablaViz

/// Adversarial training and input defences (the defence half of the adversarial-attack lecture).
///
/// The plain CNN of `nabla train fashion-cnn` is trained three ways on the same data — on clean images
/// (standard), on FGSM examples from a random start ("fast is better than free", Wong et al., 2020) and on
/// PGD examples (Madry et al., 2018) — and after every epoch its clean accuracy and its robust accuracy
/// under PGD (ε = 0.1, 20 steps of ε/4, random start) are measured on held-out test images: the min-max
/// objective trades a little clean accuracy for a lot of robustness.
///
/// Then input transformations (JPEG, bit-depth reduction, median and Gaussian smoothing, random
/// resize-and-pad) are put in front of the standard network and attacked three ways: with adversarial images
/// made for the undefended network, with the defence's own gradient, and adaptively (BPDA through the
/// roundings, EOT over the random draws). A defence whose strength vanishes under the adaptive attack was
/// only masking gradients. Baseline: the issue's bar, PGD-trained robust accuracy ≥ 0.70 (clean ≥ 0.83).
public struct AdversarialTrainingLab: Lab {
    public let name = "adversarial-training"
    public let lecture = "Adversarial attack (defences)"
    public let summary = "adversarial training (FGSM with random start, PGD) and input defences attacked adaptively, on the Fashion-MNIST CNN"
    public let baseline = Baseline(metric: "pgd_trained_robust_accuracy", value: 0.70,
                                   source: "the issue's bar: PGD adversarial training reaches robust accuracy >= 0.70 under PGD eps 0.1, 20 steps (clean >= 0.83)",
                                   quickValue: 0.35)

    public init() {}

    public var settings: [LabSetting] {
        [.integer("standard_epochs", 1, in: 1...100, "epochs of the standard (clean) network"),
         .integer("fgsm_epochs", 3, quick: 1, in: 1...100, "epochs of fast FGSM adversarial training (random start, step 1.25 eps)"),
         .integer("pgd_epochs", 4, quick: 1, in: 1...100, "epochs of PGD adversarial training"),
         .integer("pgd_training_steps", 3, in: 1...100, "PGD steps per training batch (step size 2.5 eps / steps)"),
         .integer("training_examples", 0, quick: 3_000, in: 0...60_000, "train on only this many images (0: all 60,000)"),
         .integer("robust_examples", 500, quick: 100, in: 1...10_000, "test images the clean and robust accuracy are measured on after each epoch"),
         .integer("defence_examples", 300, quick: 50, in: 1...10_000, "test images each input defence is attacked on"),
         .integer("eot_samples", 8, quick: 4, in: 1...100, "gradients averaged per step against the random defence (EOT)"),
         .real("epsilon", 0.1, in: 0.001...1, "the L-infinity budget of every attack, in pixels in [0, 1]")]
    }

    public var tinySettings: [String] {
        ["standard_epochs=1", "fgsm_epochs=1", "pgd_epochs=1", "pgd_training_steps=2", "training_examples=64",
         "robust_examples=8", "defence_examples=6", "eot_samples=2"]
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let settings = context.settings
        let epsilon = Float(settings.real("epsilon"))
        var training: any Dataset = try FashionDataCache.shared.load(.training, folder: context.dataFolder)
        let test = try FashionDataCache.shared.load(.test, folder: context.dataFolder)
        if settings.integer("training_examples") > 0 {
            training = DatasetSubset(base: training, indices: Array(0..<min(settings.integer("training_examples"), training.count)))
        }
        let robustCount = min(settings.integer("robust_examples"), test.count)
        let held = DatasetSubset(base: test, indices: Array(0..<robustCount))
        let heldBatch = test.batch(at: Array(0..<robustCount))
        let evaluationAttack = GradientAttack.pgd(epsilon: epsilon, stepSize: epsilon / 4, steps: 20)
        let normalization = Normalize(mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation])
        let steps = settings.integer("pgd_training_steps")
        let methods: [(stage: String, label: String, epochs: Int, training: AdversarialTraining?)] = [
            ("standard", "standard", settings.integer("standard_epochs"), nil),
            ("fgsm-rs", "FGSM-RS", settings.integer("fgsm_epochs"), .fastFGSM(epsilon: epsilon)),
            ("pgd", "PGD-\(steps)", settings.integer("pgd_epochs"), .pgd(epsilon: epsilon, stepSize: 2.5 * epsilon / Float(steps), steps: steps))]
        if !context.isResuming {
            try context.recordConfiguration([
                "model": "the plain CNN of nabla train fashion-cnn",
                "input_normalization": ["pixel_scale": "value / 255", "mean": Double(FashionMNIST.mean),
                                        "standard_deviation": Double(FashionMNIST.standardDeviation)],
                "robust_accuracy_attack": "PGD, L-infinity eps \(epsilon), 20 steps of eps/4, random start"])
        }

        var tasks: [String: AdversarialTrainingTask] = [:]
        var cleanSeries: [LineChart.Series] = [], robustSeries: [LineChart.Series] = [], rows: [[String]] = []
        var final: [String: (clean: Double, robust: Double, seconds: Double)] = [:]
        for (index, method) in methods.enumerated() {
            let generator = context.generator(stream: UInt64(10 + index))
            let model = FashionArchitecture.cnn.makeModel(generator)
            let optimizer = OptimizerKind.adam.make(model.parameters(), learningRate: 1e-3)
            let loader = DataLoader(training, batchSize: 64, shuffle: true, generator: generator)
            let scheduler = LearningRateScheduleKind.cosine.makeScheduler(optimizer, totalSteps: loader.batchCount * method.epochs)
            let plain = ClassificationTask(model: model, optimizer: optimizer, scheduler: scheduler, loader: loader, dataGenerator: generator,
                                           validation: held, inputTransform: normalization)
            let task = AdversarialTrainingTask(plain: plain, training: method.training, evaluationAttack: evaluationAttack,
                                               evaluationImages: heldBatch.inputs, evaluationLabels: heldBatch.labels.scalars,
                                               attackGenerator: context.generator(stream: UInt64(20 + index)))
            let outcome = try context.train(task, epochs: method.epochs, stage: method.stage)
            guard outcome.isOver else { return .interrupted }
            tasks[method.stage] = task
            let clean = outcome.state.metrics.compactMap { $0["val_accuracy"] }
            let robust = outcome.state.metrics.compactMap { $0["val_robust_accuracy"] }
            let epochs = (1...max(1, clean.count)).map(Double.init)
            cleanSeries.append(LineChart.Series(name: method.label + " clean", x: Array(epochs.prefix(clean.count)), y: clean))
            robustSeries.append(LineChart.Series(name: method.label + " robust", x: Array(epochs.prefix(robust.count)), y: robust))
            final[method.stage] = (clean.last ?? .nan, robust.last ?? .nan, outcome.state.trainingSeconds)
            rows.append([method.label, "\(method.epochs)", format(clean.last ?? .nan), format(robust.last ?? .nan),
                         String(format: "%.0f", outcome.state.trainingSeconds)])
            context.log("\(method.label): clean \(format(clean.last ?? .nan)), robust \(format(robust.last ?? .nan)) "
                        + "(\(String(format: "%.0f", outcome.state.trainingSeconds)) s training)")
        }

        // Input defences in front of the standard network.
        let standard = tasks["standard"]!.classifier
        let defenceCount = min(settings.integer("defence_examples"), test.count)
        let defenceBatch = test.batch(at: Array(0..<defenceCount))
        let defences: [any InputDefence] = [JPEGDefence(quality: 75), JPEGDefence(quality: 30), BitDepthReduction(bits: 2),
                                            MedianSmoothing(size: 3), GaussianSmoothing(sigma: 1),
                                            RandomResizePadding(smallestScale: 0.8, generator: context.generator(stream: 30))]
        let undefended = try AttackEvaluation.run(evaluationAttack, on: standard, images: defenceBatch.inputs, labels: defenceBatch.labels.scalars,
                                                  generator: context.generator(stream: 31))
        var defenceRows: [[String]] = [["none", format(undefended.cleanAccuracy), format(undefended.adversarialAccuracy),
                                        format(undefended.adversarialAccuracy), format(undefended.adversarialAccuracy), "-"]]
        var masking: [String] = []
        for (index, defence) in defences.enumerated() {
            let result = try DefenceEvaluation.run(defence, classifier: standard, attack: evaluationAttack, images: defenceBatch.inputs,
                                                   labels: defenceBatch.labels.scalars, expectationSamples: settings.integer("eot_samples"),
                                                   generator: context.generator(stream: UInt64(40 + index)))
            defenceRows.append([defence.name, format(result.cleanAccuracy), format(result.transferAccuracy), format(result.ownGradientAccuracy),
                                format(result.adaptiveAccuracy), result.masksGradients ? "masks gradients" : "no masking seen"])
            if result.masksGradients { masking.append(defence.name) }
            context.log("defence \(defence.name): clean \(format(result.cleanAccuracy)), transfer \(format(result.transferAccuracy)), "
                        + "own gradient \(format(result.ownGradientAccuracy)), adaptive \(format(result.adaptiveAccuracy)) "
                        + "(\(String(format: "%.1f", result.seconds)) s): \(result.verdict)")
        }

        let pgd = final["pgd"]!, fgsm = final["fgsm-rs"]!, plainResult = final["standard"]!
        var sections: [ReportSection] = [
            .lineChart("Clean and robust accuracy by epoch", xLabel: "epoch", yLabel: "accuracy",
                       series: cleanSeries + robustSeries,
                       caption: "\(robustCount) held-out test images after each epoch; robust: PGD eps \(epsilon), 20 steps of eps/4, random start."),
            .table("Final clean and robust accuracy", headers: ["training", "epochs", "clean", "robust (PGD-20)", "training seconds"], rows: rows),
            .table("Input defences in front of the standard network", headers: ["defence", "clean", "transfer", "own gradient", "BPDA / EOT", "verdict"],
                   rows: defenceRows,
                   caption: "\(defenceCount) test images, PGD eps \(epsilon), 20 steps. Transfer: adversarials made for the undefended network; "
                       + "own gradient: the attack through the defence's own gradient; BPDA/EOT: the identity's gradient through roundings, "
                       + "\(settings.integer("eot_samples")) draws averaged for the random defence.")]
        if let shown = pictures(tasks: tasks, images: heldBatch.inputs, labels: heldBatch.labels.scalars, attack: evaluationAttack, context: context) {
            sections.append(.figure("PGD adversarials against the standard and the PGD-trained network", shown))
        }
        sections.append(.text("What to look for", """
            The standard network falls to almost nothing under PGD; training on adversarial examples keeps most of its \
            clean accuracy and holds a robust accuracy the standard network never reaches. Fast FGSM with a random start \
            gets much of PGD training's robustness at a fraction of its cost; PGD training costs about (steps + 1) times a \
            standard epoch. The perturbations that fool the robust network look like the other class's strokes, not noise.

            The input defences help against an attacker who ignores them (transfer column), and roundings (JPEG, bit depth, \
            median) look strong against an attack that follows their own zero gradient — but the BPDA column shows that \
            this is gradient masking\(masking.isEmpty ? "" : " (here: \(masking.joined(separator: ", ")))"): the adaptive \
            attack brings accuracy back down near the undefended figure.
            """))
        return LabResult(headline: pgd.robust,
                         summary: [("pgd_trained_clean_accuracy", pgd.clean), ("pgd_trained_seconds", pgd.seconds),
                                   ("fgsm_trained_robust_accuracy", fgsm.robust), ("fgsm_trained_clean_accuracy", fgsm.clean),
                                   ("fgsm_trained_seconds", fgsm.seconds),
                                   ("standard_robust_accuracy", plainResult.robust), ("standard_clean_accuracy", plainResult.clean),
                                   ("standard_seconds", plainResult.seconds), ("robust_examples", robustCount),
                                   ("defences_masking_gradients", masking.joined(separator: ","))],
                         sections: sections)
    }

    /// The first ten held-out images, their PGD adversarials against the standard network, and against the PGD-trained one.
    func pictures(tasks: [String: AdversarialTrainingTask], images: Tensor, labels: [Int], attack: GradientAttack, context: LabContext) -> ImageGrid? {
        guard let standard = tasks["standard"]?.classifier, let robust = tasks["pgd"]?.classifier else { return nil }
        let count = min(10, labels.count)
        let originals = images.sliced(axis: 0, start: 0, end: count).contiguous()
        let shownLabels = Array(labels.prefix(count))
        let againstStandard = attack.perturb(standard, images: originals, labels: shownLabels, goal: .untargeted, generator: context.generator(stream: 50))
        let againstRobust = attack.perturb(robust, images: originals, labels: shownLabels, goal: .untargeted, generator: context.generator(stream: 51))
        func name(_ index: Int) -> String { FashionMNIST.classNames[index] }
        let standardPredictions = standard.predictions(againstStandard), robustPredictions = robust.predictions(againstRobust)
        var canvases = Canvas.images(fromBatch: originals)
        canvases += Canvas.images(fromBatch: againstStandard)
        canvases += Canvas.images(fromBatch: againstRobust)
        var captions = shownLabels.map { ImageCaption(["true \(name($0))"]) }
        captions += standardPredictions.enumerated().map { ImageCaption(["standard: \(name($0.element))"], isHighlighted: $0.element != shownLabels[$0.offset]) }
        captions += robustPredictions.enumerated().map { ImageCaption(["robust: \(name($0.element))"], isHighlighted: $0.element != shownLabels[$0.offset]) }
        return ImageGrid(images: canvases, captions: captions, columns: count, upscale: 3,
                         title: "originals; PGD eps 0.1 against the standard network; against the PGD-trained network")
    }

    private func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
