import Nabla

/// Cuts any `ExampleSource` into batches for one epoch at a time, like `DataLoader` does for labelled
/// images: optionally in a fresh random order from `generator`, with an optional random transform per
/// batch, prepared on a background thread while the previous batch trains.
///
/// The transform gets a generator made for each batch from one number drawn per epoch (as
/// `DataLoader`'s transforms), so results depend neither on `prefetch` nor on thread timing, and a
/// trainer that rewinds `generator` to an epoch's start gets the same batches again.
///
/// ```swift
/// let pairs = PairedDataset(UnlabelledDataset(features: noisy), UnlabelledDataset(features: clean))
/// let loader = BatchLoader(pairs, batchSize: 32, shuffle: true, generator: RandomGenerator(seed: 0))
/// for (inputs, targets) in loader { ... }
/// ```
public final class BatchLoader<Source: ExampleSource>: Sequence {
    public let source: Source
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let prefetch: Int
    private let transform: ((Source.Batch, RandomGenerator) -> Source.Batch)?
    private let generator: RandomGenerator?

    public init(_ source: Source, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false, prefetch: Int = 2,
                generator: RandomGenerator? = nil, transform: ((Source.Batch, RandomGenerator) -> Source.Batch)? = nil) {
        precondition(batchSize >= 1, "BatchLoader: batch size \(batchSize) must be at least 1")
        precondition(prefetch >= 0, "BatchLoader: prefetch \(prefetch) must not be negative")
        precondition(generator != nil || (!shuffle && transform == nil),
                     "BatchLoader: shuffling and random transforms need a generator, e.g. generator: RandomGenerator(seed: 0)")
        self.source = source
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.generator = generator
        self.transform = transform
    }

    /// Batches per epoch.
    public var batchCount: Int { dropLast ? source.count / batchSize : (source.count + batchSize - 1) / batchSize }

    public var underestimatedCount: Int { batchCount }

    /// Starts an epoch: draws its order and its transform seed, and starts prefetching.
    public func makeIterator() -> Iterator {
        let order = shuffle && generator != nil ? generator!.permutation(source.count) : Array(0..<source.count)
        let epochSeed = generator?.next() ?? 0
        let (source, batchSize, transform) = (self.source, self.batchSize, self.transform)
        let produce: (Int) -> Source.Batch = { index in
            let start = index * batchSize
            let batch = source.batch(at: Array(order[start..<Swift.min(start + batchSize, order.count)]))
            guard let transform else { return batch }
            return transform(batch, RandomGenerator(seed: epochSeed ^ (UInt64(index) &+ 1) &* 0xD1B5_4A32_D192_ED03))
        }
        let count = batchCount
        return Iterator(count: count, produce: produce,
                        prefetcher: prefetch > 0 && count > 0 ? BatchPrefetcher(batchCount: count, depth: prefetch, produce: produce) : nil)
    }

    /// One epoch's batches, in order.
    public struct Iterator: IteratorProtocol {
        private let count: Int
        private let produce: (Int) -> Source.Batch
        private let prefetcher: BatchPrefetcher<Source.Batch>?
        private var position = 0

        fileprivate init(count: Int, produce: @escaping (Int) -> Source.Batch, prefetcher: BatchPrefetcher<Source.Batch>?) {
            self.count = count
            self.produce = produce
            self.prefetcher = prefetcher
        }

        public mutating func next() -> Source.Batch? {
            if let prefetcher { return prefetcher.next() }
            guard position < count else { return nil }
            defer { position += 1 }
            return produce(position)
        }
    }
}
