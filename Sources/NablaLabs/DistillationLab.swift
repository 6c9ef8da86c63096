import Foundation
import Nabla
import NablaCheckpoint
import NablaCompression
import NablaData
import NablaNN
import NablaTrain
import NablaViz

/// Knowledge distillation (lecture "Network compression", HW13): a small CNN under a parameter budget
/// (100,000) learns Fashion-MNIST from a large teacher's softened outputs as well as the labels, and the
/// same student, from the same initial weights on the same batches, learns from the labels alone beside it.
///
/// The teacher is the plain CNN of `nabla train fashion-cnn` (421,642 parameters), trained in the run as its
/// first stage, or read from a `fashion-cnn` run folder (`teacher=RUN_DIR`, its model.safetensors; plain or
/// residual, trained on normalised inputs). Headline: the distilled student's test accuracy.
public struct DistillationLab: Lab {
    public let name = "distillation"
    public let lecture = "Network compression"
    public let summary = "knowledge distillation on Fashion-MNIST: a CNN student under 100,000 parameters, with and without a teacher"
    public let baseline = Baseline(metric: "student_test_accuracy", value: 0.92,
                                   source: "HW13's bar: a student under 100,000 parameters reaches 0.920 test accuracy, distilled",
                                   quickValue: 0.75)

    public init() {}

    public var settings: [LabSetting] {
        [.integer("epochs", 8, quick: 2, in: 1...1000, "passes over the training set for each student"),
         .integer("teacher_epochs", 6, quick: 2, in: 1...1000, "passes over the training set for the teacher trained in the run"),
         .text("teacher", "", "a fashion-cnn run folder whose model.safetensors is the teacher (empty: train one in the run)"),
         .real("temperature", 4, in: 0.01...100, "the softmax temperature T of the soft targets"),
         .real("alpha", 0.7, in: 0...1, "the weight of the soft (teacher) term; 1 - alpha goes to the labels"),
         .integer("student_channels", 16, in: 1...512, "channels of the student's first convolution (the second has twice as many)"),
         .integer("student_hidden", 48, in: 1...4096, "units of the student's hidden linear layer"),
         .integer("parameter_budget", 100_000, in: 1...100_000_000, "the most parameters the student may have"),
         .integer("batch_size", 64, in: 1...60_000, "examples per mini-batch"),
         .real("learning_rate", 2e-3, in: 1e-12...1e30, "Adam's learning rate (cosine decay, stepped every batch)"),
         .real("validation_fraction", 0.1, in: 0...0.99, "share of the training set held out for validation"),
         .integer("training_examples", 0, quick: 12_000, in: 0...60_000, "use only this many training images (0: all 60,000)"),
         .integer("test_examples", 0, quick: 5_000, in: 0...10_000, "test on only this many images (0: all 10,000)")]
    }

    public var tinySettings: [String] {
        ["epochs=1", "teacher_epochs=1", "training_examples=120", "test_examples=40", "batch_size=30"]
    }

    /// Conv(1→c, 3, pad 1) → ReLU → MaxPool 2 → Conv(c→2c, 3, pad 1) → ReLU → MaxPool 2 → Flatten →
    /// Linear(2c·7·7, hidden) → ReLU → Linear(hidden, 10). Input N×1×28×28, output N×10 logits.
    /// With c = 16 and 48 hidden units: 80,602 parameters.
    public static func student(channels: Int, hidden: Int, generator: RandomGenerator) -> any Layer {
        Sequential(Conv2d(inputChannels: 1, outputChannels: channels, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                   MaxPool2d(kernelSize: 2),
                   Conv2d(inputChannels: channels, outputChannels: 2 * channels, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                   MaxPool2d(kernelSize: 2),
                   Flatten(),
                   Linear(inputSize: 2 * channels * 7 * 7, outputSize: hidden, generator: generator), ReLU(),
                   Linear(inputSize: hidden, outputSize: 10, generator: generator))
    }

    /// The student's parameter count without building it (the same formula as `student`).
    public static func studentParameterCount(channels: Int, hidden: Int) -> Int {
        let first = 9 * channels + channels
        let second = 9 * channels * 2 * channels + 2 * channels
        return first + second + (2 * channels * 49 * hidden + hidden) + (hidden * 10 + 10)
    }

    /// Throws a `LabError` naming the student's settings, its parameter count and the budget when the
    /// student is larger than the budget.
    public static func checkStudentBudget(channels: Int, hidden: Int, budget: Int) throws {
        do {
            try checkParameterBudget(studentParameterCount(channels: channels, hidden: hidden), budget: budget)
        } catch let error as CompressionError {
            throw LabError("settings 'student_channels' = \(channels), 'student_hidden' = \(hidden): \(error) "
                           + "('parameter_budget'; HW13's budget is 100000)")
        }
    }

    /// The teacher in `folder`'s model.safetensors: the residual network or the plain CNN, whichever the
    /// file's tensors fit exactly.
    static func loadTeacher(folder: String) throws -> (model: any Layer, architecture: FashionArchitecture) {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("model.safetensors").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw LabError("setting 'teacher': no model.safetensors in '\(folder)'; give a finished fashion-cnn run folder "
                           + "(nabla lab run fashion-cnn) or leave 'teacher' empty to train one in the run")
        }
        var failures: [String] = []
        for architecture in [FashionArchitecture.residual, .cnn] {
            let model = architecture.makeModel(RandomGenerator(seed: 0))
            do {
                _ = try model.loadSafetensors(from: path, strict: true)
                model.eval()
                return (model, architecture)
            } catch {
                failures.append("\(architecture.rawValue): \(error)")
            }
        }
        throw LabError("setting 'teacher': '\(path)' holds neither fashion-cnn network (\(failures.joined(separator: "; ")))")
    }

    /// One trained network of the report.
    struct Trained {
        let label: String
        let parameters: Int
        let validationAccuracy: [Double]
        let testAccuracy: Double
        let seconds: Double
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let settings = context.settings
        let channels = settings.integer("student_channels"), hidden = settings.integer("student_hidden")
        try Self.checkStudentBudget(channels: channels, hidden: hidden, budget: settings.integer("parameter_budget"))
        let distillation: DistillationLoss
        do {
            distillation = try DistillationLoss(temperature: Float(settings.real("temperature")), softWeight: Float(settings.real("alpha")))
        } catch {
            throw LabError("settings 'temperature', 'alpha': \(error)")
        }

        let split = RandomGenerator(seed: context.seed)
        var fullTraining: any Dataset = try FashionDataCache.shared.load(.training, folder: context.dataFolder)
        var test: any Dataset = try FashionDataCache.shared.load(.test, folder: context.dataFolder)
        if settings.integer("training_examples") > 0 {
            fullTraining = DatasetSubset(base: fullTraining, indices: Array(0..<min(settings.integer("training_examples"), fullTraining.count)))
        }
        if settings.integer("test_examples") > 0 {
            test = DatasetSubset(base: test, indices: Array(0..<min(settings.integer("test_examples"), test.count)))
        }
        let (training, validation) = try fullTraining.split(validation: .fraction(settings.real("validation_fraction")),
                                                            stratified: true, generator: split)
        context.log("data: \(training.count) training, \(validation.count) validation, \(test.count) test images")
        let normalization = Normalize(mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation])
        let batchSize = settings.integer("batch_size"), learningRate = settings.real("learning_rate")

        /// A classification task over `model` whose batch order comes from `generator`.
        func classification(_ model: any Layer, epochs: Int, generator: RandomGenerator) throws -> ClassificationTask {
            let optimizer = OptimizerKind.adam.make(model.parameters(), learningRate: learningRate)
            let loader = DataLoader(training, batchSize: batchSize, shuffle: true, generator: generator)
            let (steps, overflow) = loader.batchCount.multipliedReportingOverflow(by: epochs)
            guard !overflow else { throw LabError("setting 'epochs' = \(epochs) makes more steps than can be counted") }
            return ClassificationTask(model: model, optimizer: optimizer,
                                      scheduler: LearningRateScheduleKind.cosine.makeScheduler(optimizer, totalSteps: steps),
                                      loader: loader, dataGenerator: generator, validation: validation, inputTransform: normalization)
        }

        // The teacher: read from a run folder, or trained here as the first stage.
        var trained: [Trained] = []
        let teacher: any Layer
        let teacherSource: String
        if !settings.text("teacher").isEmpty {
            let loaded = try Self.loadTeacher(folder: settings.text("teacher"))
            teacher = loaded.model
            teacherSource = "\(loaded.architecture == .residual ? "residual network" : "plain CNN") from \(settings.text("teacher"))"
            let evaluation = try classification(teacher, epochs: 1, generator: RandomGenerator(seed: 0)).evaluate(test)
            trained.append(Trained(label: "teacher (\(loaded.architecture.rawValue))", parameters: teacher.parameterCount(),
                                   validationAccuracy: [], testAccuracy: evaluation.accuracy, seconds: 0))
        } else {
            let generator = context.generator(stream: 1)
            teacher = FashionArchitecture.cnn.makeModel(generator)
            teacherSource = "plain CNN of fashion-cnn trained in this run"
            let task = try classification(teacher, epochs: settings.integer("teacher_epochs"), generator: generator)
            context.log("teacher: plain CNN, \(teacher.parameterCount()) parameters, \(settings.integer("teacher_epochs") == 1 ? "1 epoch" : "\(settings.integer("teacher_epochs")) epochs")")
            let outcome = try context.train(task, epochs: settings.integer("teacher_epochs"), stage: "teacher")
            guard outcome.isOver else { return .interrupted }
            let evaluation = task.evaluate(test)
            trained.append(Trained(label: "teacher (cnn)", parameters: teacher.parameterCount(),
                                   validationAccuracy: outcome.state.metrics.compactMap { $0["val_accuracy"] },
                                   testAccuracy: evaluation.accuracy, seconds: outcome.state.trainingSeconds))
        }
        context.log("teacher test accuracy: \(String(format: "%.4f", trained[0].testAccuracy))")

        if !context.isResuming {
            try context.recordConfiguration(["teacher": teacherSource,
                                             "student_parameters": Self.studentParameterCount(channels: channels, hidden: hidden),
                                             "input_normalization": ["pixel_scale": "value / 255", "mean": Double(FashionMNIST.mean),
                                                                     "standard_deviation": Double(FashionMNIST.standardDeviation)]])
        }

        // The two students: the same seed gives both the same initial weights and the same batches.
        let epochs = settings.integer("epochs")
        for distilled in [true, false] {
            let generator = context.generator(stream: 2)
            let model = Self.student(channels: channels, hidden: hidden, generator: generator)
            let plain = try classification(model, epochs: epochs, generator: generator)
            let stage = distilled ? "student-distilled" : "student-alone"
            context.log("\(stage): \(model.parameterCount()) parameters, \(epochs == 1 ? "1 epoch" : "\(epochs) epochs")"
                        + (distilled ? ", T = \(settings.real("temperature")), alpha = \(settings.real("alpha"))" : ", labels only"))
            let outcome = distilled ? try context.train(DistillationTask(student: plain, teacher: teacher, loss: distillation), epochs: epochs, stage: stage)
                                    : try context.train(plain, epochs: epochs, stage: stage)
            guard outcome.isOver else { return .interrupted }
            let evaluation = plain.evaluate(test)
            context.log("\(stage) test accuracy: \(String(format: "%.4f", evaluation.accuracy))")
            trained.append(Trained(label: distilled ? "student, distilled" : "student, labels only", parameters: model.parameterCount(),
                                   validationAccuracy: outcome.state.metrics.compactMap { $0["val_accuracy"] },
                                   testAccuracy: evaluation.accuracy, seconds: outcome.state.trainingSeconds))
            if distilled {
                // The report's confusion matrix and test images are the distilled student's, as a classifier lab's are its model's.
                try context.folder.writeConfusion(predictions: evaluation.predictions, labels: evaluation.labels, classNames: FashionMNIST.classNames)
                let shown = Array(0..<min(40, test.count))
                try context.folder.writeSamples(images: test.batch(at: shown).inputs, predictions: shown.map { evaluation.predictions[$0] },
                                                labels: shown.map { evaluation.labels[$0] }, classNames: FashionMNIST.classNames)
                try model.saveSafetensors(to: context.folder.path("student.safetensors"), metadata: [
                    "format": "pt", "nabla.recipe": name,
                    "nabla.input_mean": "\(FashionMNIST.mean)", "nabla.input_std": "\(FashionMNIST.standardDeviation)"])
            }
        }
        return LabResult(headline: trained[1].testAccuracy,
                         summary: [("student_alone_test_accuracy", trained[2].testAccuracy), ("teacher_test_accuracy", trained[0].testAccuracy),
                                   ("student_parameters", trained[1].parameters), ("teacher_parameters", trained[0].parameters),
                                   ("training_seconds", trained.map(\.seconds).reduce(0, +))],
                         sections: Self.sections(trained, settings: settings, testCount: test.count))
    }

    static func sections(_ trained: [Trained], settings: LabValues, testCount: Int) -> [ReportSection] {
        let rows = trained.map { [$0.label, "\($0.parameters)", String(format: "%.4f", $0.testAccuracy),
                                  $0.validationAccuracy.last.map { String(format: "%.4f", $0) } ?? "-", String(format: "%.1f", $0.seconds)] }
        let curves = trained.filter { !$0.validationAccuracy.isEmpty }.map { network in
            LineChart.Series(name: network.label, x: network.validationAccuracy.indices.map { Double($0 + 1) }, y: network.validationAccuracy)
        }
        var pareto = ScatterPlot(title: "Parameters against test accuracy", xLabel: "parameters (thousands)", yLabel: "test accuracy",
                                 x: trained.map { Double($0.parameters) / 1000 }, y: trained.map(\.testAccuracy),
                                 classes: Array(trained.indices), classNames: trained.map(\.label))
        pareto.markerSize = 10
        return [
            .table("Teacher and students", headers: ["network", "parameters", "test accuracy", "last validation accuracy", "training s"], rows: rows,
                   caption: "\(testCount) test images; T = \(settings.real("temperature")), alpha = \(settings.real("alpha")); "
                       + "both students start from the same weights and see the same batches."),
            .lineChart("Validation accuracy by epoch", xLabel: "epoch", yLabel: "accuracy", series: curves),
            .figure("Parameters against accuracy", pareto,
                    caption: "The student has about a fifth of the teacher's parameters; distillation changes its accuracy, not its size."),
            .text("What to look for", """
                The teacher's softened outputs (temperature T) say which wrong classes are nearly right — a shirt \
                that looks like a T-shirt — which the one-hot label hides. The student trained on them as well as the \
                labels can end higher than the same student trained on the labels alone — when the teacher is clearly \
                better than that student. A weak teacher (the quick setting's) passes on its own mistakes, and the \
                distilled student can end lower. The T² factor keeps the soft term's gradient the same size at any T.
                """),
        ]
    }
}
