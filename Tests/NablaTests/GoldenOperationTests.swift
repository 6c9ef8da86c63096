import NablaTestSupport
import Testing
@testable import Nabla

// Every case of Tests/Golden/ops.json reproduced with Nabla: the forward value, then the gradient of
// each float input for the upstream gradient PyTorch used. Each entry's comment is the PyTorch expression.

/// Nabla's version of one golden case: its output computed from the case's inputs.
typealias GoldenOperation = (GoldenInputs) -> Tensor

/// Case name → Nabla's computation. A case in ops.json without an entry here fails
/// `everyGoldenCaseHasAnOperation`, so no reference value is skipped silently.
let goldenOperations: [String: GoldenOperation] = [
    // Arithmetic with broadcasting
    "add_broadcast": { $0["x"] + $0["y"] },                                   // x + y
    "sub_broadcast": { $0["x"] - $0["y"] },                                   // x - y
    "mul_broadcast": { $0["x"] * $0["y"] },                                   // x * y
    "div": { $0["x"] / $0["y"] },                                             // x / y
    "neg": { -$0["x"] },                                                      // -x
    // Element-wise functions
    "exp": { $0["x"].exp() },                                                 // torch.exp(x)
    "log": { $0["x"].log() },                                                 // torch.log(x)
    "sqrt": { $0["x"].sqrt() },                                               // torch.sqrt(x)
    "pow_scalar": { $0["x"].pow(3) },                                         // x ** 3
    "abs": { $0["x"].abs() },                                                 // torch.abs(x)
    "relu": { $0["x"].relu() },                                               // F.relu(x)
    "leaky_relu": { $0["x"].leakyRelu(negativeSlope: 0.1) },                  // F.leaky_relu(x, 0.1)
    "sigmoid": { $0["x"].sigmoid() },                                         // torch.sigmoid(x)
    "tanh": { $0["x"].tanh() },                                               // torch.tanh(x)
    "gelu": { $0["x"].gelu() },                                               // F.gelu(x), erf form
    "gelu_tanh": { $0["x"].gelu(approximation: .tanh) },                      // F.gelu(x, approximate='tanh')
    "silu": { $0["x"].silu() },                                               // F.silu(x)
    "softplus": { $0["x"].softplus() },                                       // F.softplus(x)
    "hardsigmoid": { $0["x"].hardSigmoid() },                                 // F.hardsigmoid(x)
    "clamp": { $0["x"].clamped(min: -0.5, max: 0.5) },                        // torch.clamp(x, -0.5, 0.5)
    "maximum": { maximum($0["x"], $0["y"]) },                                 // torch.maximum(x, y)
    "where": { `where`($0["x"] .> 0, $0["x"], $0["y"] * 2) },                 // torch.where(x > 0, x, y * 2)
    // Reductions
    "sum_all": { $0["x"].sum() },                                             // x.sum()
    "sum_dim_keepdim": { $0["x"].sum(axis: 1, keepDims: true) },              // x.sum(dim=1, keepdim=True)
    "mean_dims": { $0["x"].mean(axes: [0, 2]) },                              // x.mean(dim=(0, 2))
    "max_dim": { $0["x"].max(axis: 1).values },                               // x.max(dim=1).values
    "var_dim": { $0["x"].variance(axes: [1], unbiased: false) },              // x.var(dim=1, unbiased=False)
    "logsumexp": { $0["x"].logSumExp(axis: -1) },                             // torch.logsumexp(x, dim=-1)
    "softmax": { $0["x"].softmax(axis: -1) },                                 // F.softmax(x, dim=-1)
    "log_softmax": { $0["x"].logSoftmax(axis: 1) },                           // F.log_softmax(x, dim=1)
    "norm_l2": { $0["x"].norm() },                                            // torch.linalg.vector_norm(x)
    // Views, joining, padding
    "reshape": { $0["x"].reshaped([4, 6]) },                                  // x.reshape(4, 6)
    "permute": { $0["x"].permuted([2, 0, 1]) },                               // x.permute(2, 0, 1)
    "transpose_matmul": { matmul($0["x"].transposed(0, 1), $0["y"]) },        // x.transpose(0, 1) @ y
    "slice": { $0["x"].sliced(axis: 1, start: 1, end: 4, step: 2) },          // x[:, 1:4:2]
    "cat": { Tensor.concat([$0["x"], $0["y"]], axis: 1) },                    // torch.cat([x, y], dim=1)
    "stack": { Tensor.stack([$0["x"], $0["y"]], axis: 0) },                   // torch.stack([x, y], dim=0)
    "expand": { $0["x"].expanded(to: [3, 4]) },                               // x.expand(3, 4)
    "pad": { $0["x"].padded([1, 2, 0, 1]) },                                  // F.pad(x, (1, 2, 0, 1)): last axis 1|2, H 0|1
    // Indexing
    "gather": { $0["x"].gathered(axis: 1, indices: $0.integer("idx")) },      // torch.gather(x, 1, idx)
    "index_select": { $0["x"].indexSelected(axis: 0, indices: $0.integer("idx")) },  // x[idx] (rows)
    "embedding": { embedding($0.integer("idx"), weight: $0["w"]) },           // F.embedding(idx, w)
    // Matrix products and linear layers
    "matmul": { matmul($0["x"], $0["y"]) },                                   // x @ y
    "bmm_broadcast": { matmul($0["x"], $0["y"]) },                            // [2,1,3,4] @ [3,4,2] → [2,3,3,2]
    "linear": { linear($0["x"], weight: $0["w"], bias: $0["b"]) },            // F.linear(x, w, b)
    // Convolutions
    "conv1d": { conv1d($0["x"], weight: $0["w"], bias: $0["b"], stride: 1, padding: 1) },
    "conv2d": { conv2d($0["x"], weight: $0["w"], bias: $0["b"], padding: 1) },
    "conv2d_stride2": { conv2d($0["x"], weight: $0["w"], bias: $0["b"], stride: 2, padding: 1) },
    "conv2d_dilation": { conv2d($0["x"], weight: $0["w"], bias: nil, dilation: 2) },
    "conv2d_depthwise": { conv2d($0["x"], weight: $0["w"], bias: $0["b"], padding: 1, groups: 4) },
    "conv2d_groups2": { conv2d($0["x"], weight: $0["w"], bias: nil, groups: 2) },
    "conv_transpose2d": {                                                     // stride=2, padding=1, output_padding=1
        convTranspose2d($0["x"], weight: $0["w"], bias: $0["b"], stride: 2, padding: 1, outputPadding: 1)
    },
    // Pooling and resampling
    "max_pool2d": { maxPool2d($0["x"], kernelSize: 2) },                      // F.max_pool2d(x, 2)
    "max_pool2d_stride1_pad": { maxPool2d($0["x"], kernelSize: 3, stride: 1, padding: 1) },
    "avg_pool2d": { avgPool2d($0["x"], kernelSize: 2) },                      // F.avg_pool2d(x, 2)
    "adaptive_avg_pool2d_1": { adaptiveAvgPool2d($0["x"], outputSize: 1) },   // F.adaptive_avg_pool2d(x, 1)
    "upsample_nearest": { interpolate($0["x"], scaleFactor: 2, mode: .nearest) },
    // Normalisation: batch statistics only (training=True, no running statistics given)
    "batch_norm_train": {
        batchNorm($0["x"], runningMean: nil, runningVariance: nil, weight: $0["w"], bias: $0["b"], training: true, epsilon: 1e-5)
    },
    "batch_norm1d_train": {                                                   // (N, C) input
        batchNorm($0["x"], runningMean: nil, runningVariance: nil, weight: $0["w"], bias: $0["b"], training: true, epsilon: 1e-5)
    },
    "layer_norm": { layerNorm($0["x"], normalizedShape: [4], weight: $0["w"], bias: $0["b"], epsilon: 1e-5) },
    "group_norm": { groupNorm($0["x"], groups: 2, weight: $0["w"], bias: $0["b"], epsilon: 1e-5) },
    // Losses (PyTorch's default reduction is the mean); targets require gradients too
    "mse_loss": { mseLoss($0["x"], $0["y"]) },
    "l1_loss": { l1Loss($0["x"], $0["y"]) },
    "huber_loss": { huberLoss($0["x"], $0["y"], delta: 1) },
    "cross_entropy": { crossEntropy($0["x"], $0.integer("t")) },
    "cross_entropy_smooth": { crossEntropy($0["x"], $0.integer("t"), labelSmoothing: 0.1) },
    "cross_entropy_ignore": { crossEntropy($0["x"], $0.integer("t"), ignoreIndex: -100) },  // one target is -100
    "cross_entropy_seq": { crossEntropy($0["x"], $0.integer("t")) },          // (N, C, L) logits, (N, L) targets
    "cross_entropy_soft": { crossEntropy($0["x"], probabilities: $0["p"]) },  // p: class probabilities
    "nll_loss": { nllLoss($0["x"], $0.integer("t")) },
    "bce_with_logits": { binaryCrossEntropyWithLogits($0["x"], $0["y"]) },
    "kl_div": { klDivergence($0["x"], $0["y"], reduction: .batchMean) },      // x: log-probabilities
    "cosine_similarity": { cosineSimilarity($0["x"], $0["y"], axis: 1) },
    // Attention
    "sdpa_causal": { scaledDotProductAttention(query: $0["q"], key: $0["k"], value: $0["v"], isCausal: true) },
    "sdpa_mask": {                                                            // m: 0/1, 1 (True) = may attend
        scaledDotProductAttention(query: $0["q"], key: $0["k"], value: $0["v"], allowed: $0.integer("m").asTensor)
    },
]

@Suite struct GoldenOperationTests {
    @Test("ops.json case matches PyTorch's output and input gradients", arguments: goldenOperations.keys.sorted())
    func operationMatchesPyTorch(_ name: String) throws {
        let golden = try Golden.case(name, in: "ops.json")
        let inputs = try golden.inputs(requiringGradients: true)
        let operation = try #require(goldenOperations[name])
        let output = operation(inputs)
        expectClose(output, try golden.tensor("output"), "\(name): output")

        // The gradient of every float input for PyTorch's upstream gradient, all in one backward pass.
        let expectedGradients = try golden.tensors("grads")
        let unknown = Set(expectedGradients.keys).subtracting(inputs.floats.keys)
        #expect(unknown.isEmpty, "\(name): grads for \(unknown.sorted()), which are not float inputs")
        guard output.requiresGrad else {
            Issue.record("\(name): the output recorded no graph, so no gradient can flow")
            return
        }
        let names = inputs.floats.keys.sorted()
        let computed = gradients(of: output, withRespectTo: names.map { inputs[$0] },
                                 gradient: try golden.tensor("grad_output"))
        for (inputName, gradient) in zip(names, computed) {
            guard let expected = expectedGradients[inputName] else { continue }
            expectClose(gradient, expected, "\(name): gradient of \(inputName)")
        }
    }

    /// A new case in ops.json must get an entry in `goldenOperations`, and an entry whose case was
    /// removed or renamed must go too.
    @Test func everyGoldenCaseHasAnOperation() throws {
        let names = try Golden.cases(in: "ops.json").map(\.name)
        let missing = names.filter { goldenOperations[$0] == nil }
        let stale = goldenOperations.keys.filter { !names.contains($0) }.sorted()
        #expect(missing.isEmpty, "ops.json cases with no Nabla operation: \(missing)")
        #expect(stale.isEmpty, "operations with no ops.json case: \(stale)")
        #expect(Set(names).count == names.count, "ops.json repeats a case name")
    }
}
