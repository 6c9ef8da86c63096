import Nabla
import NablaNN

/// DQN's memory of transitions: a ring of the latest `capacity` (observation, action, reward,
/// next observation, terminated). It is a module whose storage is buffers, so a checkpoint saves the
/// memory with the networks and a resumed run samples exactly the same batches. Truncated steps store
/// `terminated = false`, so targets bootstrap from the final observation stored as `next`.
public final class ReplayBuffer: Module {
    public let capacity: Int, observationDimension: Int
    /// [capacity, dimension] each.
    @Buffer var observations: Tensor
    @Buffer var nextObservations: Tensor
    /// [capacity] each: the action index, the reward and 1 for a terminal step (0 otherwise).
    @Buffer var actions: Tensor
    @Buffer var rewards: Tensor
    @Buffer var terminated: Tensor
    /// [2]: how many transitions are stored and where the next one goes (exact in float up to 2²⁴).
    @Buffer var fill: Tensor

    public init(capacity: Int, observationDimension: Int) {
        precondition(capacity > 0 && capacity <= 1 << 24 && observationDimension > 0,
                     "ReplayBuffer: capacity \(capacity) must lie in 1...\(1 << 24) and dimension \(observationDimension) be positive")
        self.capacity = capacity
        self.observationDimension = observationDimension
        observations = Tensor.zeros([capacity, observationDimension])
        nextObservations = Tensor.zeros([capacity, observationDimension])
        actions = Tensor.zeros([capacity])
        rewards = Tensor.zeros([capacity])
        terminated = Tensor.zeros([capacity])
        fill = Tensor.zeros([2])
        super.init()
    }

    public var count: Int { fill.withUnsafeBufferPointer { Int($0[0]) } }
    private var position: Int { fill.withUnsafeBufferPointer { Int($0[1]) } }

    /// Stores one transition, overwriting the oldest once full.
    public func add(observation: ArraySlice<Float>, action: Int, reward: Double, next: [Float], terminated isTerminal: Bool) {
        precondition(observation.count == observationDimension && next.count == observationDimension,
                     "ReplayBuffer.add: observations of \(observation.count) and \(next.count) values, expected \(observationDimension)")
        let row = position, offset = row * observationDimension
        observations.withUnsafeMutableBufferPointer { storage in
            for (index, value) in observation.enumerated() { storage[offset + index] = value }
        }
        nextObservations.withUnsafeMutableBufferPointer { storage in
            for index in 0..<observationDimension { storage[offset + index] = next[index] }
        }
        actions.withUnsafeMutableBufferPointer { $0[row] = Float(action) }
        rewards.withUnsafeMutableBufferPointer { $0[row] = Float(reward) }
        terminated.withUnsafeMutableBufferPointer { $0[row] = isTerminal ? 1 : 0 }
        let stored = min(count + 1, capacity)
        fill.withUnsafeMutableBufferPointer { $0[0] = Float(stored); $0[1] = Float((row + 1) % capacity) }
    }

    /// A batch drawn uniformly with replacement: observations and next observations [size, dimension]
    /// row-major, actions, rewards and terminal flags (1 or 0) [size].
    public struct Batch {
        public var observations: [Float], nextObservations: [Float]
        public var actions: [Int], rewards: [Float], terminated: [Float]
    }

    public func sample(_ size: Int, generator: RandomGenerator) -> Batch {
        let stored = count
        precondition(stored > 0, "ReplayBuffer.sample: the buffer is empty")
        let rows = (0..<size).map { _ in Int(generator.next() % UInt64(stored)) }
        let dimension = observationDimension
        func gather(_ tensor: Tensor, width: Int) -> [Float] {
            tensor.withUnsafeBufferPointer { storage in
                [Float](unsafeUninitializedCapacity: size * width) { output, initialized in
                    for (index, row) in rows.enumerated() {
                        for column in 0..<width { output[index * width + column] = storage[row * width + column] }
                    }
                    initialized = size * width
                }
            }
        }
        return Batch(observations: gather(observations, width: dimension), nextObservations: gather(nextObservations, width: dimension),
                     actions: gather(actions, width: 1).map { Int($0) }, rewards: gather(rewards, width: 1),
                     terminated: gather(terminated, width: 1))
    }
}
