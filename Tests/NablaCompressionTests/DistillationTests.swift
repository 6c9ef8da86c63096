import Foundation
import Nabla
import NablaCompression
import Testing

@Suite struct DistillationTests {
    @Test func badSettingsAndOverBudgetStudentsAreRefused() {
        #expect(throws: CompressionError.self) { try DistillationLoss(temperature: 0, softWeight: 0.5) }
        #expect(throws: CompressionError.self) { try DistillationLoss(temperature: 4, softWeight: 1.5) }
        #expect(throws: CompressionError.studentOverBudget(parameters: 100_001, budget: 100_000)) {
            try checkParameterBudget(100_001, budget: 100_000)
        }
        #expect(throws: Never.self) { try checkParameterBudget(99_999, budget: 100_000) }
    }

    @Test func softTermIsTemperatureSquaredKullbackLeibler() throws {
        let student = Tensor(rows: [[1, 2, 0.5], [0, -1, 3]]), teacher = Tensor(rows: [[2, 0, 1], [1, 1, 1]])
        let temperature: Float = 3
        let loss = try DistillationLoss(temperature: temperature, softWeight: 1)
        var expected: Float = 0
        for row in 0..<2 {
            let s = (0..<3).map { student[row, $0] / temperature }, t = (0..<3).map { teacher[row, $0] / temperature }
            let sNorm = log(s.map(exp).reduce(0, +)), tNorm = log(t.map(exp).reduce(0, +))
            for c in 0..<3 { expected += exp(t[c] - tNorm) * ((t[c] - tNorm) - (s[c] - sNorm)) }
        }
        expected = expected / 2 * temperature * temperature
        #expect(abs(loss(student: student, teacher: teacher, labels: IntTensor([0, 2])).item - expected) < 1e-5)
        #expect(abs(loss(student: teacher, teacher: teacher, labels: IntTensor([0, 2])).item) < 1e-6)
    }

    @Test func hardTermIsCrossEntropyWithTheLabels() throws {
        let student = Tensor(rows: [[1, 2, 0.5]], requiresGrad: true)
        let loss = try DistillationLoss(temperature: 2, softWeight: 0)(student: student, teacher: Tensor(rows: [[0, 0, 9]]), labels: IntTensor([1]))
        #expect(abs(loss.item - crossEntropy(student, IntTensor([1])).item) < 1e-6)
        loss.backward()
        #expect(student.grad != nil)
    }
}
