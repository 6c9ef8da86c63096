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
         .text("epsilons", "0,0.02,0.05,0.1,0.15,0.2", "the L-infinity budgets, comma-separated, each in [0, 1]"),
         .integer("universal_examples", 2_000, quick: 500, in: 1...60_000, "training images the universal perturbation is fitted on (5 passes)"),
         .integer("blackbox_examples", 100, quick: 30, in: 1...10_000, "test images attacked by SimBA and the one-pixel attack"),
         .integer("simba_iterations", 784, quick: 400, in: 1...784, "pixels SimBA tries per image (at most two queries each)"),
         .integer("onepixel_population", 100, quick: 50, in: 4...10_000, "candidates per generation of the one-pixel attack's differential evolution"),
         .integer("onepixel_generations", 30, quick: 10, in: 0...1000, "generations of differential evolution")]
    }

    public var tinySettings: [String] {
        ["epochs=2", "training_examples=120", "attack_examples=8", "pgd_steps=2", "epsilons=0,0.1", "universal_examples=16",
         "blackbox_examples=2", "simba_iterations=8", "onepixel_population=8", "onepixel_generations=1"]
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let settings = context.settings
        let epsilons = try settings.text("epsilons").split(separator: ",").map { text -> Float in
            guard let value = Float(text.trimmingCharacters(in: .whitespaces)), (0...1).contains(value) else {
                throw LabError("setting 'epsilons': '\(text)' is not a number in [0, 1]; give a list such as 0,0.05,0.1")
            }
            return value
        }
        guard !epsilons.isEmpty else { throw LabError("setting 'epsilons' is empty; give a list such as 0,0.05,0.1") }
        guard let cnn = try LabFashionCNN.train(context, epochs: settings.integer("epochs"),
                                                trainingExamples: settings.integer("training_examples")) else { return .interrupted }
        let (classifier, training, test, outcome) = (cnn.classifier, cnn.training, cnn.test, cnn.outcome)
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
        // One pattern per epsilon, fitted on training images, judged on the same test images.
        let universalCount = min(settings.integer("universal_examples"), training.count)
        let universalBatch = training.batch(at: Array(0..<universalCount))
        var universalAccuracies: [Double] = [], shownUniversal: UniversalPerturbation?
        for epsilon in epsilons {
            let universal = try UniversalPerturbation.fit(classifier, images: universalBatch.inputs, labels: universalBatch.labels.scalars,
                                                          epsilon: epsilon, generator: context.generator(stream: 10))
            let accuracy = classifier.accuracy(universal.perturb(classifier, images: batch.inputs, labels: labels, goal: .untargeted,
                                                                 generator: context.generator(stream: 11)), labels: labels)
            universalAccuracies.append(accuracy)
            if abs(epsilon - 0.1) < 1e-6 || shownUniversal == nil { shownUniversal = universal }
            context.log("universal eps \(epsilon): accuracy \(String(format: "%.4f", accuracy)) (fitted on \(universalCount) training images)")
        }
        series.append(LineChart.Series(name: "universal", x: epsilons.map(Double.init), y: universalAccuracies))
        rows.append(["universal"] + universalAccuracies.map { String(format: "%.3f", $0) })
        let blackBox = try blackBoxSections(classifier, test: test, settings: settings, context: context)

        var sections: [ReportSection] = [
            .lineChart("Test accuracy against the attack's budget", xLabel: "epsilon (L-infinity, pixels in [0, 1])", yLabel: "accuracy",
                       series: series, caption: "\(count) test images; PGD: \(steps) steps of eps/4 from a random start; BIM, MI-FGSM, DIM: \(halfSteps) steps; "
                           + "universal: one pattern per epsilon for all images, fitted on \(universalCount) training images."),
            .table("Accuracy by attack and epsilon", headers: ["attack"] + epsilons.map { "eps \($0)" }, rows: rows)]
        if let shownAdversarial {
            let shown = shownAdversarial.shape[0]
            let originals = batch.inputs.sliced(axis: 0, start: 0, end: shown).contiguous()
            let grid = AttackPictures.grid(originals: originals, adversarial: shownAdversarial, labels: Array(labels.prefix(shown)),
                                           cleanPredictions: Array(cleanPredictions.prefix(shown)), adversarialPredictions: shownPredictions,
                                           classNames: FashionMNIST.classNames, title: "PGD eps 0.1")
            sections.append(.figure("Originals, perturbations (amplified) and PGD adversarials at eps 0.1", grid))
        }
        if let shownUniversal {
            let pattern = shownUniversal.perturbation / (2 * max(shownUniversal.epsilon, 1e-6)) + 0.5
            let picture = ImageGrid(images: Canvas.images(fromBatch: pattern), captions: [ImageCaption(["eps \(shownUniversal.epsilon)"])],
                                    columns: 1, upscale: 8, title: "universal perturbation")
            sections.append(.figure("The universal perturbation (mid-grey: no change)", picture,
                                    caption: "One pattern added to every test image; fitted by signed gradient steps on the capped training loss."))
        }
        sections += blackBox.sections
        sections.append(.text("What to look for", """
            The clean network is right about nine times in ten, yet a change of 0.1 per pixel (about 25 grey levels), \
            barely visible, makes it wrong almost always when the change follows the gradient for several steps. \
            One step (FGSM) is weaker than many (BIM, PGD): the loss surface bends, and a single linear step overshoots.

            The perturbations do not look like the other class: they are structured noise the network reads and we do not.

            A single universal pattern, made without seeing the test images, already fools the network on many of them: \
            the network's weak directions are shared across images. The black-box attacks see only the probabilities: SimBA \
            needs hundreds of queries per image where PGD needs 20 gradients, and changing one pixel fools the network only \
            on the images that lie close to a boundary.
            """))
        return LabResult(headline: pgdAtTenth.isNaN ? (series.first { $0.name == "PGD" }?.y.last ?? 1) : pgdAtTenth,
                         summary: [("clean_accuracy", classifier.accuracy(batch.inputs, labels: labels)), ("attack_examples", count),
                                   ("training_seconds", outcome.state.trainingSeconds)] + blackBox.summary,
                         sections: sections)
    }

    /// SimBA and the one-pixel attack on the first black-box test images: accuracy, success and queries per image.
    func blackBoxSections(_ classifier: PixelClassifier, test: FashionMNIST, settings: LabValues,
                          context: LabContext) throws -> (sections: [ReportSection], summary: [(key: String, value: Any)]) {
        let count = min(settings.integer("blackbox_examples"), test.count)
        let batch = test.batch(at: Array(0..<count))
        let labels = batch.labels.scalars
        let population = settings.integer("onepixel_population"), generations = settings.integer("onepixel_generations")
        let attacks: [(String, any QueryCountingAttack)] = [
            ("SimBA, pixel steps of 0.2", SimBA(epsilon: 0.2, maximumIterations: settings.integer("simba_iterations"))),
            ("one pixel", OnePixelAttack(pixels: 1, populationSize: population, generations: generations)),
            ("three pixels", OnePixelAttack(pixels: 3, populationSize: population, generations: generations))]
        var rows: [[String]] = [], figures: [ReportSection] = [], summary: [(key: String, value: Any)] = []
        for (index, (label, attack)) in attacks.enumerated() {
            let shown = min(10, count)
            let result = try AttackEvaluation.run(attack, on: classifier, images: batch.inputs, labels: labels, keep: shown,
                                                  generator: context.generator(stream: UInt64(20 + index)))
            rows.append([label, String(format: "%.3f", result.cleanAccuracy), String(format: "%.3f", result.adversarialAccuracy),
                         String(format: "%.3f", result.successRate), String(format: "%.0f", result.meanQueries ?? 0),
                         String(format: "%.3f", result.meanL2Distance), String(format: "%.1f", result.seconds)])
            summary.append((key: "\(attack.name)\(index == 2 ? "3" : "")_accuracy", value: result.adversarialAccuracy))
            summary.append((key: "\(attack.name)\(index == 2 ? "3" : "")_mean_queries", value: result.meanQueries ?? 0))
            context.log("\(label): accuracy \(String(format: "%.4f", result.adversarialAccuracy)), "
                        + "\(String(format: "%.0f", result.meanQueries ?? 0)) queries per image (\(count) images, \(String(format: "%.1f", result.seconds)) s)")
            guard index < 2, let kept = result.keptAdversarial else { continue }
            let grid = AttackPictures.grid(originals: batch.inputs.sliced(axis: 0, start: 0, end: shown).contiguous(), adversarial: kept,
                                           labels: Array(labels.prefix(shown)), cleanPredictions: Array(result.cleanPredictions.prefix(shown)),
                                           adversarialPredictions: Array(result.adversarialPredictions.prefix(shown)),
                                           classNames: FashionMNIST.classNames, title: label)
            figures.append(.figure("Black box: \(label)", grid))
        }
        let table = ReportSection.table("Black-box attacks (probabilities only, queries counted)",
                                        headers: ["attack", "clean", "adversarial accuracy", "success", "queries per image", "mean L2", "seconds"],
                                        rows: rows,
                                        caption: "\(count) test images. One/three pixels: differential evolution, population \(population), "
                                            + "up to \(generations) generations, stopping at the first success.")
        return ([table] + figures, summary)
    }
}
