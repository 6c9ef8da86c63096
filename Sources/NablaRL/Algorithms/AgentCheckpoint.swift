import Foundation
import Nabla
import NablaCheckpoint
import NablaNN
import NablaOptim

/// An agent's whole training state as one `TrainingCheckpoint`: its networks (and DQN's replay memory)
/// as tensors, the optimiser, the agent's generator, and as records the loop's counters, the
/// environments' state and what the caller adds (the run's settings). Restoring it into an agent built
/// with the same algorithm, environment and settings continues the run bit for bit.
public enum AgentCheckpoint {
    /// The checkpoint of `agent` now (between updates).
    public static func make(_ agent: any Agent) throws -> TrainingCheckpoint {
        var checkpoint = try TrainingCheckpoint(model: NamedModules(agent.checkpointModules), optimizer: agent.checkpointOptimizer,
                                                generators: ["agent": agent.generator])
        try saveRecords(of: agent, into: &checkpoint)
        return checkpoint
    }

    /// Puts `checkpoint` into `agent`; throws `CheckpointError` or `EnvironmentStateError` when it does not fit.
    public static func restore(_ agent: any Agent, from checkpoint: TrainingCheckpoint, file: String? = nil) throws {
        try checkpoint.restore(model: NamedModules(agent.checkpointModules), optimizer: agent.checkpointOptimizer,
                               generators: ["agent": agent.generator], file: file)
        try restoreRecords(of: agent, from: checkpoint)
    }

    /// The counters and environment state, for a caller (a lab's task) whose trainer saves the tensors.
    public static func saveRecords(of agent: any Agent, into checkpoint: inout TrainingCheckpoint) throws {
        try checkpoint.setRecord(agent.counters, forKey: "agent.counters")
        try checkpoint.setRecord(agent.environments.savedState, forKey: "agent.environments")
    }

    public static func restoreRecords(of agent: any Agent, from checkpoint: TrainingCheckpoint) throws {
        guard let counters = try checkpoint.record([String: Int].self, forKey: "agent.counters"),
              let environments = try checkpoint.record(VectorEnvironmentState.self, forKey: "agent.environments") else {
            throw CheckpointError(file: nil, "holds no agent counters or environment state; it was not written by a reinforcement-learning run")
        }
        try agent.environments.restore(environments)
        agent.counters = counters
    }
}

/// Modules gathered under names, so one checkpoint holds several (keys `<name>.<PyTorch key>`).
final class NamedModules: Module {
    let members: [String: Module]

    init(_ members: KeyValuePairs<String, Module>) {
        self.members = Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) })
        super.init()
    }
}
