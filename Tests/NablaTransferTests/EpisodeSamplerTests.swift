import Nabla
import NablaTransfer
import Testing

@Suite struct EpisodeSamplerTests {
    /// Ten classes of 20 examples, except class 3 with 5, shuffled.
    let labels: [Int] = {
        let ordered = (0..<10).flatMap { label in [Int](repeating: label, count: label == 3 ? 5 : 20) }
        return RandomGenerator(seed: 1).permutation(ordered.count).map { ordered[$0] }
    }()

    @Test func episodesHaveTheirWaysShotsAndQueries() throws {
        let sampler = try EpisodeSampler(labels: labels, ways: 5, shots: 3, queries: 4)
        let generator = RandomGenerator(seed: 2)
        for _ in 0..<50 {
            let episode = sampler.sample(generator: generator)
            #expect(episode.classes.count == 5 && Set(episode.classes).count == 5)
            #expect(!episode.classes.contains(3), "class 3 has 5 examples, fewer than 3 shots + 4 queries")
            #expect(episode.support.count == 15 && episode.query.count == 20)
            for label in 0..<5 {
                #expect(episode.supportLabels.filter { $0 == label }.count == 3)
                #expect(episode.queryLabels.filter { $0 == label }.count == 4)
            }
            #expect(Set(episode.support).isDisjoint(with: episode.query) && Set(episode.support + episode.query).count == 35)
            for (index, label) in zip(episode.support + episode.query, episode.supportLabels + episode.queryLabels) {
                #expect(labels[index] == episode.classes[label])
            }
        }
        #expect(sampler.sample(generator: RandomGenerator(seed: 5)) == sampler.sample(generator: RandomGenerator(seed: 5)))
    }

    @Test func impossibleEpisodesAreErrorsSayingWhatTheDataAllows() {
        let tooManyWays = #expect(throws: TransferError.self) { try EpisodeSampler(labels: labels, ways: 11, shots: 1, queries: 1) }
        #expect(tooManyWays?.description.contains("has 10") == true, "\(String(describing: tooManyWays))")
        let tooManyShots = #expect(throws: TransferError.self) { try EpisodeSampler(labels: labels, ways: 5, shots: 25, queries: 1) }
        #expect(tooManyShots?.description.contains("at most 20") == true, "\(String(describing: tooManyShots))")
        // Ten classes, but only nine with 19 + 1 examples.
        let oneShort = #expect(throws: TransferError.self) { try EpisodeSampler(labels: labels, ways: 10, shots: 19, queries: 1) }
        #expect(oneShort?.description.contains("only 9 classes") == true, "\(String(describing: oneShort))")
        #expect(throws: TransferError.self) { try EpisodeSampler(labels: labels, ways: 5, shots: 0, queries: 1) }
    }
}
