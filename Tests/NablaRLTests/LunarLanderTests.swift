import Foundation
import Nabla
@testable import NablaRL
import NablaViz
import Testing

/// LunarLander on its own: spaces, the recipe state that rebuilds an episode exactly, Gymnasium's
/// termination rules, and its frame.
struct LunarLanderTests {
    @Test func spacesAndRegistryFollowGymnasium() throws {
        let discrete = try EnvironmentRegistry.specification(named: "LunarLander-v3")
        #expect(discrete.maximumEpisodeSteps == 1000 && discrete.rewardThreshold == 200)
        let environment = discrete.make()
        #expect(environment.actionSpace == .discrete(count: 4) && environment.observationSpace.dimension == 8)
        let continuous = try EnvironmentRegistry.make("LunarLanderContinuous-v3")
        #expect(continuous.actionSpace == .box(low: [-1, -1], high: [1, 1]))
        #expect(Box2DWorld.version.hasPrefix("2.4"))
    }

    /// Setting `state` rebuilds the world and replays the steps: the copy then continues bit for bit.
    @Test func stateRebuildsTheEpisodeExactly() {
        let original = LunarLander(), generator = RandomGenerator(seed: 7)
        var observation = original.reset(generator: generator)
        for step in 0..<120 {
            observation = original.step(LunarLanderGymnasiumTests.heuristic(observation, continuous: false)).observation
            if step % 7 == 0 { _ = original.step(.discrete(step % 4)) }
        }
        let copy = LunarLander()
        copy.state = original.state
        #expect(copy.observation == original.observation)
        // Both continue with the same dispersion draws.
        let twin = RandomGenerator(seed: 0)
        twin.state = generator.state
        copy.reseat(generator: twin)
        for _ in 0..<60 {
            let action = LunarLanderGymnasiumTests.heuristic(original.observation, continuous: false)
            let a = original.step(action), b = copy.step(action)
            #expect(a.observation == b.observation && a.reward == b.reward && a.terminated == b.terminated)
        }
        #expect(original.accepts(savedState: original.state) && !original.accepts(savedState: [1, 2, 3]))
    }

    /// Falling with the engines off ends in a crash (-100); the heuristic pilot lands and comes to rest (+100).
    @Test func crashAndLandingEndAsGymnasiumSays() {
        let falling = LunarLander()
        _ = falling.reset(generator: RandomGenerator(seed: 3))
        var last = Transition(observation: [], reward: 0, terminated: false, truncated: false)
        for _ in 0..<1000 where !last.terminated { last = falling.step(.discrete(0)) }
        #expect(last.terminated && last.reward == -100)

        var landed = 0
        for seed in UInt64(10)..<UInt64(14) {
            let environment = LunarLander()
            var observation = environment.reset(generator: RandomGenerator(seed: seed))
            var total = 0.0, transition = last
            for _ in 0..<1000 {
                transition = environment.step(LunarLanderGymnasiumTests.heuristic(observation, continuous: false))
                observation = transition.observation
                total += transition.reward
                if transition.terminated { break }
            }
            if transition.reward == 100 && total > 100 { landed += 1 }
        }
        #expect(landed >= 3, "the heuristic pilot landed \(landed) of 4 times")
    }

    @Test func frameDrawsTheLanderWhereItIs() throws {
        let environment = LunarLander()
        _ = environment.reset(generator: RandomGenerator(seed: 1))
        let first = try #require(environment.renderFrame())
        #expect(first.width == 300 && first.height == 200)
        for _ in 0..<20 { _ = environment.step(.discrete(0)) }
        #expect(environment.renderFrame() != first)
        #expect(environment.frameState.count == LunarLander.chunks + 9)
    }
}
