import Nabla
import NablaNN

/// Stable-Baselines3's `MlpPolicy` for discrete actions: separate policy and value networks, each two
/// tanh hidden layers, orthogonally initialised (gain √2 for hidden layers, 0.01 for the action logits so
/// the first policy is near uniform, 1 for the value) with zero biases.
public final class ActorCritic: Module {
    public let policyLayers: [Linear], valueLayers: [Linear]
    public let observationDimension: Int, actionCount: Int

    public init(observationDimension: Int, actionCount: Int, hiddenSizes: [Int] = [64, 64], generator: RandomGenerator) {
        precondition(observationDimension > 0 && actionCount > 1 && !hiddenSizes.isEmpty,
                     "ActorCritic: observation dimension \(observationDimension), \(actionCount) actions, hidden \(hiddenSizes)")
        self.observationDimension = observationDimension
        self.actionCount = actionCount
        func network(outputSize: Int, outputGain: Float) -> [Linear] {
            let sizes = [observationDimension] + hiddenSizes + [outputSize]
            return (0..<sizes.count - 1).map { index in
                let layer = Linear(inputSize: sizes[index], outputSize: sizes[index + 1], generator: generator)
                let gain = index == sizes.count - 2 ? outputGain : Float(2).squareRoot()
                layer.weight.assign(Initialization.orthogonal(layer.weight.shape, gain: gain, generator: generator))
                layer.bias?.assign(Tensor.zeros(layer.bias!.shape))
                return layer
            }
        }
        policyLayers = network(outputSize: actionCount, outputGain: 0.01)
        valueLayers = network(outputSize: 1, outputGain: 1)
        super.init()
    }

    private static func run(_ layers: [Linear], _ input: Tensor) -> Tensor {
        var hidden = input
        for (index, layer) in layers.enumerated() {
            hidden = layer(hidden)
            if index < layers.count - 1 { hidden = hidden.tanh() }
        }
        return hidden
    }

    /// Action log-probabilities [batch, actionCount] for observations [batch, observationDimension].
    public func logProbabilities(_ observations: Tensor) -> Tensor { Self.run(policyLayers, observations).logSoftmax(axis: -1) }

    /// State values [batch] for observations [batch, observationDimension].
    public func values(_ observations: Tensor) -> Tensor {
        let output = Self.run(valueLayers, observations)
        return output.reshaped([output.shape[0]])
    }

    /// The most probable action for each row of observations [batch × observationDimension] (row-major):
    /// the deterministic policy used for evaluation.
    public func greedyActions(_ observations: [Float]) -> [Int] {
        let batch = observations.count / observationDimension
        let logits = withoutGradients { logProbabilities(Tensor(observations, shape: [batch, observationDimension])) }.scalars
        return (0..<batch).map { row in
            let slice = logits[row * actionCount..<(row + 1) * actionCount]
            return slice.indices.max(by: { slice[$0] < slice[$1] })! - row * actionCount
        }
    }
}
