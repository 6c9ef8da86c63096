import Foundation
import Nabla
@testable import NablaRL
import NablaViz
import Testing

/// Every environment draws its state, frames change with the state, and an episode becomes an APNG.
struct RenderingTests {
    @Test func everyEnvironmentDrawsStateDependentFrames() throws {
        for specification in EnvironmentRegistry.all {
            let environment = specification.make()
            _ = environment.reset(generator: RandomGenerator(seed: 4))
            let first = try #require(environment.renderFrame(), "\(specification.name) draws no frame")
            let ink = stride(from: 0, to: first.pixels.count, by: 4).filter { first.pixels[$0] < 250 || first.pixels[$0 + 1] < 250 || first.pixels[$0 + 2] < 250 }.count
            #expect(ink > 100, "\(specification.name): frame is nearly blank (\(ink) drawn pixels)")
            var moved = environment.state
            moved[0] += 0.5
            environment.state = moved
            #expect(environment.renderFrame() != first, "\(specification.name): the frame ignores the state")
        }
    }

    @Test func episodeBecomesAnimatedPNG() throws {
        let recorder = RecordEpisodes(try EnvironmentRegistry.make("CartPole-v1"), keepStates: true)
        _ = recorder.reset(generator: RandomGenerator(seed: 9))
        while !recorder.step(.discrete(1)).done {}
        let animation = try #require(EpisodeAnimation.make(recorder, states: recorder.episodes[0]))
        let bytes = try animation.encode()
        #expect(bytes.count > 1000 && Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    }
}
