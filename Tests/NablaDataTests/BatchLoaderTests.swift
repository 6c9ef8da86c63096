import Nabla
import Testing
@testable import NablaData

@Suite struct BatchLoaderTests {
    @Test func sequencesArePaddedToTheLongestInTheBatchWithAMask() {
        let data = SequenceDataset(sequences: [[5, 2, 9], [7], [3, 3]], padding: -1)
        let batch = data.batch(at: [1, 0])
        #expect(batch.tokens.shape == [2, 3] && batch.tokens.scalars == [7, -1, -1, 5, 2, 9])
        #expect(batch.mask.scalars == [1, 0, 0, 1, 1, 1])
        #expect(batch.lengths == [1, 3])
    }

    @Test func aShuffledEpochVisitsEveryExampleOnceAndPrefetchingChangesNothing() {
        let features = Tensor((0..<30).map(Float.init), shape: [10, 3])
        let pairs = PairedDataset(UnlabelledDataset(features: features), SequenceDataset(sequences: (0..<10).map { [$0] }))
        func epoch(prefetch: Int) -> [(Tensor, SequenceDataset.Batch)] {
            Array(BatchLoader(pairs, batchSize: 4, shuffle: true, prefetch: prefetch, generator: RandomGenerator(seed: 7)))
        }
        let batches = epoch(prefetch: 2)
        #expect(batches.map { $0.0.shape[0] } == [4, 4, 2])
        let seen = batches.flatMap { $0.1.tokens.scalars }
        #expect(seen.sorted() == Array(0..<10) && seen != Array(0..<10))
        // The pair stays together: row i of the features is example i.
        for (inputs, sequences) in batches {
            #expect(inputs.scalars == sequences.tokens.scalars.flatMap { index in (0..<3).map { Float(index * 3 + $0) } })
        }
        #expect(epoch(prefetch: 0).map { $0.1.tokens.scalars } == batches.map { $0.1.tokens.scalars })
    }

    @Test func aRandomTransformIsRepeatableFromTheGeneratorsState() {
        let data = UnlabelledDataset(features: Tensor.zeros([6, 2]))
        let generator = RandomGenerator(seed: 3)
        let loader = BatchLoader(data, batchSize: 3, dropLast: true, generator: generator) { batch, random in batch + random.normal(batch.shape) }
        let start = generator.state
        let first = loader.map(\.scalars)
        generator.state = start
        #expect(loader.map(\.scalars) == first)
        #expect(loader.batchCount == 2)
    }
}
