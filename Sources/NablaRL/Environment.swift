import Nabla

/// What one step returns: Gymnasium's `(observation, reward, terminated, truncated)`.
/// `terminated` means the task ended (pole fell, goal reached): no value beyond it. `truncated` means
/// a time limit cut the episode short: bootstrapping from `observation` is still right.
public struct Transition: Sendable {
    public var observation: [Float]
    public var reward: Double
    public var terminated: Bool
    public var truncated: Bool
    public var done: Bool { terminated || truncated }

    public init(observation: [Float], reward: Double, terminated: Bool, truncated: Bool) {
        self.observation = observation
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
    }
}

/// A reinforcement-learning environment with Gymnasium's interface. The dynamics state is exposed as
/// `state` (float64, in Gymnasium's layout) so tests can start Nabla and Gymnasium from the same point.
public protocol Environment: AnyObject {
    /// Gymnasium's id, e.g. "CartPole-v1".
    var name: String { get }
    var observationSpace: Space { get }
    var actionSpace: Space { get }
    /// The dynamics state in Gymnasium's order (`env.unwrapped.state`).
    var state: [Double] { get set }
    /// The observation of the current state.
    var observation: [Float] { get }
    /// Draws a fresh start state from `generator` and returns its observation.
    func reset(generator: RandomGenerator) -> [Float]
    /// Advances one step. Environments never truncate on their own: `TimeLimit` does.
    func step(_ action: Action) -> Transition
    /// What drawing the current moment needs (`state`, unless the environment's state holds more than that).
    var frameState: [Double] { get }
    /// Whether `savedState` has the form of this environment's `state` (same length, unless it says otherwise).
    func accepts(savedState: [Double]) -> Bool
}

extension Environment {
    public var frameState: [Double] { state }
    public func accepts(savedState: [Double]) -> Bool { savedState.count == state.count }
}

extension RandomGenerator {
    /// A double uniform in [low, high) with 53 random bits.
    func uniformDouble(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * (Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0))
    }
}
