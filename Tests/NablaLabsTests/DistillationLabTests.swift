import Foundation
import Nabla
import NablaCompression
import NablaData
import NablaNN
import NablaOptim
import NablaTrain
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
