import Foundation
import Nabla
@testable import NablaRL
import Testing

/// Checkpoints: every algorithm stopped at a step, saved, restored into a fresh agent and continued ends
/// with the same parameters, bit for bit, as a run that never stopped.
struct ResumeTests {
    static let small = ["hidden_sizes=8,8"]

    static func settings(_ algorithm: String) -> [String] {
        switch algorithm {
        case "dqn": small + ["learning_starts=50", "train_frequency=20", "gradient_steps=3", "batch_size=8", "target_update_interval=30", "double=true"]
        case "ppo": small + ["n_envs=2", "n_steps=16", "batch_size=8", "epochs=2"]
        default: small
        }
    }

    @Test(arguments: Algorithms.names) func stopSaveResumeMatchesAnUnbrokenRun(algorithm: String) throws {
        let run = AgentRun(algorithm: algorithm, environment: "CartPole-v1", settings: Self.settings(algorithm), seed: 11, totalSteps: 400)
        let unbroken = try run.makeAgent()
        unbroken.run(totalSteps: run.totalSteps, stopAfterSteps: nil) { _ in }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-rl-resume-\(algorithm)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try run.makeAgent()
        first.run(totalSteps: run.totalSteps, stopAfterSteps: 170) { _ in }
        #expect(first.steps >= 170 && first.steps < run.totalSteps)
        try run.writeCheckpoint(first, folder: folder)
        let (savedRun, resumed) = try AgentRun.resume(folder: folder)
        #expect(savedRun == run && resumed.steps == first.steps)
        resumed.run(totalSteps: run.totalSteps, stopAfterSteps: nil) { _ in }

        func parameters(_ agent: any Agent) -> [[Float]] { agent.checkpointModules.flatMap { $0.value.parameters().map(\.scalars) } }
        #expect(resumed.steps == unbroken.steps)
        #expect(parameters(resumed) == parameters(unbroken))
        #expect(resumed.environments.finishedReturns == unbroken.environments.finishedReturns)
    }

    @Test func aMissingOrForeignCheckpointIsAClearError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-rl-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = try #require(throws: (any Error).self) { try AgentRun.resume(folder: folder) }
        #expect("\(error)".contains("does not exist"))
    }
}
