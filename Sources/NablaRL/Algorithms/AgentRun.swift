import Foundation
import Nabla
import NablaCheckpoint

/// What a training run is: algorithm, environment, hyper-parameter overrides, seed and step budget.
/// A run folder keeps it in run.json and in its checkpoint, so `--resume` and `nabla rl play` rebuild
/// the same agent from the folder alone.
public struct AgentRun: Codable, Equatable {
    public var algorithm: String
    public var environment: String
    public var settings: [String]
    public var seed: UInt64
    public var totalSteps: Int

    public init(algorithm: String, environment: String, settings: [String] = [], seed: UInt64, totalSteps: Int) {
        self.algorithm = algorithm
        self.environment = environment
        self.settings = settings
        self.seed = seed
        self.totalSteps = totalSteps
    }

    public static let checkpointFile = "checkpoint.safetensors"

    /// A fresh agent for this run.
    public func makeAgent() throws -> any Agent {
        try Algorithms.make(algorithm, environment: EnvironmentRegistry.specification(named: environment), settings: settings, seed: seed)
    }

    /// Writes `agent`'s checkpoint with this run's description into `folder` (atomically).
    public func writeCheckpoint(_ agent: any Agent, folder: URL) throws {
        var checkpoint = try AgentCheckpoint.make(agent)
        try checkpoint.setRecord(self, forKey: "run")
        try checkpoint.write(to: folder.appendingPathComponent(Self.checkpointFile).path)
    }

    /// The run saved in `folder` and its agent, restored from the checkpoint. Throws `CheckpointError`
    /// (naming the file) when there is none or it does not fit.
    public static func resume(folder: URL) throws -> (run: AgentRun, agent: any Agent) {
        let path = folder.appendingPathComponent(checkpointFile).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError(file: path, "does not exist; give the folder of a `nabla rl train` run")
        }
        let checkpoint = try TrainingCheckpoint.read(path)
        guard let run = try checkpoint.record(AgentRun.self, forKey: "run") else {
            throw CheckpointError(file: path, "holds no run description; it was not written by `nabla rl train`")
        }
        let agent = try run.makeAgent()
        try AgentCheckpoint.restore(agent, from: checkpoint, file: path)
        return (run, agent)
    }
}
