import Foundation
import Nabla
import NablaData
import NablaNN
import NablaOptim
import NablaTrain
import NablaTransfer
import NablaViz

/// Life-long learning on permuted Fashion-MNIST. (Lecture: life-long learning.)
///
/// Five tasks share one network and one output layer: the same ten classes, each task with its own
/// fixed shuffling of the 784 pixels (task 1 unshuffled). Trained on one task after the other, a network
/// forgets the earlier ones (naive fine-tuning). EWC, SI and MAS anchor the weights that mattered for
/// earlier tasks with a quadratic penalty weighted by their importance (`ContinualRegularizer`); A-GEM
/// keeps a small memory of each earlier task and projects every gradient that would raise the memory's
/// loss (`AveragedGradientEpisodicMemory`). The accuracy matrix R[i][j] (accuracy on task j after
/// training task i) gives the final average accuracy and the backward transfer
/// BWT = mean over j < T of R[T][j] − R[j][j] (negative: forgetting).
///
/// Baseline: each method's final average accuracy at least 10 points above naive fine-tuning's; the
/// headline is the smallest margin over the methods trained.
public struct LifelongLab: Lab {
    public init() {}

    static let methods = ["naive", "ewc", "si", "mas", "agem"]

    public var name: String { "lifelong" }
    public var lecture: String { "Life-long learning" }
    public var summary: String { "naive fine-tuning, EWC, SI, MAS and A-GEM on 5 permuted Fashion-MNIST tasks: accuracy matrices, average accuracy, BWT" }
    public var settings: [LabSetting] {
        [.text("methods", "naive,ewc,si,mas,agem", "comma-separated methods (naive, ewc, si, mas, agem); naive is the reference"),
         .integer("tasks", 5, in: 2...20, "permuted tasks in the sequence"),
         .integer("training_examples", 60_000, quick: 6_000, in: 100...60_000, "training images per task"),
         .integer("test_examples", 10_000, quick: 2_000, in: 10...10_000, "test images per task"),
         .integer("epochs_per_task", 1, in: 1...100, "passes over each task's training images"),
         .integer("hidden", 256, in: 8...4096, "units in each of the two hidden layers"),
         .integer("batch_size", 128, in: 1...10_000, "images per mini-batch"),
         .real("learning_rate", 0.05, in: 1e-6...10, "SGD's learning rate"),
         .real("ewc_lambda", 1, in: 0...1e9, "EWC's penalty strength on the Fisher diagonal (with SGD, lr × 2λ × the largest Fisher entry must stay below 2)"),
         .real("si_c", 1, in: 0...1e9, "SI's penalty strength c"),
         .real("mas_lambda", 1, in: 0...1e9, "MAS's penalty strength"),
         .integer("importance_examples", 300, quick: 100, in: 1...60_000, "examples EWC and MAS estimate importance on"),
         .integer("memory_per_task", 256, in: 1...10_000, "A-GEM: examples kept from each finished task"),
         .integer("memory_batch", 256, in: 1...10_000, "A-GEM: memory examples per reference gradient")]
    }
    public var tinySettings: [String] {
        ["tasks=2", "training_examples=200", "test_examples=50", "hidden=16", "batch_size=50", "importance_examples=10", "memory_per_task=20", "memory_batch=20"]
    }
    public var baseline: Baseline {
        Baseline(metric: "smallest_margin_over_naive", value: 10,
                 source: "issue's bar: EWC, SI, MAS and A-GEM each at least 10 points of final average accuracy above naive fine-tuning; "
                     + "the headline is the smallest of their margins", quickValue: 5)
    }

    /// The tasks' data: Fashion-MNIST standardised, and a pixel order per task.
    struct Tasks {
        let trainingInputs: Tensor, trainingLabels: [Int]
        let testInputs: Tensor, testLabels: [Int]
        let permutations: [IntTensor]

        func inputs(_ source: Tensor, rows: [Int], task: Int) -> Tensor {
            gatherRows(source, rows).indexSelected(axis: 1, indices: permutations[task]).contiguous()
        }
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let values = context.settings
        let methods = try LabMethodList.parse(values.text("methods"), allowed: Self.methods)
        let taskCount = values.integer("tasks")
        let generator = context.generator()
        let training = try FashionSubset.load(training: values.integer("training_examples"), validation: values.integer("test_examples"),
                                              generator: generator, folder: context.dataFolder)
        let permutations = (0..<taskCount).map { task in IntTensor(task == 0 ? Array(0..<784) : generator.permutation(784)) }
        let tasks = Tasks(trainingInputs: training.trainingInputs, trainingLabels: training.trainingLabels.scalars,
                          testInputs: training.validationInputs, testLabels: training.validationLabels.scalars, permutations: permutations)
        var matrices: [String: [[Double]]] = [:], rows: [[String]] = [], summary: [(key: String, value: Any)] = []
        var averages: [String: Double] = [:]
        for method in methods {
            let network = FastWeightMLP(sizes: [784, values.integer("hidden"), values.integer("hidden"), 10], generator: context.generator(stream: 1))
            let task = LifelongTask(method: method, network: network, tasks: tasks, settings: values, generator: context.generator(stream: 2))
            let start = Date()
            let outcome = try context.train(task, epochs: taskCount * values.integer("epochs_per_task"), stage: method)
            guard outcome.isOver else { return .interrupted }
            let epochsPerTask = values.integer("epochs_per_task")
            let matrix = (0..<taskCount).map { trained in
                // A stage stopped by a diverging loss has fewer rows: the tasks it never finished read NaN.
                (0..<taskCount).map { tested in
                    let row = (trained + 1) * epochsPerTask - 1
                    return row < outcome.state.metrics.count ? outcome.state.metrics[row]["task\(tested + 1)_accuracy"] ?? .nan : .nan
                }
            }
            let average = matrix[taskCount - 1].reduce(0, +) / Double(taskCount)
            let backward = (0..<taskCount - 1).map { matrix[taskCount - 1][$0] - matrix[$0][$0] }.reduce(0, +) / Double(taskCount - 1)
            let seconds = Date().timeIntervalSince(start)
            matrices[method] = matrix
            averages[method] = average
            context.log(String(format: "%@: final average accuracy %.2f%%, BWT %+.2f points, %.0f s", method, 100 * average, 100 * backward, seconds))
            rows.append([method, String(format: "%.2f", 100 * average), String(format: "%+.2f", 100 * backward), String(format: "%.0f", seconds)])
            summary += [("\(method)_average_accuracy", average), ("\(method)_bwt", backward), ("\(method)_seconds", seconds)]
        }
        var margins: [Double] = []
        if let naive = averages["naive"] {
            for method in methods where method != "naive" {
                let margin = 100 * (averages[method]! - naive)
                margins.append(margin)
                summary.append(("\(method)_margin_over_naive", margin))
                rows[methods.firstIndex(of: method)!].append(String(format: "%+.2f", margin))
            }
            rows[methods.firstIndex(of: "naive")!].append("-")
        }
        let headline = margins.min() ?? .nan
        let taskNames = (1...taskCount).map { "task \($0)" }
        var sections: [ReportSection] = [
            .lineChart("Accuracy on each task during the sequence", xLabel: "tasks trained", yLabel: "mean accuracy on the tasks seen so far",
                       series: methods.map { method in
                           let matrix = matrices[method]!
                           return .init(name: method, x: (1...taskCount).map(Double.init),
                                        y: (0..<taskCount).map { i in matrix[i][0...i].reduce(0, +) / Double(i + 1) })
                       }, caption: "After each task, the mean accuracy over the tasks trained so far: naive fine-tuning falls as it forgets."),
            .table("Final average accuracy and backward transfer", headers: ["method", "average accuracy (%)", "BWT (points)", "seconds"]
                   + (averages["naive"] == nil ? [] : ["margin over naive (points)"]), rows: rows,
                   caption: "Bar: every method at least 10 points above naive fine-tuning. BWT = mean over earlier tasks of (final accuracy − accuracy just after learning it)."),
        ]
        for method in methods {
            sections.append(.heatMap("Accuracy matrix: \(method)", values: matrices[method]!, xLabel: "tested on", yLabel: "after training",
                                     rowLabels: taskNames, columnLabels: taskNames,
                                     caption: "R[i][j]: accuracy on task j after training task i; below the diagonal is what is remembered."))
        }
        if let naive = matrices["naive"] {
            sections.append(.lineChart("Task 1 accuracy through the sequence", xLabel: "tasks trained", yLabel: "accuracy on task 1",
                                       series: methods.map { .init(name: $0, x: (1...taskCount).map(Double.init), y: matrices[$0]!.map { $0[0] }) },
                                       caption: String(format: "How well the first task is remembered; naive fine-tuning ends at %.1f%%.", 100 * naive[taskCount - 1][0])))
        }
        return LabResult(headline: headline, summary: summary, sections: sections)
    }
}

/// Training through a task sequence with one method, one epoch after another (epoch e, from 1, trains
/// task (e − 1) / epochs_per_task, from 0); after each epoch every task's test accuracy (a row of R when a task ends) and,
/// when a task ends, its consolidation. The regulariser's anchors and importance are buffers of the
/// model "regularizer", so checkpoints carry them.
final class LifelongTask: TrainingTask {
    let method: String
    let network: FastWeightMLP
    let optimizer: SGD
    let tasks: LifelongLab.Tasks
    let generator: RandomGenerator
    let regularizer: ContinualRegularizer
    let batchSize, epochsPerTask, importanceExamples, memoryPerTask, memoryBatch, taskCount: Int
    /// The examples A-GEM keeps of each task: a fixed choice per task, so nothing to checkpoint.
    let memory: [[Int]]

    init(method: String, network: FastWeightMLP, tasks: LifelongLab.Tasks, settings: LabValues, generator: RandomGenerator) {
        self.method = method
        self.network = network
        self.tasks = tasks
        self.generator = generator
        optimizer = SGD(network.parameters(), configuration: .init(learningRate: settings.real("learning_rate")))
        let (kind, strength): (ContinualRegularizer.Method, Double) = switch method {
        case "ewc": (.ewc, settings.real("ewc_lambda"))
        case "si": (.si, settings.real("si_c"))
        case "mas": (.mas, settings.real("mas_lambda"))
        default: (.ewc, 0)
        }
        regularizer = ContinualRegularizer(method: kind, parameters: network.parameters(), strength: Float(strength))
        batchSize = settings.integer("batch_size")
        epochsPerTask = settings.integer("epochs_per_task")
        importanceExamples = min(settings.integer("importance_examples"), tasks.trainingLabels.count)
        memoryPerTask = min(settings.integer("memory_per_task"), tasks.trainingLabels.count)
        memoryBatch = settings.integer("memory_batch")
        taskCount = tasks.permutations.count
        memory = (0..<taskCount).map { [memoryPerTask] task in
            Array(RandomGenerator(seed: 0xA6E3 &+ UInt64(task)).permutation(tasks.trainingLabels.count).prefix(memoryPerTask))
        }
    }

    var models: KeyValuePairs<String, Module> { ["network": network, "regularizer": regularizer] }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["sgd": optimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["data": generator] }
    var batchesPerEpoch: Int { (tasks.trainingLabels.count + batchSize - 1) / batchSize }

    func epochBatches(epoch: Int) -> AnyIterator<(task: Int, rows: [Int], memorySeed: UInt64)> {
        let task = (epoch - 1) / epochsPerTask
        let order = generator.permutation(tasks.trainingLabels.count)
        let seeds = (0..<batchesPerEpoch).map { _ in generator.next() }
        var batch = 0
        return AnyIterator { [batchSize] in
            guard batch * batchSize < order.count else { return nil }
            defer { batch += 1 }
            return (task, Array(order[batch * batchSize..<min(order.count, (batch + 1) * batchSize)]), seeds[batch])
        }
    }

    func loss(task: Int, rows: [Int]) -> Tensor {
        crossEntropy(network(tasks.inputs(tasks.trainingInputs, rows: rows, task: task)), IntTensor(rows.map { tasks.trainingLabels[$0] }))
    }

    func trainStep(_ batch: (task: Int, rows: [Int], memorySeed: UInt64)) throws -> StepResult {
        let parameters = network.parameters()
        let taskLoss = loss(task: batch.task, rows: batch.rows)
        optimizer.zeroGradients()
        taskLoss.backward()
        if method == "agem" && batch.task > 0 {
            let taskGradient = AveragedGradientEpisodicMemory.flatGradients(parameters)
            // The reference gradient on a batch drawn from every earlier task's memory.
            let picker = RandomGenerator(seed: batch.memorySeed)
            let drawn = (0..<memoryBatch).map { _ in picker.integer(in: 0..<(batch.task * memoryPerTask)) }
            optimizer.zeroGradients()
            var memoryLoss: Tensor?
            for earlier in 0..<batch.task {
                let rows = drawn.filter { $0 / memoryPerTask == earlier }.map { memory[earlier][$0 % memoryPerTask] }
                guard !rows.isEmpty else { continue }
                let part = loss(task: earlier, rows: rows) * (Float(rows.count) / Float(drawn.count))
                memoryLoss = memoryLoss.map { $0 + part } ?? part
            }
            memoryLoss?.backward()
            let reference = AveragedGradientEpisodicMemory.flatGradients(parameters)
            AveragedGradientEpisodicMemory.setGradients(parameters, AveragedGradientEpisodicMemory.project(taskGradient, reference: reference))
        }
        let taskGradients = method == "si" ? parameters.map { $0.grad!.detached() } : []
        if method != "naive" && method != "agem", let penalty = regularizer.penalty(parameters) { penalty.backward() }
        let before = method == "si" ? parameters.map { Tensor($0.scalars, shape: $0.shape) } : []
        optimizer.step()
        if method == "si" { regularizer.recordStep(taskGradients: taskGradients, before: before, after: parameters) }
        return StepResult(loss: taskLoss, count: batch.rows.count)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        let task = (epoch - 1) / epochsPerTask
        if epoch % epochsPerTask == 0 && ["ewc", "si", "mas"].contains(method) { consolidate(task) }
        return withoutGradients {
            (0..<taskCount).map { tested in
                var correct = 0
                for start in stride(from: 0, to: tasks.testLabels.count, by: 1000) {
                    let rows = Array(start..<min(start + 1000, tasks.testLabels.count))
                    let predicted = network(tasks.inputs(tasks.testInputs, rows: rows, task: tested)).argmax(axis: 1).scalars
                    correct += zip(predicted, rows).filter { $0 == tasks.testLabels[$1] }.count
                }
                return ("task\(tested + 1)_accuracy", Double(correct) / Double(tasks.testLabels.count))
            }
        }
    }

    /// EWC: the empirical Fisher diagonal (squared per-example gradients of log p(y|x)); MAS: mean
    /// absolute per-example gradients of ‖f(x)‖²; SI: its path integral.
    func consolidate(_ task: Int) {
        let parameters = network.parameters()
        let rows = Array(RandomGenerator(seed: 0xF15E &+ UInt64(task)).permutation(tasks.trainingLabels.count).prefix(importanceExamples))
        regularizer.consolidate(parameters) {
            ContinualRegularizer.meanPerExample(parameters, examples: rows.count, squared: method == "ewc") { index in
                let output = network(tasks.inputs(tasks.trainingInputs, rows: [rows[index]], task: task))
                return method == "ewc" ? crossEntropy(output, IntTensor([tasks.trainingLabels[rows[index]]])) : (output * output).sum()
            }
        }
    }
}

/// A comma-separated list of methods, each one of `allowed` and named once.
enum LabMethodList {
    static func parse(_ text: String, allowed: [String], key: String = "methods") throws -> [String] {
        let methods = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for method in methods where !allowed.contains(method) {
            throw LabError("setting '\(key)' names '\(method)', which is not one of \(allowed.joined(separator: ", "))")
        }
        guard !methods.isEmpty, Set(methods).count == methods.count else {
            throw LabError("setting '\(key)' must name each method at most once and at least one, got '\(text)'")
        }
        return methods
    }
}
