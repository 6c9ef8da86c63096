import Nabla
@testable import NablaData
import Testing

/// A data set whose example `i` has every feature equal to `i`, so a batch shows which examples it holds.
func numberedDataset(count: Int, exampleShape: [Int] = [2, 3], classes: Int = 3) -> TensorDataset {
    let size = exampleShape.reduce(1, *)
    let features = Tensor((0..<count * size).map { Float($0 / size) }, shape: [count] + exampleShape)
    return TensorDataset(features: features, labels: IntTensor((0..<count).map { $0 % classes }))
}

/// The example numbers in a batch of a numbered data set.
func exampleNumbers(_ batch: Batch) -> [Int] {
    let size = batch.inputs.count / max(batch.inputs.shape[0], 1)
    return stride(from: 0, to: batch.inputs.count, by: max(size, 1)).map { Int(batch.inputs.scalars[$0]) }
}

@Suite struct DatasetTests {
    @Test func batchesGatherTheRequestedRows() throws {
        let data = numberedDataset(count: 10)
        #expect(data.count == 10 && data.exampleShape == [2, 3])
        let batch = data.batch(at: [7, 2, 7, 0])
        #expect(batch.inputs.shape == [4, 2, 3])
        #expect(exampleNumbers(batch) == [7, 2, 7, 0])
        #expect(batch.inputs.scalars.prefix(6).allSatisfy { $0 == 7 })
        #expect(batch.labels.scalars == [1, 2, 1, 0])
        #expect(data.batch(at: []).inputs.shape == [0, 2, 3])
        #expect(exampleNumbers(try data.all()) == Array(0..<10))
        #expect(data.examplesPerClass(classCount: 3) == [4, 3, 3])
    }

    @Test func featuresAreCopiedFromViewsOnce() {
        // A transposed (non-contiguous) tensor still gathers the logical rows.
        let features = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).transposed()   // rows [1,4], [2,5], [3,6]
        let data = TensorDataset(features: features, labels: IntTensor([0, 1, 2]))
        #expect(data.batch(at: [2, 0]).inputs.scalars == [3, 6, 1, 4])
    }

    @Test func subsetsMapIndicesToTheBase() {
        let subset = DatasetSubset(base: numberedDataset(count: 10), indices: [9, 4, 5])
        #expect(subset.count == 3 && subset.exampleShape == [2, 3])
        #expect(subset.labels.scalars == [0, 1, 2])
        #expect(exampleNumbers(subset.batch(at: [2, 0])) == [5, 9])
    }

    @Test func splitsAreDisjointCompleteAndRepeatable() throws {
        let data = numberedDataset(count: 103)
        for size in [ValidationSize.fraction(0.2), .count(21)] {
            let (training, validation) = try data.split(validation: size, generator: RandomGenerator(seed: 1))
            #expect(validation.count == 21 && training.count == 82)
            #expect(Set(training.indices).isDisjoint(with: validation.indices))
            #expect(Set(training.indices + validation.indices) == Set(0..<103))
            #expect(training.indices == training.indices.sorted())
            let again = try data.split(validation: size, generator: RandomGenerator(seed: 1))
            #expect(again.validation.indices == validation.indices)
        }
        let other = try data.split(validation: .fraction(0.2), generator: RandomGenerator(seed: 2))
        let first = try data.split(validation: .fraction(0.2), generator: RandomGenerator(seed: 1))
        #expect(other.validation.indices != first.validation.indices)
        #expect(try data.split(validation: .fraction(0), generator: RandomGenerator(seed: 1)).validation.count == 0)
        #expect(try data.split(validation: .fraction(1), generator: RandomGenerator(seed: 1)).training.count == 0)
    }

    @Test func stratifiedSplitsKeepClassShares() throws {
        // 60 of class 0, 30 of class 1, 10 of class 2.
        let labels = (0..<100).map { $0 < 60 ? 0 : $0 < 90 ? 1 : 2 }
        let data = TensorDataset(features: Tensor.zeros([100, 1]), labels: IntTensor(labels))
        let (training, validation) = try data.split(validation: .fraction(0.2), stratified: true, generator: RandomGenerator(seed: 3))
        #expect(validation.examplesPerClass(classCount: 3) == [12, 6, 2])
        #expect(training.examplesPerClass(classCount: 3) == [48, 24, 8])
        #expect(Set(training.indices).isDisjoint(with: validation.indices))
        // Rounding leftovers go to the largest remainders; the total is still exact.
        let odd = try data.split(validation: .count(7), stratified: true, generator: RandomGenerator(seed: 3))
        #expect(odd.validation.count == 7)
        #expect(odd.validation.examplesPerClass(classCount: 3) == [4, 2, 1])
    }

    @Test func impossibleSplitSizesAreErrors() {
        let data = numberedDataset(count: 10)
        expectDataError(.invalidRequest, containing: ["1.5"]) { try data.split(validation: .fraction(1.5), generator: RandomGenerator(seed: 0)) }
        expectDataError(.invalidRequest, containing: ["11", "0...10"]) { try data.split(validation: .count(11), generator: RandomGenerator(seed: 0)) }
        expectDataError(.invalidRequest) { try data.split(validation: .count(-1), generator: RandomGenerator(seed: 0)) }
    }
}
