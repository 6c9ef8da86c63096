import Nabla
import NablaNN

/// The gradient of DQN's loss, mean Huber(Q(sᵢ, aᵢ) − yᵢ), with respect to every parameter of a
/// `QNetwork`, written out layer by layer instead of recorded on the autograd graph.
///
/// DQN takes tens of thousands of small gradient steps (a 64-row batch through 256×256 layers), where
/// recording and replaying the graph — a node, a closure and a fresh tensor per operation — costs as
/// much as the arithmetic. Here the forward pass keeps only the activations the backward pass needs,
/// the matrix products go to Nabla's matmul, and the element-wise parts (ReLU masks, the Huber
/// derivative, the dueling mean, bias sums) are plain loops. Agrees with autograd's gradient to float
/// rounding (tested).
enum QLearningGradient {
    /// Sets `grad` of every parameter of `network` to the gradient of the mean Huber loss (β = 1) of
    /// Q(observations)[row, actions[row]] against `targets`, for observations [rows, dimension].
    static func accumulate(_ network: QNetwork, observations: [Float], actions: [Int], targets: [Float]) {
        let rows = actions.count, actionCount = network.actionCount
        precondition(targets.count == rows && observations.count == rows * network.observationDimension,
                     "QLearningGradient: \(rows) actions, \(targets.count) targets, \(observations.count) observation values")
        withoutGradients {
            // Forward: the input and each hidden layer's ReLU output.
            var activations = [Tensor(observations, shape: [rows, network.observationDimension])]
            for layer in network.trunk {
                activations.append(linear(activations.last!, weight: layer.weight, bias: layer.bias).relu())
            }
            let top = activations.last!
            let advantages = linear(top, weight: network.head.weight, bias: network.head.bias).scalars
            var values = advantages
            if let valueHead = network.valueHead {
                let state = linear(top, weight: valueHead.weight, bias: valueHead.bias).scalars
                for row in 0..<rows {
                    var mean: Float = 0
                    for action in 0..<actionCount { mean += advantages[row * actionCount + action] }
                    mean /= Float(actionCount)
                    for action in 0..<actionCount { values[row * actionCount + action] = state[row] + advantages[row * actionCount + action] - mean }
                }
            }
            // dLoss/dQ: the Huber derivative clamp(q − y, −1, 1) / rows at each taken action, 0 elsewhere.
            var valueGradient = [Float](repeating: 0, count: rows * actionCount)
            for row in 0..<rows {
                let difference = values[row * actionCount + actions[row]] - targets[row]
                valueGradient[row * actionCount + actions[row]] = Swift.min(Swift.max(difference, -1), 1) / Float(rows)
            }
            var topGradient: Tensor
            if let valueHead = network.valueHead {
                // Q = V + A − mean A: dV = Σₐ dQ, dA = dQ − meanₐ dQ.
                var stateGradient = [Float](repeating: 0, count: rows)
                var advantageGradient = valueGradient
                for row in 0..<rows {
                    var sum: Float = 0
                    for action in 0..<actionCount { sum += valueGradient[row * actionCount + action] }
                    stateGradient[row] = sum
                    for action in 0..<actionCount { advantageGradient[row * actionCount + action] -= sum / Float(actionCount) }
                }
                let advantageTensor = Tensor(advantageGradient, shape: [rows, actionCount]), stateTensor = Tensor(stateGradient, shape: [rows, 1])
                setGradients(network.head, output: advantageTensor, input: top)
                setGradients(valueHead, output: stateTensor, input: top)
                topGradient = matmul(advantageTensor, network.head.weight) + matmul(stateTensor, valueHead.weight)
            } else {
                let gradient = Tensor(valueGradient, shape: [rows, actionCount])
                setGradients(network.head, output: gradient, input: top)
                topGradient = matmul(gradient, network.head.weight)
            }
            for index in stride(from: network.trunk.count - 1, through: 0, by: -1) {
                // Through the ReLU: only units that were positive pass the gradient.
                let masked = maskedByPositive(topGradient, activations[index + 1])
                setGradients(network.trunk[index], output: masked, input: activations[index])
                if index > 0 { topGradient = matmul(masked, network.trunk[index].weight) }
            }
        }
    }

    /// dW = Gᵀ·X and db = Σ_rows G for a linear layer whose output gradient is G [rows, out] and input X [rows, in].
    private static func setGradients(_ layer: Linear, output gradient: Tensor, input: Tensor) {
        layer.weight.grad = matmul(gradient.transposed(), input)
        guard let bias = layer.bias else { return }
        let width = gradient.shape[1], rows = gradient.shape[0]
        let sums = gradient.withUnsafeBufferPointer { values in
            (0..<width).map { column in
                var sum: Float = 0
                for row in 0..<rows { sum += values[row * width + column] }
                return sum
            }
        }
        bias.grad = Tensor(sums, shape: [width])
    }

    /// `gradient` where `activation` > 0, else 0 (the ReLU's derivative applied).
    private static func maskedByPositive(_ gradient: Tensor, _ activation: Tensor) -> Tensor {
        let values = gradient.withUnsafeBufferPointer { gradientValues in
            activation.withUnsafeBufferPointer { activationValues in
                (0..<gradientValues.count).map { activationValues[$0] > 0 ? gradientValues[$0] : 0 }
            }
        }
        return Tensor(values, shape: gradient.shape)
    }
}
