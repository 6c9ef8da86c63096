import Foundation
import Nabla
import NablaData
import NablaNN
import NablaTrain
import NablaTrust
import NablaViz

/// Adversarial attack (HW10, white box): a network that classifies Fashion-MNIST well is fooled by
/// changes of a few grey levels per pixel, found by following the loss gradient with respect to the
/// input. The lab trains the plain CNN of `nabla train fashion-cnn`, then measures test accuracy against
/// ε for FGSM, BIM, PGD (random start), MI-FGSM and DIM (L∞, pixels in [0, 1]): one step is weaker than
/// many, and PGD at ε = 0.1 (20 steps) leaves almost nothing standing. Baseline: PGD accuracy at ε 0.1.
public struct AttackLab: Lab {
    public let name = "attack"
    public let lecture = "Adversarial attack"
    public let summary = "white-box attacks on the Fashion-MNIST CNN: accuracy against epsilon for FGSM, BIM, PGD, MI-FGSM and DIM"
    public let baseline = Baseline(metric: "pgd_accuracy_eps_0.1", value: 0.05, higherIsBetter: false,
                                   source: "the issue's bar: PGD (eps 0.1, 20 steps, random start) drives the standard fashion-cnn below 5%",
                                   quickValue: 0.4)

    public init() {}

    public var settings: [LabSetting] {
        [.integer("epochs", 8, quick: 1, in: 1...100, "passes over the training set for the CNN"),
         .integer("training_examples", 0, quick: 12_000, in: 0...60_000, "train on only this many images (0: all 60,000)"),
         .integer("attack_examples", 2_000, quick: 500, in: 1...10_000, "test images attacked at every epsilon"),
         .integer("pgd_steps", 20, in: 1...1000, "steps of PGD (BIM, MI-FGSM and DIM take half as many)"),
         .text("epsilons", "0,0.02,0.05,0.1,0.15,0.2", "the L-infinity budgets, comma-separated, each in [0, 1]")]
    }

    public var tinySettings: [String] { ["epochs=2", "training_examples=120", "attack_examples=8", "pgd_steps=2", "epsilons=0,0.1"] }

    public func run(_ context: LabContext) throws -> LabResult {
        let settings = context.settings
        let epsilons = try settings.text("epsilons").split(separator: ",").map { text -> Float in
            guard let value = Float(text.trimmingCharacters(in: .whitespaces)), (0...1).contains(value) else {
                throw LabError("setting 'epsilons': '\(text)' is not a number in [0, 1]; give a list such as 0,0.05,0.1")
            }
            return value
        }
        guard !epsilons.isEmpty else { throw LabError("setting 'epsilons' is empty; give a list such as 0,0.05,0.1") }
        let generator = RandomGenerator(seed: context.seed)
        var training: any Dataset = try FashionDataCache.shared.load(.training, folder: context.dataFolder)
        let test = try FashionDataCache.shared.load(.test, folder: context.dataFolder)
        if settings.integer("training_examples") > 0 {
            training = DatasetSubset(base: training, indices: Array(0..<min(settings.integer("training_examples"), training.count)))
        }
        let model = FashionArchitecture.cnn.makeModel(generator)
        let optimizer = OptimizerKind.adam.make(model.parameters(), learningRate: 1e-3)
        let loader = DataLoader(training, batchSize: 64, shuffle: true, generator: generator)
        let epochs = settings.integer("epochs")
        let scheduler = LearningRateScheduleKind.cosine.makeScheduler(optimizer, totalSteps: loader.batchCount * epochs)
        let normalization = Normalize(mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation])
        let task = ClassificationTask(model: model, optimizer: optimizer, scheduler: scheduler, loader: loader, dataGenerator: generator,
                                      inputTransform: normalization)
        if !context.isResuming {
            try context.recordConfiguration([
                "model": "the plain CNN of nabla train fashion-cnn", "parameters": model.parameterCount(),
                "input_normalization": ["pixel_scale": "value / 255", "mean": Double(FashionMNIST.mean),
                                        "standard_deviation": Double(FashionMNIST.standardDeviation)]])
        }
        let outcome = try context.train(task, epochs: epochs, stage: "cnn")
        guard outcome.isOver else { return .interrupted }

        let classifier = PixelClassifier(model: model, mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation], classCount: 10)
        let count = min(settings.integer("attack_examples"), test.count)
        let batch = test.batch(at: Array(0..<count))
        let labels = batch.labels.scalars
        let steps = settings.integer("pgd_steps"), halfSteps = max(1, steps / 2)
        let attacks: [(String, (Float) -> GradientAttack)] = [
            ("FGSM", { .fgsm(epsilon: $0) }),
            ("BIM", { .bim(epsilon: $0, stepSize: $0 / 4, steps: halfSteps) }),
            ("PGD", { .pgd(epsilon: $0, stepSize: $0 / 4, steps: steps) }),
            ("MI-FGSM", { .miFGSM(epsilon: $0, stepSize: $0 / Float(halfSteps), steps: halfSteps) }),
            ("DIM", { .dim(epsilon: $0, stepSize: $0 / 4, steps: halfSteps, decay: 1) })]
        var series: [LineChart.Series] = [], rows: [[String]] = []
        var pgdAtTenth = Double.nan
        var shownAdversarial: Tensor?, shownPredictions: [Int] = [], cleanPredictions: [Int] = []
        for (attackIndex, (label, make)) in attacks.enumerated() {
            var accuracies: [Double] = []
            for epsilon in epsilons {
                let result = try AttackEvaluation.run(make(epsilon), on: classifier, images: batch.inputs, labels: labels, keep: 10,
                                                      generator: context.generator(stream: UInt64(attackIndex + 1)))
                accuracies.append(result.adversarialAccuracy)
                cleanPredictions = result.cleanPredictions
                if label == "PGD" && abs(epsilon - 0.1) < 1e-6 {
                    pgdAtTenth = result.adversarialAccuracy
                    shownAdversarial = result.keptAdversarial
                    shownPredictions = Array(result.adversarialPredictions.prefix(10))
                }
                context.log("\(label) eps \(epsilon): accuracy \(String(format: "%.4f", result.adversarialAccuracy)) "
                            + "(\(count) images, \(String(format: "%.1f", result.seconds)) s)")
            }
            series.append(LineChart.Series(name: label, x: epsilons.map(Double.init), y: accuracies))
            rows.append([label] + accuracies.map { String(format: "%.3f", $0) })
        }
        var sections: [ReportSection] = [
            .lineChart("Test accuracy against the attack's budget", xLabel: "epsilon (L-infinity, pixels in [0, 1])", yLabel: "accuracy",
                       series: series, caption: "\(count) test images; PGD: \(steps) steps of eps/4 from a random start; BIM, MI-FGSM, DIM: \(halfSteps) steps."),
            .table("Accuracy by attack and epsilon", headers: ["attack"] + epsilons.map { "eps \($0)" }, rows: rows)]
        if let shownAdversarial {
            let shown = shownAdversarial.shape[0]
            let originals = batch.inputs.sliced(axis: 0, start: 0, end: shown).contiguous()
            let grid = AttackPictures.grid(originals: originals, adversarial: shownAdversarial, labels: Array(labels.prefix(shown)),
                                           cleanPredictions: Array(cleanPredictions.prefix(shown)), adversarialPredictions: shownPredictions,
                                           classNames: FashionMNIST.classNames, title: "PGD eps 0.1")
            sections.append(.figure("Originals, perturbations (amplified) and PGD adversarials at eps 0.1", grid))
        }
        sections.append(.text("What to look for", """
            The clean network is right about nine times in ten, yet a change of 0.1 per pixel (about 25 grey levels), \
            barely visible, makes it wrong almost always when the change follows the gradient for several steps. \
            One step (FGSM) is weaker than many (BIM, PGD): the loss surface bends, and a single linear step overshoots.

            The perturbations do not look like the other class: they are structured noise the network reads and we do not.
            """))
        return LabResult(headline: pgdAtTenth.isNaN ? (series.first { $0.name == "PGD" }?.y.last ?? 1) : pgdAtTenth,
                         summary: [("clean_accuracy", classifier.accuracy(batch.inputs, labels: labels)), ("attack_examples", count),
                                   ("training_seconds", outcome.state.trainingSeconds)],
                         sections: sections)
    }
}
