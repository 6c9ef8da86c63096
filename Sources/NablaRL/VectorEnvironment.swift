import Nabla

/// N copies of one environment stepped together, resetting each copy the moment its episode ends
/// (Stable-Baselines3's same-step auto-reset): the returned observation is then the next episode's
/// first, and the finished episode's last observation is kept in `finalObservations` for bootstrapping
/// truncated episodes. Observations are row-major [count, observationDimension] in one flat array so a
/// policy reads them as one batch without copying per copy.
public final class VectorEnvironment {
    public let copies: [Environment]
    public let generator: RandomGenerator
    public var count: Int { copies.count }
    public let observationDimension: Int
    /// [count × observationDimension], the current observation of every copy.
    public internal(set) var observations: [Float]
    /// The last observation of the episode each copy finished on the latest step (nil if it did not).
    public internal(set) var finalObservations: [[Float]?]
    /// Per-copy return and length of the episode in progress.
    public internal(set) var episodeReturns: [Double]
    public internal(set) var episodeLengths: [Int]
    /// Every finished episode's return and length, in the order they finished.
    public internal(set) var finishedReturns: [Double] = []
    public internal(set) var finishedLengths: [Int] = []

    /// `count` copies made by `make`, all drawing their start states from one generator seeded `seed`.
    public init(count: Int, seed: UInt64, make: () -> Environment) {
        precondition(count > 0, "VectorEnvironment: count must be positive, got \(count)")
        copies = (0..<count).map { _ in make() }
        generator = RandomGenerator(seed: seed)
        observationDimension = copies[0].observationSpace.dimension
        observations = []
        observations.reserveCapacity(count * observationDimension)
        for copy in copies { observations += copy.reset(generator: generator) }
        finalObservations = Array(repeating: nil, count: count)
        episodeReturns = Array(repeating: 0, count: count)
        episodeLengths = Array(repeating: 0, count: count)
    }

    public var observationSpace: Space { copies[0].observationSpace }
    public var actionSpace: Space { copies[0].actionSpace }

    /// Steps every copy with its action; returns rewards, terminated and truncated flags per copy.
    public func step(_ actions: [Action]) -> (rewards: [Double], terminated: [Bool], truncated: [Bool]) {
        precondition(actions.count == count, "VectorEnvironment.step: \(actions.count) actions for \(count) copies")
        var rewards = [Double](repeating: 0, count: count)
        var terminated = [Bool](repeating: false, count: count), truncated = terminated
        for index in 0..<count {
            let transition = copies[index].step(actions[index])
            rewards[index] = transition.reward
            terminated[index] = transition.terminated
            truncated[index] = transition.truncated
            episodeReturns[index] += transition.reward
            episodeLengths[index] += 1
            var observation = transition.observation
            if transition.done {
                finalObservations[index] = observation
                finishedReturns.append(episodeReturns[index])
                finishedLengths.append(episodeLengths[index])
                episodeReturns[index] = 0
                episodeLengths[index] = 0
                observation = copies[index].reset(generator: generator)
            } else {
                finalObservations[index] = nil
            }
            let offset = index * observationDimension
            for position in 0..<observationDimension { observations[offset + position] = observation[position] }
        }
        return (rewards, terminated, truncated)
    }
}
