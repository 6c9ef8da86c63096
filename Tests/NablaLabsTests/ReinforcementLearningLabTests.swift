import Foundation
import Nabla
import NablaCheckpoint
import NablaRL
import Testing
@testable import NablaLabs

/// The cartpole, dqn and policy-gradient labs: tiny runs go through every part, and a run stopped inside a later stage
/// and resumed ends with the same parameters, replay memory and headline, bit for bit, as a whole run.
@Suite struct ReinforcementLearningLabTests {
    static func run(_ lab: any Lab, _ folder: URL, stop: Int? = nil, resume: Bool = false, extra: [String] = []) throws -> LabRunSummary {
        var options = LabRunOptions()
        options.quick = true
        options.overrides = resume ? [] : lab.tinySettings + extra
        if resume { options.resume = folder.path } else { options.output = folder.path }
        options.stopAfterSteps = stop
        return try LabRunner.run(lab, options: options)
    }

    static func checkpoints(_ folder: URL) throws -> [String: [UInt32]] {
        var all: [String: [UInt32]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasPrefix("checkpoint") {
            for (key, tensor) in try TrainingCheckpoint.read(folder.appendingPathComponent(name).path).model {
                all[name + ":" + key] = tensor.scalars.map(\.bitPattern)
            }
        }
        return all
    }

    @Test func cartPoleStoppedAndResumedMatchesAWholeRun() throws { try Self.checkResume(CartPoleLab()) }

    @Test func dqnStoppedAndResumedMatchesAWholeRun() throws { try Self.checkResume(DQNLab()) }

    /// LunarLander's Box2D worlds are rebuilt from their recipe states on resume.
    @Test func policyGradientStoppedAndResumedMatchesAWholeRun() throws { try Self.checkResume(PolicyGradientLab()) }

    static func checkResume(_ lab: any Lab) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-\(lab.name)-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = try Self.run(lab, root.appendingPathComponent("whole"))
        #expect(!whole.result.isInterrupted && whole.result.headline.isFinite)
        #expect(!whole.result.sections.isEmpty)
        // Tiny: chunks of 150 steps, two or four per stage; step 3 lies in the second stage.
        let stopped = try Self.run(lab, root.appendingPathComponent("resumed"), stop: 3)
        #expect(stopped.result.isInterrupted)
        let resumed = try Self.run(lab, root.appendingPathComponent("resumed"), resume: true)
        let wholeCheckpoints = try Self.checkpoints(whole.folder)
        #expect(wholeCheckpoints.count > 0)
        #expect(try Self.checkpoints(resumed.folder) == wholeCheckpoints)
        #expect(resumed.result.headline.bitPattern == whole.result.headline.bitPattern)
    }

    /// PPO stops only between rollouts, so its epochs are whole rollouts and each one trains.
    @Test func epochsCoverTheBudgetInWholeRollouts() throws {
        let agent = try Algorithms.make("ppo", environment: EnvironmentRegistry.specification(named: "CartPole-v1"),
                                        settings: ["n_envs=2", "n_steps=8", "batch_size=16", "epochs=1"], seed: 0)
        let task = AgentTrainingTask(agent: agent, totalSteps: 40, chunk: 10)
        #expect(task.chunk == 16 && task.plannedSteps == 48 && task.epochs == 3)
        #expect(task.roundingNote?.contains("48") == true)
        for epoch in 1...task.epochs {
            _ = try task.trainStep(epoch)
            #expect(agent.steps == 16 * epoch)
        }
        #expect(task.finishedEarly != nil)
    }

    @Test func unknownAlgorithmsAndVariantsNameTheSetting() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-rl-labs-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect { try Self.run(CartPoleLab(), root.appendingPathComponent("a"), extra: ["algorithms=ppo,sarsa"]) } throws: {
            "\($0)".contains("'algorithms'") && "\($0)".contains("sarsa")
        }
        #expect { try Self.run(DQNLab(), root.appendingPathComponent("b"), extra: ["variants=triple"]) } throws: {
            "\($0)".contains("'variants'") && "\($0)".contains("triple")
        }
    }
}
