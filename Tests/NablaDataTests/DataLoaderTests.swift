import Foundation
import Nabla
@testable import NablaData
import Testing

// Serialised: the thread-leak check counts producer threads process-wide, so no other loader test may run meanwhile.
@Suite(.serialized) struct DataLoaderTests {
    func epochs(_ loader: DataLoader, _ count: Int) -> [[[Int]]] {
        (0..<count).map { _ in loader.map(exampleNumbers) }
    }

    @Test func sameSeedSameBatchesAndEachEpochIsAPermutation() {
        let data = numberedDataset(count: 50)
        let first = DataLoader(data, batchSize: 8, shuffle: true, generator: RandomGenerator(seed: 11))
        let second = DataLoader(data, batchSize: 8, shuffle: true, generator: RandomGenerator(seed: 11))
        let firstEpochs = epochs(first, 3), secondEpochs = epochs(second, 3)
        #expect(firstEpochs == secondEpochs)
        for epoch in firstEpochs {
            #expect(epoch.count == 7 && epoch.last?.count == 2)
            #expect(epoch.flatMap { $0 }.sorted() == Array(0..<50))
        }
        #expect(firstEpochs[0] != firstEpochs[1] && firstEpochs[1] != firstEpochs[2])
        let otherSeed = epochs(DataLoader(data, batchSize: 8, shuffle: true, generator: RandomGenerator(seed: 12)), 1)
        #expect(otherSeed[0] != firstEpochs[0])
    }

    @Test func withoutShuffleTheOrderIsTheDataSets() {
        let loader = DataLoader(numberedDataset(count: 7), batchSize: 3)
        #expect(loader.batchCount == 3)
        #expect(epochs(loader, 2) == [[[0, 1, 2], [3, 4, 5], [6]], [[0, 1, 2], [3, 4, 5], [6]]])
        let labels = loader.map(\.labels.scalars)
        #expect(labels == [[0, 1, 2], [0, 1, 2], [0]])
    }

    @Test func dropLastLeavesOutTheIncompleteBatch() {
        let data = numberedDataset(count: 50)
        let loader = DataLoader(data, batchSize: 8, shuffle: true, dropLast: true, generator: RandomGenerator(seed: 1))
        #expect(loader.batchCount == 6)
        let batches = loader.map(exampleNumbers)
        #expect(batches.count == 6 && batches.allSatisfy { $0.count == 8 })
        #expect(Set(batches.flatMap { $0 }).count == 48)
        #expect(DataLoader(numberedDataset(count: 5), batchSize: 8, dropLast: true).map { $0 }.isEmpty)
        #expect(DataLoader(numberedDataset(count: 0), batchSize: 8).map { $0 }.isEmpty)
        #expect(DataLoader(numberedDataset(count: 16), batchSize: 8, dropLast: true).batchCount == 2)
    }

    @Test func prefetchingGivesExactlyTheSameBatches() {
        let data = numberedDataset(count: 64, exampleShape: [1, 6, 6])
        let transforms: [any BatchTransform] = [RandomCrop(padding: 2), RandomHorizontalFlip(), RandomRotation(degrees: 15)]
        func run(prefetch: Int) -> [[Float]] {
            let loader = DataLoader(data, batchSize: 10, shuffle: true, transforms: transforms, prefetch: prefetch,
                                    generator: RandomGenerator(seed: 99))
            return (0..<2).flatMap { _ in loader.map { $0.inputs.scalars + $0.labels.scalars.map(Float.init) } }
        }
        let synchronous = run(prefetch: 0)
        #expect(synchronous.count == 14)
        #expect(run(prefetch: 1) == synchronous)
        #expect(run(prefetch: 4) == synchronous)
    }

    @Test func leavingALoopEarlyStopsTheProducerThread() {
        let data = numberedDataset(count: 1000, exampleShape: [8])
        let loader = DataLoader(data, batchSize: 10, shuffle: true, prefetch: 2, generator: RandomGenerator(seed: 3))
        for _ in 0..<50 {
            for (index, batch) in loader.enumerated() {
                #expect(batch.inputs.shape == [10, 8])
                if index == 1 { break }
            }
        }
        // An epoch started and never read, and one read to the end, also release their threads.
        for _ in 0..<10 { _ = loader.makeIterator() }
        #expect(loader.map { $0 }.count == 100)
        #expect(BatchPrefetcher<Batch>.liveThreadCount == 0)
    }

    @Test func aSlowConsumerIsNotOverrun() {
        // The producer may run at most `prefetch` batches ahead: count how many it has made.
        final class Counting: Dataset, @unchecked Sendable {
            let base = numberedDataset(count: 100)
            let lock = NSLock()
            var made = 0
            var count: Int { base.count }
            var exampleShape: [Int] { base.exampleShape }
            var labels: IntTensor { base.labels }
            func batch(at indices: [Int]) -> Batch {
                lock.lock(); made += 1; lock.unlock()
                return base.batch(at: indices)
            }
            var madeSoFar: Int { lock.lock(); defer { lock.unlock() }; return made }
        }
        let data = Counting()
        var iterator = DataLoader(data, batchSize: 5, prefetch: 3).makeIterator()
        _ = iterator.next()
        usleep(50_000)
        // One consumed, three waiting; the producer must not have made more.
        #expect(data.madeSoFar <= 4)
    }
}
