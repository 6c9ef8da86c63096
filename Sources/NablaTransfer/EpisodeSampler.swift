import Nabla

/// Draws N-way K-shot episodes from a labelled set: N classes picked at random, K support and Q query
/// examples of each, the classes renumbered 0..<N in the order drawn (as learn2learn's task transforms
/// and the prototypical-networks paper do).
///
/// ```swift
/// let sampler = try EpisodeSampler(labels: labels, ways: 5, shots: 1, queries: 15)
/// let episode = sampler.sample(generator: generator)
/// episode.support.count   // 5 × 1, episode.query.count   // 5 × 15
/// ```
public struct EpisodeSampler: Sendable {
    /// One episode: example indices into the labelled set with their episode labels (0..<ways).
    public struct Episode: Sendable, Equatable {
        /// The original class of each episode label.
        public let classes: [Int]
        public let support: [Int]
        public let supportLabels: [Int]
        public let query: [Int]
        public let queryLabels: [Int]
    }

    public let ways: Int
    public let shots: Int
    public let queries: Int
    /// The example indices of each class with at least `shots + queries` examples, by class.
    public let examplesByClass: [Int: [Int]]
    private let eligibleClasses: [Int]

    /// Throws `TransferError` when fewer than `ways` classes have `shots + queries` examples each.
    public init(labels: [Int], ways: Int, shots: Int, queries: Int) throws {
        guard ways >= 1, shots >= 1, queries >= 0 else {
            throw TransferError("episode sampler: ways (\(ways)) and shots (\(shots)) must be at least 1 and queries (\(queries)) at least 0")
        }
        var byClass: [Int: [Int]] = [:]
        for (index, label) in labels.enumerated() { byClass[label, default: []].append(index) }
        guard ways <= byClass.count else {
            throw TransferError("episode sampler: \(ways)-way episodes need \(ways) classes, but the data has \(byClass.count); "
                                + "ask for at most \(byClass.count) ways")
        }
        let needed = shots + queries
        let eligible = byClass.keys.sorted().filter { byClass[$0]!.count >= needed }
        guard eligible.count >= ways else {
            let largest = byClass.values.map(\.count).sorted(by: >)[ways - 1]
            throw TransferError("episode sampler: \(shots)-shot episodes with \(queries) queries need \(needed) examples in each of \(ways) classes, "
                                + "but only \(eligible.count) classes have that many; the \(ways) largest classes allow at most "
                                + "\(largest) examples (shots + queries ≤ \(largest))")
        }
        self.ways = ways
        self.shots = shots
        self.queries = queries
        self.examplesByClass = byClass.filter { $0.value.count >= needed }
        self.eligibleClasses = eligible
    }

    /// One episode, every choice from `generator`.
    public func sample(generator: RandomGenerator) -> Episode {
        let classes = generator.permutation(eligibleClasses.count).prefix(ways).map { eligibleClasses[$0] }
        var support: [Int] = [], supportLabels: [Int] = [], query: [Int] = [], queryLabels: [Int] = []
        for (label, original) in classes.enumerated() {
            let examples = examplesByClass[original]!
            let picked = generator.permutation(examples.count).prefix(shots + queries).map { examples[$0] }
            support += picked.prefix(shots)
            supportLabels += [Int](repeating: label, count: shots)
            query += picked.dropFirst(shots)
            queryLabels += [Int](repeating: label, count: queries)
        }
        return Episode(classes: classes, support: support, supportLabels: supportLabels, query: query, queryLabels: queryLabels)
    }
}
