import Foundation
import Nabla
@testable import NablaRL
import Testing

/// Time limits, the registry, seeding, vectorised copies and wrappers.
struct EnvironmentTests {
    @Test func registryHasGymnasiumLimitsAndRefusesUnknownNames() throws {
        let cartPole = try EnvironmentRegistry.specification(named: "cartpole-v1")
        #expect(cartPole.name == "CartPole-v1" && cartPole.maximumEpisodeSteps == 500 && cartPole.rewardThreshold == 475)
        #expect(try EnvironmentRegistry.specification(named: "Pendulum-v1").rewardThreshold == nil)
        #expect(throws: UnknownEnvironment.self) { try EnvironmentRegistry.make("LunarLander-v9") }
        let message = "\(UnknownEnvironment(name: "Nope-v0"))"
        #expect(message.contains("Nope-v0") && message.contains("CartPole-v1") && message.contains("nabla rl envs"))
    }

    @Test func spacesMatchGymnasium() throws {
        #expect(try EnvironmentRegistry.make("CartPole-v1").actionSpace == .discrete(count: 2))
        #expect(try EnvironmentRegistry.make("Acrobot-v1").observationSpace.dimension == 6)
        #expect(try EnvironmentRegistry.make("MountainCar-v0").actionSpace == .discrete(count: 3))
        #expect(try EnvironmentRegistry.make("MountainCarContinuous-v0").actionSpace == .box(low: [-1], high: [1]))
        #expect(try EnvironmentRegistry.make("Pendulum-v1").actionSpace == .box(low: [-2], high: [2]))
        #expect("\(Space.box(low: [-1, -.infinity], high: [1, .infinity]))" == "Box(2: [-1, 1] [-inf, inf])")
    }

    @Test func timeLimitTruncatesWithoutTerminating() throws {
        let pendulum = try EnvironmentRegistry.make("Pendulum-v1")
        _ = pendulum.reset(generator: RandomGenerator(seed: 1))
        var steps = 0
        var last = Transition(observation: [], reward: 0, terminated: false, truncated: false)
        while !last.done {
            last = pendulum.step(.continuous([0]))
            steps += 1
        }
        #expect(steps == 200 && last.truncated && !last.terminated)
    }

    @Test func sameSeedSameStartStatesAndResetBounds() throws {
        let first = CartPole(), second = CartPole()
        #expect(first.reset(generator: RandomGenerator(seed: 7)) == second.reset(generator: RandomGenerator(seed: 7)))
        let generator = RandomGenerator(seed: 3)
        for _ in 0..<100 {
            #expect(first.reset(generator: generator).allSatisfy { abs($0) < 0.05 })
            let car = MountainCar()
            _ = car.reset(generator: generator)
            #expect(car.state[0] >= -0.6 && car.state[0] < -0.4 && car.state[1] == 0)
        }
    }

    @Test func vectorEnvironmentResetsFinishedCopiesAndKeepsTheirLastObservation() throws {
        let vector = VectorEnvironment(count: 3, seed: 5) { TimeLimit(CartPole(), maximumSteps: 500) }
        #expect(vector.observations.count == 12)
        var finishedAt: Int?
        for step in 0..<200 where finishedAt == nil {
            // Always pushing right topples every pole within a few dozen steps.
            let result = vector.step(Array(repeating: .discrete(1), count: 3))
            if let index = result.terminated.firstIndex(of: true) {
                finishedAt = step
                let final = try #require(vector.finalObservations[index])
                #expect(abs(final[2]) > Float(CartPole.thetaThreshold) || abs(final[0]) > 2.4)
                // The copy's new observation is a fresh start state.
                #expect((0..<4).allSatisfy { abs(vector.observations[index * 4 + $0]) < 0.05 })
                #expect(vector.episodeLengths[index] == 0 && vector.finishedReturns.last == Double(step + 1))
            }
        }
        #expect(finishedAt != nil)
    }

    @Test func observationNormalisationStandardisesAndRewardNormalisationScales() throws {
        let normalised = NormalizeObservation(TimeLimit(MountainCar(), maximumSteps: 200))
        let generator = RandomGenerator(seed: 11)
        _ = normalised.reset(generator: generator)
        var seen: [[Float]] = []
        for step in 0..<2000 {
            let transition = normalised.step(.discrete(step % 40 < 20 ? 2 : 0))
            seen.append(transition.observation)
            if transition.done { _ = normalised.reset(generator: generator) }
        }
        let late = seen.suffix(1000)
        let mean = late.map { Double($0[0]) }.reduce(0, +) / Double(late.count)
        #expect(abs(mean) < 0.5, "normalised positions should centre near 0, mean \(mean)")

        let scaled = NormalizeReward(TimeLimit(CartPole(), maximumSteps: 500))
        _ = scaled.reset(generator: generator)
        var rewards: [Double] = []
        for _ in 0..<300 {
            let transition = scaled.step(.discrete(Int(generator.next() % 2)))
            rewards.append(transition.reward)
            if transition.done { _ = scaled.reset(generator: generator) }
        }
        #expect(rewards.last! < 1 && rewards.last! > 0, "rewards of 1 are divided by the return's spread")
    }

    @Test func recordingKeepsReturnsLengthsAndStates() throws {
        let recorder = RecordEpisodes(TimeLimit(MountainCar(), maximumSteps: 200), keepStates: true)
        _ = recorder.reset(generator: RandomGenerator(seed: 2))
        while !recorder.step(.discrete(1)).done {}
        #expect(recorder.returns == [-200] && recorder.lengths == [200] && recorder.episodes[0].count == 201)
    }
}
