import Foundation
import Nabla
import NablaCheckpoint
import NablaCompression
import NablaData
import NablaNN
import NablaOptim
import NablaTrain
import NablaViz
import Testing
@testable import NablaLabs

@Suite struct DistillationLabTests {
    /// The budget check counts what the built student really holds, and the default student fits.
    @Test func studentParameterCountMatchesTheBuiltNetwork() {
        for (channels, hidden) in [(16, 48), (4, 8), (32, 64)] {
            let model = DistillationLab.student(channels: channels, hidden: hidden, generator: RandomGenerator(seed: 1))
            #expect(DistillationLab.studentParameterCount(channels: channels, hidden: hidden) == model.parameterCount())
        }
        #expect(DistillationLab.studentParameterCount(channels: 16, hidden: 48) == 80_602)
        #expect(throws: Never.self) { try DistillationLab.checkStudentBudget(channels: 16, hidden: 48, budget: 100_000) }
    }

    /// A student over the budget is refused before any training, naming its settings, its count and the budget.
    @Test func studentOverTheBudgetIsAnErrorNamingCountAndBudget() {
        let count = DistillationLab.studentParameterCount(channels: 32, hidden: 64)
        #expect(count > 100_000)
        #expect { try DistillationLab.checkStudentBudget(channels: 32, hidden: 64, budget: 100_000) } throws: { error in
            let message = "\(error)"
            return message.contains("\(count)") && message.contains("100000") && message.contains("'student_channels'")
        }
    }

    /// The whole lab refuses the oversized student through its settings, before reading any data.
    @Test func labRunRefusesAnOversizedStudent() throws {
        var options = LabRunOptions()
        options.quick = true
        options.overrides = ["student_hidden=200"]
        options.output = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-distillation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: options.output!) }
        #expect { try LabRunner.run(DistillationLab(), options: options) } throws: { "\($0)".contains("over the budget of 100000") }
    }

    /// Stopped inside the distilled student's stage (the teacher's stage finished) and resumed, the run ends
    /// with the same parameters in every checkpoint, bit for bit, and the same headline as a whole run.
    @Test func resumeInsideTheStudentStageIsBitExact() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-distillation-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        func run(_ folder: String, stop: Int? = nil, resume: Bool = false) throws -> LabRunSummary {
            var options = LabRunOptions()
            options.quick = true
            options.overrides = resume ? [] : DistillationLab().tinySettings
            if resume { options.resume = root.appendingPathComponent(folder).path } else { options.output = root.appendingPathComponent(folder).path }
            options.stopAfterSteps = stop
            return try LabRunner.run(DistillationLab(), options: options)
        }
        func parameters(_ folder: URL) throws -> [String: [UInt32]] {
            var all: [String: [UInt32]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasPrefix("checkpoint") {
                for (key, tensor) in try TrainingCheckpoint.read(folder.appendingPathComponent(name).path).model {
                    all[name + ":" + key] = tensor.scalars.map(\.bitPattern)
                }
            }
            return all
        }
        let whole = try run("whole")
        // The report is complete: the distilled student's confusion matrix and test images are there.
        for file in [RunFolder.confusionFile, RunFolder.samplesFile] {
            #expect(FileManager.default.fileExists(atPath: whole.folder.appendingPathComponent(file).path), "\(file) missing")
        }
        let report = try String(contentsOf: whole.folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(!report.contains("No confusion matrix was recorded") && !report.contains("No test images were recorded"))
        // Tiny: 108 training images in batches of 30 make 4 steps a stage; step 6 lies in the distilled student's.
        let stopped = try run("resumed", stop: 6)
        #expect(stopped.result.isInterrupted)
        let resumed = try run("resumed", resume: true)
        let wholeParameters = try parameters(whole.folder)
        #expect(wholeParameters.count > 0 && wholeParameters.keys.contains { $0.hasPrefix("checkpoint.student-distilled") })
        #expect(try parameters(resumed.folder) == wholeParameters)
        #expect(resumed.result.headline.bitPattern == whole.result.headline.bitPattern)
    }

    /// `teacher=RUN_DIR` reads a fashion-cnn run's model.safetensors, recognising its network; a folder
    /// without one is an error naming the setting.
    @Test func teacherLoadsFromARunFolderOrNamesTheSetting() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-distillation-teacher-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect { try DistillationLab.loadTeacher(folder: folder.path) } throws: { "\($0)".contains("setting 'teacher'") && "\($0)".contains("model.safetensors") }
        let saved = FashionArchitecture.cnn.makeModel(RandomGenerator(seed: 9))
        try saved.saveSafetensors(to: folder.appendingPathComponent("model.safetensors").path)
        let loaded = try DistillationLab.loadTeacher(folder: folder.path)
        #expect(loaded.architecture == .cnn)
        #expect(loaded.model.parameters().map(\.scalars) == saved.parameters().map(\.scalars))
    }

    /// A distillation step moves the student towards the teacher and leaves the teacher untouched.
    @Test func distillationStepTrainsTheStudentOnly() throws {
        let generator = RandomGenerator(seed: 3)
        let images = generator.uniform([16, 1, 28, 28])
        let data = TensorDataset(features: images, labels: IntTensor((0..<16).map { $0 % 10 }))
        let teacher = DistillationLab.student(channels: 4, hidden: 16, generator: generator)
        let student = DistillationLab.student(channels: 2, hidden: 8, generator: generator)
        let teacherBefore = teacher.parameters().map(\.scalars)
        let optimizer = OptimizerKind.adam.make(student.parameters(), learningRate: 1e-2)
        let plain = ClassificationTask(model: student, optimizer: optimizer, loader: DataLoader(data, batchSize: 16, shuffle: false, generator: generator),
                                       dataGenerator: generator)
        let task = DistillationTask(student: plain, teacher: teacher, loss: try DistillationLoss(temperature: 4, softWeight: 1))
        var losses: [Double] = []
        for _ in 0..<30 {
            let batch = data.batch(at: Array(0..<16))
            losses.append(try task.trainStep(batch).loss)
        }
        #expect(losses.last! < losses.first! * 0.5, "\(losses)")
        #expect(teacher.parameters().map(\.scalars) == teacherBefore)
    }
}
