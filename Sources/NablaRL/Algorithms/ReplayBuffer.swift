import Nabla

/// DQN's memory of transitions: a ring of the latest `capacity` (observation, action, reward,
/// next observation, terminated), stored in flat arrays so sampling a batch copies rows without
/// allocating per transition. Truncated steps store `terminated = false`, so targets bootstrap from
/// the final observation stored as `next`.
public final class ReplayBuffer {
    public let capacity: Int, observationDimension: Int
    public private(set) var count = 0
    private var position = 0
    private var observations: [Float], nextObservations: [Float]
    private var actions: [Int32], rewards: [Float], terminated: [Float]

    public init(capacity: Int, observationDimension: Int) {
        precondition(capacity > 0 && observationDimension > 0, "ReplayBuffer: capacity \(capacity) and dimension \(observationDimension) must be positive")
        self.capacity = capacity
        self.observationDimension = observationDimension
        observations = [Float](repeating: 0, count: capacity * observationDimension)
        nextObservations = observations
        actions = [Int32](repeating: 0, count: capacity)
        rewards = [Float](repeating: 0, count: capacity)
        terminated = rewards
    }

    /// Stores one transition, overwriting the oldest once full.
    public func add(observation: ArraySlice<Float>, action: Int, reward: Double, next: [Float], terminated isTerminal: Bool) {
        precondition(observation.count == observationDimension && next.count == observationDimension,
                     "ReplayBuffer.add: observations of \(observation.count) and \(next.count) values, expected \(observationDimension)")
        let offset = position * observationDimension
        for (index, value) in observation.enumerated() { observations[offset + index] = value }
        for index in 0..<observationDimension { nextObservations[offset + index] = next[index] }
        actions[position] = Int32(action)
        rewards[position] = Float(reward)
        terminated[position] = isTerminal ? 1 : 0
        position = (position + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// A batch drawn uniformly with replacement: observations and next observations [size, dimension]
    /// row-major, actions, rewards and terminal flags (1 or 0) [size].
    public struct Batch {
        public var observations: [Float], nextObservations: [Float]
        public var actions: [Int], rewards: [Float], terminated: [Float]
    }

    public func sample(_ size: Int, generator: RandomGenerator) -> Batch {
        precondition(count > 0, "ReplayBuffer.sample: the buffer is empty")
        var batch = Batch(observations: [], nextObservations: [], actions: [], rewards: [], terminated: [])
        batch.observations.reserveCapacity(size * observationDimension)
        batch.nextObservations.reserveCapacity(size * observationDimension)
        for _ in 0..<size {
            let row = Int(generator.next() % UInt64(count))
            let range = row * observationDimension..<(row + 1) * observationDimension
            batch.observations += observations[range]
            batch.nextObservations += nextObservations[range]
            batch.actions.append(Int(actions[row]))
            batch.rewards.append(rewards[row])
            batch.terminated.append(terminated[row])
        }
        return batch
    }
}
