import Foundation
import Nabla
import NablaCheckpoint
import NablaNN
import NablaOptim
import NablaRL
import NablaTrain
import NablaViz

/// A reinforcement-learning agent trained by the labs' trainer: one "epoch" is `chunk` environment steps
/// (one batch), so progress, metrics, checkpoints and resume work as for every other lab. The agent's
/// networks, optimiser and generator go into the trainer's checkpoint; the environments' state, the
/// loop's counters and the return curve go in as records.
///
/// An agent stops only between updates, so the budget is spent in whole updates: where their size is
/// fixed (A2C's and PPO's rollouts), the chunk is rounded up to whole updates and the epochs cover the
/// budget rounded up to whole updates, so every epoch trains. Where it varies (REINFORCE's episodes), an
/// update may overshoot a chunk; when the budget is spent before the last epoch, the trainer ends the run
/// there and says so (`finishedEarly`).
final class AgentTrainingTask: TrainingTask {
    let agent: any Agent
    /// The step budget as asked for, and as the agent will spend it (rounded up to whole updates).
    let totalSteps: Int, plannedSteps: Int
    /// Environment steps per epoch: as asked, or rounded up to whole updates.
    let chunk: Int, requestedChunk: Int
    /// (steps, mean return of the latest 100 training episodes) after each chunk.
    private(set) var curve: [CurvePoint] = []

    struct CurvePoint: Codable {
        let steps: Int
        let meanReturn: Double?
    }

    init(agent: any Agent, totalSteps: Int, chunk: Int) {
        precondition(totalSteps > 0 && chunk > 0, "AgentTrainingTask: total steps \(totalSteps) and chunk \(chunk) must be positive")
        self.agent = agent
        self.totalSteps = totalSteps
        let update = max(agent.stepsPerUpdate ?? 1, 1)
        requestedChunk = chunk
        self.chunk = (chunk + update - 1) / update * update
        plannedSteps = (totalSteps + update - 1) / update * update
    }

    /// What rounding to whole updates changed, for the log; nil when nothing did.
    var roundingNote: String? {
        guard let update = agent.stepsPerUpdate, update > 1, chunk != requestedChunk || plannedSteps != totalSteps else { return nil }
        return "\(agent.algorithm) updates every \(update) environment steps, so its \(totalSteps)-step budget becomes \(plannedSteps) "
            + "in \(epochs) epochs of \(chunk) steps" + (chunk == requestedChunk ? "" : " (chunk \(requestedChunk) rounded up to whole updates)")
    }

    /// Epochs that cover the planned steps in chunks.
    var epochs: Int { (plannedSteps + chunk - 1) / chunk }

    var models: KeyValuePairs<String, Module> { agent.checkpointModules }
    var optimizers: KeyValuePairs<String, any Optimizer> { ["optimizer": agent.checkpointOptimizer] }
    var generators: KeyValuePairs<String, RandomGenerator> { ["agent": agent.generator] }
    var batchesPerEpoch: Int { 1 }
    func epochBatches(epoch: Int) -> AnyIterator<Int> { AnyIterator([epoch].makeIterator()) }

    func trainStep(_ epoch: Int) throws -> StepResult {
        let before = agent.steps
        // To the next multiple of the chunk (REINFORCE's episodes may overshoot one; the next chunk then ends on time).
        agent.run(totalSteps: totalSteps, stopAfterSteps: min(totalSteps, (agent.steps / chunk + 1) * chunk)) { _ in }
        return StepResult(loss: 0, count: max(agent.steps - before, 1))
    }

    var finishedEarly: String? {
        guard agent.steps >= totalSteps else { return nil }
        return "\(agent.algorithm) has spent its budget of \(totalSteps) environment steps (\(agent.steps) taken: its updates of whole episodes overshoot the \(chunk)-step epochs)"
    }

    /// The mean return of the latest (up to) 100 finished training episodes, nil before any.
    var recentMeanReturn: Double? {
        let recent = agent.environments.finishedReturns.suffix(100)
        return recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
    }

    func evaluate(epoch: Int) throws -> [(key: String, value: Double)] {
        let mean = recentMeanReturn
        curve.append(CurvePoint(steps: agent.steps, meanReturn: mean))
        return [("environment_steps", Double(agent.steps)), ("mean_return", mean ?? .nan), ("episodes", Double(agent.environments.finishedReturns.count))]
    }

    func saveState(into checkpoint: inout TrainingCheckpoint) throws {
        try AgentCheckpoint.saveRecords(of: agent, into: &checkpoint)
        try checkpoint.setRecord(curve, forKey: "curve")
    }

    func restoreState(from checkpoint: TrainingCheckpoint) throws {
        try AgentCheckpoint.restoreRecords(of: agent, from: checkpoint)
        curve = try checkpoint.record([CurvePoint].self, forKey: "curve") ?? []
    }

    /// The first environment step after which the training mean return (latest 100 episodes) reached
    /// `threshold`, at chunk resolution; nil if it never did.
    func stepsToReach(_ threshold: Double) -> Int? {
        curve.first { ($0.meanReturn ?? -.infinity) >= threshold }?.steps
    }

    /// Greedy returns over `episodes` evaluation episodes (start states from `seed`).
    func evaluationReturns(_ specification: EnvironmentSpecification, episodes: Int, seed: UInt64) -> [Double] {
        PolicyEvaluation.returns(specification, episodes: episodes, seed: seed) { .discrete(self.agent.greedyAction($0)) }
    }
}

extension AgentTrainingTask {
    /// One greedy episode of `agent` as animation frames, every `stride`-th state drawn.
    static func episodeFrames(_ agent: any Agent, _ specification: EnvironmentSpecification, seed: UInt64, stride: Int) -> (frames: [Canvas], episodeReturn: Double) {
        let recorder = RecordEpisodes(specification.make(), keepStates: true)
        var observation = recorder.reset(generator: RandomGenerator(seed: seed))
        while true {
            let transition = recorder.step(.discrete(agent.greedyAction(observation)))
            if transition.done { break }
            observation = transition.observation
        }
        guard let drawable = recorder.innermost as? Drawable else { return ([], recorder.returns[0]) }
        let states = recorder.episodes[0]
        let frames = Swift.stride(from: 0, to: states.count, by: max(1, stride)).map { drawable.frame(of: states[$0]) }
        return (frames, recorder.returns[0])
    }
}
