import ArgumentParser
import Foundation
@testable import nabla
import Testing

/// `nabla rl animate`'s checks and output: unknown environments and bad options end in messages naming
/// them; a good call writes an animated PNG.
@Suite struct RLCommandTests {
    func refusal(_ arguments: [String]) -> String? {
        do {
            try RLAnimateCommand.parse(arguments).run()
            return nil
        } catch {
            return RLAnimateCommand.message(for: error)
        }
    }

    @Test func refusesUnknownEnvironmentsBadStridesAndUnwritableOutputs() {
        #expect(refusal(["LunarLander-v9"])?.contains("unknown environment 'LunarLander-v9'") == true)
        #expect(refusal(["CartPole-v1", "--every", "0"])?.contains("--every must lie in 1...1000") == true)
        #expect(refusal(["CartPole-v1", "--output", "/nonexistent-folder/episode.png"])?.contains("choose a writable --output") == true)
    }

    @Test func writesAnAnimatedPNG() throws {
        let path = NSTemporaryDirectory() + "nabla-rl-animate-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(refusal(["cartpole-v1", "--seed", "3", "--output", path]) == nil)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.count > 1000 && bytes.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
    }
}
