import Foundation
import Nabla
import NablaNN
import NablaOptim

/// A learning agent the CLI and the labs drive the same way whatever its algorithm: train for a number
/// of environment steps (stopping early to be resumed), act greedily, report progress.
public protocol Agent: AnyObject {
    /// The algorithm's name on the command line (`ppo`).
    var algorithm: String { get }
    /// Environment steps taken so far.
    var steps: Int { get }
    /// The environment steps of every update when they are fixed (a rollout of `n_envs × n_steps` for
    /// A2C and PPO, one step of every copy for DQN), nil when they vary (REINFORCE's whole episodes).
    /// Training stops only between updates, so a budget is spent in multiples of this.
    var stepsPerUpdate: Int? { get }
    var environments: VectorEnvironment { get }
    /// The deterministic policy's action for one observation (evaluation and `nabla rl play`).
    func greedyAction(_ observation: [Float]) -> Int
    /// Trains until `totalSteps` (schedules run over `totalSteps`), or until `stopAfterSteps` when given,
    /// calling `progress` after each update (or every so many steps).
    func run(totalSteps: Int, stopAfterSteps: Int?, progress: (AgentProgress) -> Void)

    // What a checkpoint saves (see `AgentCheckpoint`), beside the environments' state.
    /// The generator of actions, weights and minibatches.
    var generator: RandomGenerator { get }
    /// Networks (and DQN's target network and replay memory), by name.
    var checkpointModules: KeyValuePairs<String, Module> { get }
    var checkpointOptimizer: any Optimizer { get }
    /// The loop's counters (steps, updates).
    var counters: [String: Int] { get set }
}

/// What an agent reports while it trains: the figures every algorithm has, and its own record as one
/// JSON object (a line of metrics.jsonl).
public struct AgentProgress {
    public var steps: Int
    /// Mean return of the latest (up to) 100 finished training episodes; nil before the first ends.
    public var meanReturn: Double?
    public var episodes: Int
    public var json: Data

    init<Record: Encodable>(steps: Int, meanReturn: Double?, episodes: Int, record: Record) {
        self.steps = steps
        self.meanReturn = meanReturn
        self.episodes = episodes
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        json = (try? encoder.encode(record)) ?? Data()
    }
}

extension PPO: Agent {
    public var checkpointModules: KeyValuePairs<String, Module> { ["model": model] }
    public var checkpointOptimizer: any Optimizer { optimizer }
    public var counters: [String: Int] {
        get { ["steps": steps, "updates": updates] }
        set { steps = newValue["steps"] ?? steps; updates = newValue["updates"] ?? updates }
    }
    public var algorithm: String { "ppo" }
    public var stepsPerUpdate: Int? { configuration.environmentCount * configuration.stepsPerRollout }
    public func greedyAction(_ observation: [Float]) -> Int { model.greedyActions(observation)[0] }
    public func run(totalSteps: Int, stopAfterSteps: Int?, progress: (AgentProgress) -> Void) {
        train(totalSteps: totalSteps, stopAfterSteps: stopAfterSteps) {
            progress(AgentProgress(steps: $0.steps, meanReturn: $0.meanReturn, episodes: $0.episodes, record: $0))
        }
    }
}

extension A2C: Agent {
    public var checkpointModules: KeyValuePairs<String, Module> { ["model": model] }
    public var checkpointOptimizer: any Optimizer { optimizer }
    public var counters: [String: Int] {
        get { ["steps": steps, "updates": updates] }
        set { steps = newValue["steps"] ?? steps; updates = newValue["updates"] ?? updates }
    }
    public var algorithm: String { "a2c" }
    public var stepsPerUpdate: Int? { configuration.environmentCount * configuration.stepsPerRollout }
    public func greedyAction(_ observation: [Float]) -> Int { model.greedyActions(observation)[0] }
    public func run(totalSteps: Int, stopAfterSteps: Int?, progress: (AgentProgress) -> Void) {
        train(totalSteps: totalSteps, stopAfterSteps: stopAfterSteps) {
            progress(AgentProgress(steps: $0.steps, meanReturn: $0.meanReturn, episodes: $0.episodes, record: $0))
        }
    }
}

extension REINFORCE: Agent {
    public var checkpointModules: KeyValuePairs<String, Module> { ["model": model] }
    public var checkpointOptimizer: any Optimizer { optimizer }
    public var counters: [String: Int] {
        get { ["steps": steps, "updates": updates] }
        set { steps = newValue["steps"] ?? steps; updates = newValue["updates"] ?? updates }
    }
    public var algorithm: String { "reinforce" }
    public var stepsPerUpdate: Int? { nil }
    public func greedyAction(_ observation: [Float]) -> Int { model.greedyActions(observation)[0] }
    public func run(totalSteps: Int, stopAfterSteps: Int?, progress: (AgentProgress) -> Void) {
        train(totalSteps: totalSteps, stopAfterSteps: stopAfterSteps) {
            progress(AgentProgress(steps: $0.steps, meanReturn: $0.meanReturn, episodes: $0.episodes, record: $0))
        }
    }
}

extension DQN: Agent {
    public var checkpointModules: KeyValuePairs<String, Module> { ["network": network, "target": target, "replay": buffer] }
    public var checkpointOptimizer: any Optimizer { optimizer }
    public var counters: [String: Int] {
        get { ["steps": steps] }
        set { steps = newValue["steps"] ?? steps }
    }
    public var algorithm: String { "dqn" }
    public var stepsPerUpdate: Int? { environments.count }
    public func greedyAction(_ observation: [Float]) -> Int { network.greedyAction(observation) }
    public func run(totalSteps: Int, stopAfterSteps: Int?, progress: (AgentProgress) -> Void) {
        train(totalSteps: totalSteps, stopAfterSteps: stopAfterSteps) { done, meanReturn in
            let record = DQNRecord(steps: done, meanReturn: meanReturn, episodes: environments.finishedReturns.count)
            progress(AgentProgress(steps: done, meanReturn: meanReturn, episodes: record.episodes, record: record))
        }
    }

    struct DQNRecord: Codable { var steps: Int, meanReturn: Double?, episodes: Int }
}
