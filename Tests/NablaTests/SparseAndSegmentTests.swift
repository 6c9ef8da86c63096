import Foundation
import NablaTestSupport
import Testing
@testable import Nabla

// Sparse × dense products and segment reductions against their dense equivalents, and their gradients
// against finite differences (checkGradient in GradientCheckTests.swift).

private func randomSparse(rows: Int, columns: Int, entries: Int, seed: UInt64, valuesRequireGrad: Bool = false) -> SparseMatrix {
    let generator = RandomGenerator(seed: seed)
    let rowIndices = (0..<entries).map { _ in generator.integer(in: 0..<rows) }
    let columnIndices = (0..<entries).map { _ in generator.integer(in: 0..<columns) }
    return SparseMatrix(rows: rowIndices, columns: columnIndices,
                        values: Tensor(generator.normal([entries]).scalars, requiresGrad: valuesRequireGrad), shape: (rows, columns))
}

@Suite struct SparseMatrixTests {
    @Test func productMatchesDenseProductWithDuplicatesAndEmptyRows() {
        // 20 random entries in 6×5 repeat coordinates and leave rows empty.
        let sparse = randomSparse(rows: 6, columns: 5, entries: 20, seed: 1)
        let dense = RandomGenerator(seed: 2).normal([5, 4])
        expectClose(sparse.matmul(dense), matmul(sparse.dense(), dense), "A·X")
        expectClose(sparse.matmul(dense.sliced(axis: 1, start: 0, end: 1).squeezed(axis: 1)), matmul(sparse.dense(), dense).sliced(axis: 1, start: 0, end: 1).squeezed(axis: 1), "A·x")
        expectClose(sparse.transposed().dense(), sparse.dense().transposed().contiguous(), "Aᵀ")
        #expect(sparse.transposed().transposed() === sparse)
    }

    @Test func compressedRowsAndCoordinatesAgree() {
        let coordinates = SparseMatrix(rows: [2, 0, 0, 1], columns: [1, 2, 0, 1], values: Tensor([4, 2, 1, 3]), shape: (3, 3))
        #expect(coordinates.rowOffsets == [0, 2, 3, 4])
        #expect(coordinates.columns == [2, 0, 1, 1])
        let compressed = SparseMatrix(rowOffsets: [0, 2, 3, 4], columns: [2, 0, 1, 1], values: Tensor([2, 1, 3, 4]), columnCount: 3)
        expectValues(compressed.dense(), coordinates.dense().scalars)
        expectValues(coordinates.rowSums(), [3, 3, 4])
    }

    @Test func symmetricDegreeNormalisation() {
        // Path 0–1–2 with self-loops: degrees 2, 3, 2; entry (i, j) becomes 1/√(dᵢ dⱼ).
        let a = SparseMatrix(rows: [0, 0, 1, 1, 1, 2, 2], columns: [0, 1, 0, 1, 2, 1, 2], values: Tensor.ones([7]), shape: (3, 3))
        let inverseRoot = a.rowSums().pow(-0.5)
        let normalised = a.scaled(rows: inverseRoot, columns: inverseRoot).dense()
        let s6 = 1 / Float(6).squareRoot()
        expectClose(normalised, Tensor([0.5, s6, 0, s6, 1.0 / 3, s6, 0, s6, 0.5], shape: [3, 3]), "normalised")
    }

    @Test func productGradientsInDenseOperandAndValues() {
        let structure = randomSparse(rows: 5, columns: 4, entries: 9, seed: 3)
        let values = RandomGenerator(seed: 4).normal([9])
        let dense = RandomGenerator(seed: 5).normal([4, 3])
        checkGradient("sparse matmul", [values, dense]) { inputs in
            structure.replacingValues(inputs[0]).matmul(inputs[1])
        }
        checkGradient("sparse transpose matmul", [values, RandomGenerator(seed: 6).normal([5, 2])]) { inputs in
            structure.replacingValues(inputs[0]).transposed().matmul(inputs[1])
        }
        checkGradient("sparse scaled", [values, RandomGenerator(seed: 7).uniform([5], low: 0.5, high: 2)]) { inputs in
            structure.replacingValues(inputs[0]).scaled(rows: inputs[1], columns: nil).dense()
        }
        checkSecondDerivative("sparse matmul", [values, dense]) { inputs in
            let product = structure.replacingValues(inputs[0]).matmul(inputs[1])
            return product * product
        }
    }

    @Test func emptyMatrix() {
        let empty = SparseMatrix(rows: [], columns: [], values: Tensor([]), shape: (3, 2))
        expectValues(empty.matmul(Tensor.ones([2, 4])), [Float](repeating: 0, count: 12))
        #expect(empty.transposed().shape == [2, 3])
    }
}

@Suite struct SegmentOperationTests {
    let segments = [2, 0, 2, 2, 0, 4]   // segments 1 and 3 are empty
    let input = RandomGenerator(seed: 11).normal([6, 3])

    /// The dense reference: rows of each segment reduced one segment at a time.
    func reference(_ reduce: ([[Float]]) -> [Float]) -> [Float] {
        let rows = (0..<6).map { row in (0..<3).map { input[row, $0] } }
        return (0..<5).flatMap { segment -> [Float] in
            let members = rows.indices.filter { segments[$0] == segment }.map { rows[$0] }
            return members.isEmpty ? [0, 0, 0] : reduce(members)
        }
    }

    @Test func reductionsMatchDenseReferences() {
        expectValues(input.segmentSum(segments, segmentCount: 5), reference { m in (0..<3).map { c in m.reduce(0) { $0 + $1[c] } } })
        expectClose(input.segmentMean(segments, segmentCount: 5), reference { m in (0..<3).map { c in m.reduce(0) { $0 + $1[c] } / Float(m.count) } }.map(Double.init), "segment mean")
        expectValues(input.segmentMax(segments, segmentCount: 5), reference { m in (0..<3).map { c in m.map { $0[c] }.max()! } })
        let softmax = input.segmentSoftmax(segments, segmentCount: 5).scalars
        for column in 0..<3 {
            for segment in Set(segments) {
                let members = segments.indices.filter { segments[$0] == segment }
                let exponentials = members.map { exp(Double(input[$0, column])) }
                let total = exponentials.reduce(0, +)
                for (member, value) in zip(members, exponentials) {
                    #expect(abs(Double(softmax[member * 3 + column]) - value / total) < 1e-6)
                }
            }
        }
    }

    @Test func softmaxOfLargeScoresStaysFinite() {
        let scores = Tensor([1000, 999, -1000, 5])
        let weights = scores.segmentSoftmax([0, 0, 1, 1], segmentCount: 2).scalars
        #expect(weights.allSatisfy { $0.isFinite })
        #expect(abs(weights[0] + weights[1] - 1) < 1e-6)
    }

    @Test func gradientsAgainstFiniteDifferences() {
        let segments = self.segments
        checkGradient("segmentSum", [input]) { $0[0].segmentSum(segments, segmentCount: 5) }
        checkGradient("segmentMean", [input]) { $0[0].segmentMean(segments, segmentCount: 5) }
        checkGradient("segmentMax", [input]) { $0[0].segmentMax(segments, segmentCount: 5) }
        checkGradient("segmentSoftmax", [input]) { $0[0].segmentSoftmax(segments, segmentCount: 5) }
        checkSecondDerivative("segmentSoftmax", [input]) { $0[0].segmentSoftmax(segments, segmentCount: 5) }
    }
}

