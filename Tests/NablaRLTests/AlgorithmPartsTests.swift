import Foundation
import Nabla
@testable import NablaRL
import Testing

/// Returns, advantages, the ε schedule and the replay buffer against values worked by hand.
struct AlgorithmPartsTests {
    @Test func rewardToGoRestartsAtEpisodeEnds() {
        let returns = Returns.rewardToGo(rewards: [1, 1, 1, 1, 1], episodeEnds: [false, false, true, false, false], discount: 0.5)
        #expect(returns == [1.75, 1.5, 1, 1.5, 1])
    }

    @Test func advantagesBootstrapTruncationButNotTermination() {
        // Step 0 terminates; step 1 is truncated (its next value 10 still counts); step 2 continues into step 3.
        let result = Returns.generalizedAdvantages(rewards: [1, 1, 1, 1], values: [2, 2, 2, 2], nextValues: [5, 10, 2, 4],
                                                   terminated: [true, false, false, false], episodeEnds: [true, true, false, false],
                                                   discount: 0.9, lambda: 0.8)
        let delta3 = 1 + 0.9 * 4 - 2.0, delta2 = 1 + 0.9 * 2 - 2.0
        let expected = [1 - 2.0, 1 + 0.9 * 10 - 2.0, delta2 + 0.9 * 0.8 * delta3, delta3]
        for (value, wanted) in zip(result.advantages, expected) { #expect(abs(value - wanted) < 1e-12) }
        #expect(result.targets == zip(result.advantages, [2.0, 2, 2, 2]).map { $0 + $1 })
        // With λ = 1 and no value function the advantages are the discounted returns.
        let plain = Returns.generalizedAdvantages(rewards: [1, 1, 1], values: [0, 0, 0], nextValues: [0, 0, 0],
                                                  terminated: [false, false, true], episodeEnds: [false, false, true], discount: 0.5, lambda: 1)
        #expect(plain.advantages == Returns.rewardToGo(rewards: [1, 1, 1], episodeEnds: [false, false, true], discount: 0.5))
    }

    @Test func normalisedValuesHaveZeroMeanUnitSpread() {
        let values = Returns.normalized([1, 2, 3, 4])
        #expect(abs(values.reduce(0, +)) < 1e-12)
        #expect(abs(values.map { $0 * $0 }.reduce(0, +) / 4 - 1) < 1e-6)
        #expect(Returns.normalized([3, 3]) == [0, 0])
    }

    @Test func epsilonFallsLinearlyThenHolds() {
        let schedule = LinearSchedule(start: 1, end: 0.05, fraction: 0.1)
        #expect(schedule.value(progress: 0) == 1)
        #expect(abs(schedule.value(progress: 0.05) - 0.525) < 1e-12)
        #expect(schedule.value(progress: 0.5) == 0.05)
    }

    @Test func replayBufferKeepsTheLatestAndSamplesStoredRows() {
        let buffer = ReplayBuffer(capacity: 3, observationDimension: 2)
        for step in 0..<5 {
            let value = Float(step)
            buffer.add(observation: [value, -value][...], action: step % 2, reward: Double(step), next: [value + 1, -value - 1], terminated: step == 4)
        }
        #expect(buffer.count == 3)
        let batch = buffer.sample(200, generator: RandomGenerator(seed: 1))
        #expect(Set(batch.rewards) == [2, 3, 4], "only the three latest transitions remain")
        for row in 0..<200 {
            let observed = batch.observations[row * 2]
            #expect(batch.rewards[row] == observed && batch.nextObservations[row * 2] == observed + 1 && batch.observations[row * 2 + 1] == -observed)
            #expect(batch.actions[row] == Int(observed) % 2 && batch.terminated[row] == (observed == 4 ? 1 : 0))
        }
    }
}
