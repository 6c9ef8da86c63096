import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaLabs
import NablaTrust

/// `nabla attack RUN_DIR --method M --epsilon E`: attacks the classifier a fashion-cnn / fashion-mlp
/// run trained, on the first N test images, prints clean and adversarial accuracy and writes a grid of
/// originals, amplified perturbations and adversarial images.
struct AttackCommand: ParsableCommand {
    static let methods = ["fgsm", "bim", "pgd", "mifgsm", "dim", "cw", "deepfool", "universal", "simba", "onepixel"]
    /// The methods that take no --epsilon (simba's defaults to 0.2 per pixel).
    static let methodsWithoutBudget = ["cw", "deepfool", "simba", "onepixel"]

    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Attack the classifier of a fashion-cnn or fashion-mlp run on the test images (clean vs adversarial accuracy).",
        discussion: """
        Pixels are in [0, 1]; the model's own input normalisation (config.json) is applied inside. Methods: fgsm, \
        bim (I-FGSM), pgd (random start), mifgsm (momentum), dim (diverse inputs), cw (Carlini-Wagner L2: --steps, \
        --confidence, --c, --learning-rate) and deepfool (--steps, --overshoot); --epsilon bounds the gradient \
        attacks. universal fits one perturbation for all images on --fit-count training images (--steps passes, \
        default 5) and applies it to the test images; simba (black box, --epsilon per pixel, default 0.2; --steps pixels \
        tried, default 784) and onepixel (differential evolution: --pixels, --population, --steps generations, default 30) \
        see only probabilities and report queries per image. --defence NAME (jpeg-Q, bits-B, median-K, gauss-S, \
        resize-pad-R) puts an input transformation in front of the model and attacks the defended pipeline, passing \
        gradients through it as --defence-gradient says (bpda: identity backward, the adaptive attack; own: the \
        transformation's own gradient); against a random defence gradient attacks average --eot-samples gradients. \
        Writes RUN_DIR/attack-METHOD.png (or --output): originals, perturbations (amplified), adversarials.
        """
    )

    @Argument(help: ArgumentHelp("The folder a fashion-cnn or fashion-mlp run wrote.", valueName: "RUN_DIR")) var runFolder: String
    @Option(help: "fgsm, bim, pgd, mifgsm, dim, cw or deepfool.") var method: String
    @Option(parsing: .unconditional, help: "Perturbation budget in pixel units (L∞: per pixel; L2: whole image). Needed by the gradient attacks.")
    var epsilon: Double?
    @Option(parsing: .unconditional, help: "Iterations (default: 10 for bim, mifgsm, dim; 20 for pgd; 50 for cw and deepfool).") var steps: Int?
    @Option(parsing: .unconditional, help: "Step size α of the iterative attacks (default ε/4; fgsm takes one step of ε).") var stepSize: Double?
    @Option(help: "linf or l2.") var norm = "linf"
    @Flag(inversion: .prefixedNo, help: "Start from a random point of the ε-ball (default: on for pgd only).") var randomStart: Bool?
    @Option(parsing: .unconditional, help: "Attack towards this class (0-9) instead of any wrong one.") var target: Int?
    @Option(parsing: .unconditional, help: "Attack the first N test images (default 1000).") var count = 1000
    @Option(parsing: .unconditional, help: "Images per batch.") var batchSize = 250
    @Option(parsing: .unconditional, help: "cw: weight c of the misclassification term.") var c = 1.0
    @Option(parsing: .unconditional, help: "cw: confidence margin κ.") var confidence = 0.0
    @Option(parsing: .unconditional, help: "cw: Adam's learning rate.") var learningRate = 0.01
    @Option(parsing: .unconditional, help: "deepfool: overshoot.") var overshoot = 0.02
    @Option(parsing: .unconditional, help: "universal: training images the perturbation is fitted on.") var fitCount = 1000
    @Option(parsing: .unconditional, help: "onepixel: pixels changed per image.") var pixels = 1
    @Option(parsing: .unconditional, help: "onepixel: candidates per generation.") var population = 100
    @Option(help: "Attack the model behind this input defence: jpeg-Q, bits-B, median-K, gauss-S or resize-pad-R.") var defence: String?
    @Option(help: "With --defence: bpda (identity gradient through the defence, the adaptive attack) or own.") var defenceGradient: String?
    @Option(parsing: .unconditional, help: "With a random --defence: gradients averaged per step (EOT).") var eotSamples = 8
    @Option(parsing: .unconditional, help: "Seed of the random start and input diversity.") var seed: UInt64 = 0
    @Option(help: "Where to write the grid PNG (default RUN_DIR/attack-METHOD.png).") var output: String?
    @Option(help: "Folder holding the Fashion-MNIST files (default $NABLA_FASHION_MNIST or /usr/share/datasets/fashion-mnist).")
    var dataFolder: String?
    @Flag(help: "Print one JSON line instead of text.") var json = false

    func validate() throws {
        guard Self.methods.contains(method) else { throw ValidationError("unknown --method '\(method)'; choose one of: \(Self.methods.joined(separator: ", "))") }
        guard PerturbationNorm(rawValue: norm) != nil else { throw ValidationError("unknown --norm '\(norm)'; choose linf or l2") }
        if let epsilon, !(epsilon >= 0 && epsilon.isFinite) { throw ValidationError("--epsilon must be a finite number ≥ 0, not \(epsilon)") }
        if epsilon == nil && !Self.methodsWithoutBudget.contains(method) { throw ValidationError("--method \(method) needs --epsilon (for example --epsilon 0.1)") }
        if let steps, steps < 1 || steps > 100_000 { throw ValidationError("--steps must lie in 1...100000, not \(steps)") }
        if let stepSize, !(stepSize > 0 && stepSize.isFinite) { throw ValidationError("--step-size must be a finite number > 0, not \(stepSize)") }
        if let target, !(0..<10).contains(target) { throw ValidationError("--target \(target) is out of range; the classes are 0...9") }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must lie in 1...10000 (the test set), not \(count)") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must lie in 1...10000, not \(batchSize)") }
        guard c >= 0 && c.isFinite, confidence >= 0 && confidence.isFinite else { throw ValidationError("--c and --confidence must be finite numbers ≥ 0") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be a finite number > 0, not \(learningRate)") }
        guard overshoot >= 0 && overshoot.isFinite else { throw ValidationError("--overshoot must be a finite number ≥ 0, not \(overshoot)") }
        guard (1...60_000).contains(fitCount) else { throw ValidationError("--fit-count must lie in 1...60000 (the training set), not \(fitCount)") }
        guard (1...784).contains(pixels) else { throw ValidationError("--pixels must lie in 1...784, not \(pixels)") }
        guard (4...100_000).contains(population) else { throw ValidationError("--population must lie in 4...100000, not \(population)") }
        guard (1...1000).contains(eotSamples) else { throw ValidationError("--eot-samples must lie in 1...1000, not \(eotSamples)") }
        if let defence {
            do { _ = try InputDefences.named(defence, generator: RandomGenerator(seed: 0)) } catch let error as TrustError { throw ValidationError("--defence: \(error.description)") }
        }
        if let defenceGradient {
            guard defence != nil else { throw ValidationError("--defence-gradient needs --defence (for example --defence jpeg-75)") }
            guard DefenceGradient(rawValue: defenceGradient) != nil else { throw ValidationError("unknown --defence-gradient '\(defenceGradient)'; choose bpda or own") }
        }
    }

    /// The attack the options describe.
    func makeAttack() -> any AdversarialAttack {
        let epsilon = Float(self.epsilon ?? 0)
        let norm = PerturbationNorm(rawValue: self.norm)!
        func steps(_ fallback: Int) -> Int { self.steps ?? fallback }
        let alpha = stepSize.map(Float.init) ?? epsilon / 4
        var attack: GradientAttack
        switch method {
        case "fgsm": attack = .fgsm(epsilon: epsilon, norm: norm)
        case "bim": attack = .bim(epsilon: epsilon, stepSize: alpha, steps: steps(10), norm: norm)
        case "pgd": attack = .pgd(epsilon: epsilon, stepSize: alpha, steps: steps(20), norm: norm)
        case "mifgsm": attack = .miFGSM(epsilon: epsilon, stepSize: alpha, steps: steps(10), norm: norm)
        case "dim": attack = .dim(epsilon: epsilon, stepSize: alpha, steps: steps(10), norm: norm)
        case "simba": return SimBA(epsilon: self.epsilon.map(Float.init) ?? 0.2, maximumIterations: min(steps(784), 100_000))
        case "onepixel": return OnePixelAttack(pixels: pixels, populationSize: population, generations: steps(30))
        case "cw": return CarliniWagnerL2(c: Float(c), kappa: Float(confidence), steps: steps(50), learningRate: Float(learningRate))
        case "deepfool": return DeepFool(steps: steps(50), overshoot: Float(overshoot))
        default: preconditionFailure("AttackCommand.makeAttack: \(method) is fitted on training images by fitUniversal")
        }
        attack.randomStart = randomStart ?? (method == "pgd")
        if let defence, (try? InputDefences.named(defence, generator: RandomGenerator(seed: 0)))?.isRandom == true { attack.gradientSamples = eotSamples }
        return attack
    }

    func run() throws {
        try reportingInputErrors {
            var (classifier, _, description) = try RunFolderClassifier.load(runFolder)
            let gradientMode = DefenceGradient(rawValue: defenceGradient ?? "bpda")!
            if let defence {
                classifier = classifier.defended(by: try InputDefences.named(defence, generator: RandomGenerator(seed: seed &+ 1)), gradient: gradientMode)
                description += " behind \(defence) (\(gradientMode == .own ? "its own gradient" : "BPDA"))"
            }
            let test = try FashionMNIST(.test, folder: dataFolder)
            let batch = test.batch(at: Array(0..<min(count, test.count)))
            let labels = batch.labels.scalars
            let attack = method == "universal" ? try fitUniversal(classifier) : makeAttack()
            let goal: AttackGoal = target.map { target in .targeted(labels.map { _ in target }) } ?? .untargeted
            let shown = min(10, labels.count)
            let result: AttackEvaluation
            do {
                result = try AttackEvaluation.run(attack, on: classifier, images: batch.inputs, labels: labels, goal: goal,
                                                  batchSize: batchSize, keep: shown, generator: RandomGenerator(seed: seed))
            } catch let error as TrustError {
                throw LabError(error.description)
            }
            let settings = describe(attack)
            let gridPath = output ?? URL(fileURLWithPath: runFolder).appendingPathComponent("attack-\(method).png").path
            let originals = batch.inputs.sliced(axis: 0, start: 0, end: shown).contiguous()
            let grid = AttackPictures.grid(originals: originals, adversarial: result.keptAdversarial!, labels: Array(labels.prefix(shown)),
                                           cleanPredictions: Array(result.cleanPredictions.prefix(shown)),
                                           adversarialPredictions: Array(result.adversarialPredictions.prefix(shown)),
                                           classNames: FashionMNIST.classNames, title: "\(settings) on \(description)")
            do {
                try grid.writePNG(to: URL(fileURLWithPath: gridPath))
            } catch {
                throw LabError("could not write the grid: \(describeFileError(error, path: gridPath))")
            }
            if json {
                printJSONLine(["method": method, "norm": norm, "epsilon": epsilon ?? 0, "targeted": target != nil, "count": result.count,
                               "clean_accuracy": result.cleanAccuracy, "adversarial_accuracy": result.adversarialAccuracy,
                               "success_rate": result.successRate, "mean_linf": result.meanLinfDistance, "mean_l2": result.meanL2Distance,
                               "seconds": result.seconds, "images_per_s": result.imagesPerSecond, "grid": gridPath,
                               "defence": defence ?? "none", "defence_gradient": defence == nil ? "none" : gradientMode.rawValue,
                               "mean_queries": result.meanQueries ?? 0])
            } else {
                print("model: \(description)")
                print("attack: \(settings)\(target.map { ", towards class \($0) (\(FashionMNIST.classNames[$0]))" } ?? "")")
                print(String(format: "clean accuracy %.4f, adversarial accuracy %.4f, attack success %.4f on %d test images",
                             result.cleanAccuracy, result.adversarialAccuracy, result.successRate, result.count))
                print(String(format: "mean perturbation: L∞ %.4f, L2 %.4f; %.1f s (%.0f images/s)",
                             result.meanLinfDistance, result.meanL2Distance, result.seconds, result.imagesPerSecond))
                if let queries = result.meanQueries { print(String(format: "black box: %.1f classifier queries per image", queries)) }
                print("grid: \(gridPath)")
            }
        }
    }

    /// One perturbation for all test images, fitted on the first --fit-count training images.
    func fitUniversal(_ classifier: PixelClassifier) throws -> UniversalPerturbation {
        let training = try FashionMNIST(.training, folder: dataFolder).batch(at: Array(0..<fitCount))
        do {
            return try UniversalPerturbation.fit(classifier, images: training.inputs, labels: training.labels.scalars, epsilon: Float(epsilon ?? 0),
                                                 epochs: steps ?? 5, stepSize: stepSize.map(Float.init), generator: RandomGenerator(seed: seed))
        } catch let error as TrustError {
            throw LabError(error.description)
        }
    }

    /// The attack and its settings in words, for the output and the grid's title.
    func describe(_ attack: any AdversarialAttack) -> String {
        if let gradient = attack as? GradientAttack {
            return "\(gradient.name) \(gradient.norm.rawValue) eps \(gradient.epsilon), \(gradient.steps) step\(gradient.steps == 1 ? "" : "s") of \(gradient.stepSize)"
                + (gradient.randomStart ? ", random start" : "") + (gradient.gradientSamples > 1 ? ", EOT over \(gradient.gradientSamples) draws" : "")
        }
        if let cw = attack as? CarliniWagnerL2 { return "cw L2 c \(cw.c), kappa \(cw.kappa), \(cw.steps) steps, lr \(cw.learningRate)" }
        if let deepFool = attack as? DeepFool { return "deepfool L2 \(deepFool.steps) steps, overshoot \(deepFool.overshoot)" }
        if let universal = attack as? UniversalPerturbation { return "universal linf eps \(universal.epsilon), fitted on \(fitCount) training images" }
        if let simba = attack as? SimBA { return "simba eps \(simba.epsilon), up to \(simba.maximumIterations) pixels" }
        if let onePixel = attack as? OnePixelAttack {
            return "onepixel \(onePixel.pixels) pixel\(onePixel.pixels == 1 ? "" : "s"), population \(onePixel.populationSize), \(onePixel.generations) generations"
        }
        return attack.name
    }
}
