import Nabla

/// Cuts a data set into mini-batches for one epoch at a time: optionally in a fresh random order, with
/// transforms applied per batch, prepared on a background thread while the previous batch trains.
///
/// A loader is a `Sequence`; each iteration (each `makeIterator()`) is one epoch. With `shuffle` the
/// order comes from `generator`, so the same seed repeats every epoch of a run exactly, while successive
/// epochs get different orders. Random transforms draw from a generator made for each batch from one
/// number drawn per epoch, so results do not depend on `prefetch` or on thread timing.
///
/// `prefetch` is how many batches may wait ready ahead of the consumer (0 prepares each batch on the
/// calling thread when asked). Leaving a loop early stops and joins the background thread.
///
/// ```swift
/// let generator = RandomGenerator(seed: 42)
/// let loader = DataLoader(training, batchSize: 64, shuffle: true, dropLast: true,
///                         transforms: [RandomHorizontalFlip()], generator: generator)
/// for epoch in 1...10 {
///     for (inputs, labels) in loader {      // inputs 64×1×28×28, labels 64
///         ...
///     }
/// }
/// ```
public final class DataLoader: Sequence {
    public let dataset: any Dataset
    public let batchSize: Int
    public let shuffle: Bool
    /// Whether an incomplete last batch is left out (its examples still appear in other epochs).
    public let dropLast: Bool
    public let transforms: [any BatchTransform]
    public let prefetch: Int
    private let generator: RandomGenerator?

    /// A shuffling loader, or one with random transforms, needs `generator`; that is a programming error
    /// otherwise, stopped with a message.
    public init(_ dataset: any Dataset, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false,
                transforms: [any BatchTransform] = [], prefetch: Int = 2, generator: RandomGenerator? = nil) {
        precondition(batchSize >= 1, "DataLoader: batch size \(batchSize) must be at least 1")
        precondition(prefetch >= 0, "DataLoader: prefetch \(prefetch) must not be negative")
        precondition(generator != nil || !shuffle, "DataLoader: shuffling needs a generator, e.g. generator: RandomGenerator(seed: 0)")
        precondition(generator != nil || !transforms.contains { $0.isRandom },
                     "DataLoader: random transforms need a generator, e.g. generator: RandomGenerator(seed: 0)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.transforms = transforms
        self.prefetch = prefetch
        self.generator = generator
    }

    /// Batches per epoch.
    public var batchCount: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    public var underestimatedCount: Int { batchCount }

    /// Starts an epoch: draws its order and its augmentation seed, and starts prefetching.
    public func makeIterator() -> Iterator {
        var order = Array(0..<dataset.count)
        if shuffle, let generator { order = generator.permutation(dataset.count) }
        let epochSeed = generator?.next() ?? 0
        let plan = EpochPlan(dataset: dataset, order: order, batchSize: batchSize, batchCount: batchCount,
                             transforms: transforms, epochSeed: epochSeed)
        return Iterator(plan: plan, prefetcher: prefetch > 0 && plan.batchCount > 0
                        ? BatchPrefetcher(batchCount: plan.batchCount, depth: prefetch, produce: plan.batch) : nil)
    }

    /// One epoch's batches, in order.
    public struct Iterator: IteratorProtocol {
        private let plan: EpochPlan
        private let prefetcher: BatchPrefetcher<Batch>?
        private var position = 0

        fileprivate init(plan: EpochPlan, prefetcher: BatchPrefetcher<Batch>?) {
            self.plan = plan
            self.prefetcher = prefetcher
        }

        public mutating func next() -> Batch? {
            if let prefetcher { return prefetcher.next() }
            guard position < plan.batchCount else { return nil }
            defer { position += 1 }
            return plan.batch(position)
        }
    }
}

/// Everything needed to make any batch of one epoch, independent of which thread makes it.
private final class EpochPlan {
    let dataset: any Dataset
    let order: [Int]
    let batchSize: Int
    let batchCount: Int
    let transforms: [any BatchTransform]
    let epochSeed: UInt64

    init(dataset: any Dataset, order: [Int], batchSize: Int, batchCount: Int, transforms: [any BatchTransform], epochSeed: UInt64) {
        self.dataset = dataset
        self.order = order
        self.batchSize = batchSize
        self.batchCount = batchCount
        self.transforms = transforms
        self.epochSeed = epochSeed
    }

    func batch(_ index: Int) -> Batch {
        let start = index * batchSize
        let indices = Array(order[start..<min(start + batchSize, order.count)])
        let gathered = dataset.batch(at: indices)
        var inputs = gathered.inputs
        if !transforms.isEmpty {
            // A multiplier unrelated to SplitMix's increment, so neighbouring batches' seeds do not make
            // overlapping SplitMix sequences.
            let generator = RandomGenerator(seed: epochSeed ^ (UInt64(index) &+ 1) &* 0xD1B5_4A32_D192_ED03)
            for transform in transforms { inputs = transform.apply(inputs, generator: generator) }
        }
        return (inputs, gathered.labels)
    }
}
