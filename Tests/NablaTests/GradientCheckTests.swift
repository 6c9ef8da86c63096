import NablaTestSupport
import Testing
@testable import Nabla

// Every differentiable operation of Nabla checked against central finite differences: the analytic
// gradient of L = Σ f(x)·r (r a fixed random tensor, so every output element matters with its own weight)
// against (L(x + h) − L(x − h)) / 2h, element by element, for every input.
//
// Inputs are small and random from a seeded generator, and kept away from kinks (relu and abs at 0, clamp
// bounds, ties of max/min/max-pool, the Huber threshold), where finite differences straddle two pieces.

/// Step and tolerance of the finite-difference checks, chosen for float32 (stated once).
///
/// With h = 10⁻², the truncation error of a central difference is h²/6·|f‴| ≈ 2·10⁻⁵·|f‴| and the rounding
/// error about ε·|L|/h ≈ 6·10⁻⁸·|L|·100 (L is accumulated in double from float32 outputs), so both stay
/// below 10⁻³ for these inputs; a wrong rule is off by a sizeable part of the gradient itself.
enum FiniteDifferences {
    static let step: Float = 1e-2
    static let tolerance = Tolerance(absolute: 2e-3, relative: 1e-2)
    /// Second derivatives difference gradients that are themselves float32 results.
    static let secondOrderTolerance = Tolerance(absolute: 5e-3, relative: 2e-2)
}

// MARK: - The checks

/// A copy of `tensor`'s values as a fresh leaf, so a check never touches the caller's tensors.
private func freshLeaf(_ tensor: Tensor, _ values: [Float]? = nil, requiresGrad: Bool) -> Tensor {
    Tensor(values ?? tensor.scalars, shape: tensor.shape, requiresGrad: requiresGrad)
}

/// Σ f(inputs)·weights in double precision, recording nothing.
private func weightedSum(_ function: ([Tensor]) -> Tensor, _ inputs: [Tensor], _ weights: [Double]) -> Double {
    withoutGradients {
        let values = function(inputs).scalars
        precondition(values.count == weights.count, "finite differences: output size changed")
        return zip(values, weights).reduce(0) { $0 + Double($1.0) * $1.1 }
    }
}

/// Central differences of `value` for each element of each input.
private func centralDifferences(_ inputs: [Tensor], step: Float, _ value: ([Tensor]) -> Double) -> [[Double]] {
    inputs.indices.map { which in
        let base = inputs[which].scalars
        return base.indices.map { element in
            var plus = base, minus = base
            plus[element] += step
            minus[element] -= step
            var shifted = inputs.map { freshLeaf($0, requiresGrad: false) }
            shifted[which] = freshLeaf(inputs[which], plus, requiresGrad: false)
            let upper = value(shifted)
            shifted[which] = freshLeaf(inputs[which], minus, requiresGrad: false)
            let lower = value(shifted)
            // Divide by the step actually taken after float32 rounding.
            return (upper - lower) / (Double(plus[element]) - Double(minus[element]))
        }
    }
}

/// Checks the gradient of Σ function(inputs)·r for every input against central differences.
func checkGradient(_ label: String, _ inputs: [Tensor], step: Float = FiniteDifferences.step,
                   tolerance: Tolerance = FiniteDifferences.tolerance,
                   sourceLocation: SourceLocation = #_sourceLocation, _ function: ([Tensor]) -> Tensor) {
    let leaves = inputs.map { freshLeaf($0, requiresGrad: true) }
    let output = function(leaves)
    guard output.requiresGrad else {
        Issue.record("\(label): the output recorded no graph", sourceLocation: sourceLocation)
        return
    }
    let weights = RandomGenerator(seed: 97).normal(output.shape)
    let analytic = gradients(of: (output * weights).sum(), withRespectTo: leaves)
    let weightValues = weights.scalars.map(Double.init)
    let numeric = centralDifferences(inputs, step: step) { weightedSum(function, $0, weightValues) }
    for which in inputs.indices {
        expectClose(analytic[which].scalars.map(Double.init), numeric[which], shape: inputs[which].shape,
                    "\(label): gradient of input \(which)", tolerance: tolerance, sourceLocation: sourceLocation)
    }
}

/// Checks a second derivative: the gradient of h = Σₖ ⟨∂L/∂xₖ, sₖ⟩ (L = Σ f·r, sₖ fixed random
/// directions), taken through the recorded backward pass, against central differences of h.
func checkSecondDerivative(_ label: String, _ inputs: [Tensor], step: Float = FiniteDifferences.step,
                           tolerance: Tolerance = FiniteDifferences.secondOrderTolerance,
                           sourceLocation: SourceLocation = #_sourceLocation, _ function: ([Tensor]) -> Tensor) {
    let generator = RandomGenerator(seed: 89)
    let probe = withoutGradients { function(inputs.map { freshLeaf($0, requiresGrad: false) }) }
    let weights = generator.normal(probe.shape)
    let directions = inputs.map { generator.normal($0.shape) }
    func firstGradients(_ leaves: [Tensor], createGraph: Bool) -> [Tensor] {
        gradients(of: (function(leaves) * weights).sum(), withRespectTo: leaves, createGraph: createGraph)
    }
    let leaves = inputs.map { freshLeaf($0, requiresGrad: true) }
    let directional = zip(firstGradients(leaves, createGraph: true), directions)
        .map { ($0 * $1).sum() }.reduce(Tensor(scalar: 0), +)
    guard directional.requiresGrad else {
        Issue.record("\(label): the gradient recorded no graph (createGraph)", sourceLocation: sourceLocation)
        return
    }
    let analytic = gradients(of: directional, withRespectTo: leaves)
    let numeric = centralDifferences(inputs, step: step) { shifted in
        let tracked = shifted.map { freshLeaf($0, requiresGrad: true) }
        return zip(firstGradients(tracked, createGraph: false), directions).reduce(0) { total, pair in
            total + zip(pair.0.scalars, pair.1.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
    }
    for which in inputs.indices {
        expectClose(analytic[which].scalars.map(Double.init), numeric[which], shape: inputs[which].shape,
                    "\(label): second derivative for input \(which)", tolerance: tolerance, sourceLocation: sourceLocation)
    }
}

// MARK: - Inputs

/// Seeded inputs; each test makes its own so that tests do not depend on their order.
private struct Inputs {
    let generator: RandomGenerator
    init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

    func normal(_ shape: [Int], scale: Float = 1) -> Tensor { generator.normal(shape, standardDeviation: scale) }
    func uniform(_ shape: [Int], _ low: Float, _ high: Float) -> Tensor { generator.uniform(shape, low: low, high: high) }
    func positive(_ shape: [Int]) -> Tensor { uniform(shape, 0.5, 2) }

    /// Normal values moved at least `margin` away from each kink.
    func avoiding(_ kinks: [Float], _ shape: [Int], scale: Float = 1, margin: Float = 0.1) -> Tensor {
        let values = normal(shape, scale: scale).scalars.map { value -> Float in
            var moved = value
            for kink in kinks where Swift.abs(moved - kink) < margin {
                moved = kink + (moved >= kink ? margin : -margin)
            }
            return moved
        }
        return Tensor(values, shape: shape)
    }

    /// Shuffled values `spacing` apart around zero: no two tie, so max/min/max-pool have one winner
    /// that a step of 10⁻² cannot change.
    func distinct(_ shape: [Int], spacing: Float = 0.1) -> Tensor {
        let count = shape.reduce(1, *)
        let order = generator.permutation(count)
        return Tensor(order.map { (Float($0) - Float(count) / 2) * spacing }, shape: shape)
    }

    /// Random class labels (or indices) in `0..<classes`.
    func labels(_ shape: [Int], classes: Int) -> IntTensor {
        IntTensor((0..<shape.reduce(1, *)).map { _ in generator.integer(in: 0..<classes) }, shape: shape)
    }
}

// MARK: - Tests

@Suite struct GradientCheckTests {
    @Test func arithmeticWithBroadcasting() {
        let random = Inputs(seed: 1)
        checkGradient("add [2,3] + [3]", [random.normal([2, 3]), random.normal([3])]) { $0[0] + $0[1] }
        checkGradient("add rank-0 + [2,2]", [random.normal([]), random.normal([2, 2])]) { $0[0] + $0[1] }
        checkGradient("subtract [2,1] - [3]", [random.normal([2, 1]), random.normal([3])]) { $0[0] - $0[1] }
        checkGradient("multiply [2,3] * [1,3]", [random.normal([2, 3]), random.normal([1, 3])]) { $0[0] * $0[1] }
        checkGradient("multiply by itself", [random.normal([4])]) { $0[0] * $0[0] }
        checkGradient("divide [2,3] / [2,1]", [random.normal([2, 3]), random.positive([2, 1])]) { $0[0] / $0[1] }
        checkGradient("negate", [random.normal([5])]) { -$0[0] }
        checkGradient("scalar operands", [random.normal([4])]) { (($0[0] * 3 + 2) / 4 - 1) * 0.5 }
        checkGradient("scalar divided by tensor", [random.positive([4])]) { 2 / $0[0] }
        checkGradient("scalar minus tensor", [random.normal([4])]) { 1 - $0[0] }
    }

    @Test func elementwiseMathematics() {
        let random = Inputs(seed: 2)
        checkGradient("exp", [random.normal([2, 3])]) { $0[0].exp() }
        checkGradient("log", [random.positive([2, 3])]) { $0[0].log() }
        checkGradient("sqrt", [random.positive([2, 3])]) { $0[0].sqrt() }
        checkGradient("pow 2", [random.normal([5])]) { $0[0].pow(2) }
        checkGradient("pow 3", [random.normal([5])]) { $0[0].pow(3) }
        checkGradient("pow 0.5", [random.positive([5])]) { $0[0].pow(0.5) }
        checkGradient("pow -1.5", [random.positive([5])]) { $0[0].pow(-1.5) }
        checkGradient("pow tensor exponent", [random.positive([2, 3]), random.normal([3])]) { $0[0].pow($0[1]) }
        checkGradient("abs", [random.avoiding([0], [6])]) { $0[0].abs() }
        checkGradient("erf", [random.normal([6])]) { $0[0].erf() }
        checkGradient("clamped", [random.avoiding([-0.5, 0.5], [8])]) { $0[0].clamped(min: -0.5, max: 0.5) }
        checkGradient("clamped below only", [random.avoiding([0.2], [8])]) { $0[0].clamped(min: 0.2) }
        let pair = random.distinct([2, 6])   // rows far apart: no ties between a and b
        let a = pair.sliced(axis: 0, start: 0, end: 1).contiguous().detached()
        let b = pair.sliced(axis: 0, start: 1, end: 2).contiguous().detached()
        checkGradient("maximum", [a, b]) { maximum($0[0], $0[1]) }
        checkGradient("minimum", [a, b]) { minimum($0[0], $0[1]) }
        let condition = random.avoiding([0], [3, 4])
        checkGradient("where", [random.normal([3, 4]), random.normal([3, 4])]) {
            `where`(condition .> 0, $0[0], $0[1] * 2)
        }
        checkGradient("where with broadcast branches", [random.normal([4]), random.normal([3, 1])]) {
            `where`(condition .> 0, $0[0], $0[1])
        }
    }

    @Test func activations() {
        let random = Inputs(seed: 3)
        checkGradient("relu", [random.avoiding([0], [2, 5])]) { $0[0].relu() }
        checkGradient("leakyRelu", [random.avoiding([0], [2, 5])]) { $0[0].leakyRelu(negativeSlope: 0.1) }
        checkGradient("sigmoid", [random.normal([2, 5], scale: 2)]) { $0[0].sigmoid() }
        checkGradient("tanh", [random.normal([2, 5])]) { $0[0].tanh() }
        checkGradient("gelu", [random.normal([2, 5], scale: 2)]) { $0[0].gelu() }
        checkGradient("gelu tanh", [random.normal([2, 5], scale: 2)]) { $0[0].gelu(approximation: .tanh) }
        checkGradient("silu", [random.normal([2, 5], scale: 2)]) { $0[0].silu() }
        checkGradient("softplus", [random.normal([2, 5], scale: 2)]) { $0[0].softplus() }
        checkGradient("softplus above threshold", [Tensor([19, 21, 25, -1])]) { $0[0].softplus() }
        checkGradient("hardSigmoid", [random.avoiding([-3, 3], [2, 5], scale: 2.5)]) { $0[0].hardSigmoid() }
    }

    @Test func reductions() {
        let random = Inputs(seed: 4)
        let x = random.normal([2, 3, 4])
        checkGradient("sum all", [x]) { $0[0].sum() }
        checkGradient("sum axes keepDims", [x]) { $0[0].sum(axes: [0, 2], keepDims: true) }
        checkGradient("sum negative axis", [x]) { $0[0].sum(axis: -1) }
        checkGradient("mean axis", [x]) { $0[0].mean(axis: 1) }
        checkGradient("mean all", [x]) { $0[0].mean() }
        checkGradient("variance unbiased", [x]) { $0[0].variance(axes: [1]) }
        checkGradient("variance biased all", [x]) { $0[0].variance(unbiased: false) }
        checkGradient("standardDeviation", [x]) { $0[0].standardDeviation(axes: [2], keepDims: true) }
        let spread = random.distinct([3, 5])
        checkGradient("max axis values", [spread]) { $0[0].max(axis: 1).values }
        checkGradient("min axis keepDims", [spread]) { $0[0].min(axis: 0, keepDims: true).values }
        checkGradient("max over axes", [random.distinct([2, 3, 4])]) { $0[0].max(axes: [0, 2]) }
        checkGradient("max all", [spread]) { $0[0].max() }
        checkGradient("min all", [spread]) { $0[0].min() }
        checkGradient("logSumExp", [x]) { $0[0].logSumExp(axis: 1) }
        checkGradient("logSumExp axes keepDims", [x * 3]) { $0[0].logSumExp(axes: [0, 2], keepDims: true) }
        checkGradient("norm 2 all", [x]) { $0[0].norm() }
        checkGradient("norm 2 axis", [x]) { $0[0].norm(axes: [1]) }
        checkGradient("norm 1", [random.avoiding([0], [3, 4])]) { $0[0].norm(p: 1, axes: [1]) }
        checkGradient("norm infinity", [random.distinct([3, 4]) + 1.25]) { $0[0].norm(p: .infinity, axes: [1]) }
        checkGradient("norm 3", [random.avoiding([0], [3, 4])]) { $0[0].norm(p: 3, axes: [0]) }
    }

    @Test func softmaxAndLogSoftmax() {
        let random = Inputs(seed: 5)
        checkGradient("softmax last axis", [random.normal([3, 5])]) { $0[0].softmax() }
        checkGradient("softmax axis 0", [random.normal([3, 5])]) { $0[0].softmax(axis: 0) }
        checkGradient("softmax middle axis", [random.normal([2, 3, 4])]) { $0[0].softmax(axis: 1) }
        checkGradient("logSoftmax middle axis", [random.normal([2, 4, 3])]) { $0[0].logSoftmax(axis: 1) }
        checkGradient("logSoftmax large logits", [random.normal([2, 5], scale: 10)]) { $0[0].logSoftmax() }
    }

    @Test func views() {
        let random = Inputs(seed: 6)
        let x = random.normal([2, 3, 4])
        checkGradient("reshaped", [x]) { $0[0].reshaped([4, -1]) }
        checkGradient("reshaped after transpose (copies)", [x]) { $0[0].transposed(0, 2).reshaped([4, 6]) }
        checkGradient("flattened", [x]) { $0[0].flattened(startAxis: 1) }
        checkGradient("permuted", [x]) { $0[0].permuted([2, 0, 1]) }
        checkGradient("transposed", [x]) { $0[0].transposed() }
        checkGradient("T", [random.normal([3, 5])]) { $0[0].T }
        checkGradient("sliced with step", [x]) { $0[0].sliced(axis: 2, start: 0, end: 4, step: 3) }
        checkGradient("sliced negative bounds", [x]) { $0[0].sliced(axis: 1, start: -2, end: -1) }
        checkGradient("sliced after transpose", [x]) { $0[0].transposed(1, 2).sliced(axis: 1, start: 1, step: 2) }
        checkGradient("sliced twice", [x]) { $0[0].sliced(axis: 2, start: 1).sliced(axis: 2, start: 0, step: 2) }
        checkGradient("expanded", [random.normal([3, 1])]) { $0[0].expanded(to: [2, 3, 4]) }
        checkGradient("squeezed", [random.normal([2, 1, 3])]) { $0[0].squeezed(axis: 1) }
        checkGradient("squeezed all", [random.normal([1, 3, 1])]) { $0[0].squeezed() }
        checkGradient("unsqueezed", [random.normal([2, 3])]) { $0[0].unsqueezed(axis: -1) }
        checkGradient("contiguous of a transpose", [random.normal([3, 4])]) { $0[0].T.contiguous() }
    }

    @Test func joiningSplittingAndPadding() {
        let random = Inputs(seed: 7)
        checkGradient("concat axis 1", [random.normal([2, 3]), random.normal([2, 1]), random.normal([2, 2])]) {
            Tensor.concat($0, axis: 1)
        }
        checkGradient("concat of views", [random.normal([3, 2])]) { Tensor.concat([$0[0].T, $0[0].T * 2], axis: 0) }
        checkGradient("stack last axis", [random.normal([2, 3]), random.normal([2, 3])]) { Tensor.stack($0, axis: -1) }
        checkGradient("split sizes", [random.normal([5, 2])]) {
            let pieces = $0[0].split(sizes: [2, 3])
            return Tensor.concat([pieces[1] * 3, pieces[0]], axis: 0)
        }
        checkGradient("split size", [random.normal([2, 5])]) {
            let pieces = $0[0].split(size: 2, axis: 1)   // sizes 2, 2, 1
            return pieces[0] * pieces[1] + pieces[2]
        }
        checkGradient("padded with a value", [random.normal([1, 2, 3, 3])]) { $0[0].padded([1, 2, 0, 1, 1, 0], value: 1.5) }
    }

    @Test func indexing() {
        let random = Inputs(seed: 8)
        let repeated = IntTensor([0, 2, 2, 1, 0, 0], shape: [3, 2])
        checkGradient("gathered axis 1 with repeats", [random.normal([3, 4])]) { $0[0].gathered(axis: 1, indices: repeated) }
        let rows = IntTensor([2, 0, 2, 1], shape: [2, 2])
        checkGradient("gathered axis 0", [random.normal([3, 2])]) { $0[0].gathered(axis: 0, indices: rows) }
        checkGradient("scatterAdding into and from", [random.normal([3, 4]), random.normal([3, 2])]) {
            $0[0].scatterAdding(axis: 1, indices: repeated, source: $0[1])
        }
        let selection = IntTensor([3, 0, 0, 2])
        checkGradient("indexSelected axis 1 with repeats", [random.normal([2, 4, 3])]) {
            $0[0].indexSelected(axis: 1, indices: selection)
        }
        let tokens = IntTensor([1, 3, 3, 0, 4, 1], shape: [2, 3])
        checkGradient("embeddingLookup", [random.normal([5, 4])]) { $0[0].embeddingLookup(tokens) }
        checkGradient("embedding", [random.normal([5, 4])]) { embedding(tokens, weight: $0[0]) }
    }

    @Test func matrixProducts() {
        let random = Inputs(seed: 9)
        checkGradient("matmul 2-D", [random.normal([3, 4]), random.normal([4, 2])]) { matmul($0[0], $0[1]) }
        checkGradient("matmul vector · matrix", [random.normal([4]), random.normal([4, 3])]) { matmul($0[0], $0[1]) }
        checkGradient("matmul matrix · vector", [random.normal([3, 4]), random.normal([4])]) { matmul($0[0], $0[1]) }
        checkGradient("matmul batched broadcast", [random.normal([2, 1, 3, 4]), random.normal([3, 4, 2])]) {
            matmul($0[0], $0[1])
        }
        checkGradient("matmul batched · vector", [random.normal([2, 3, 4]), random.normal([4])]) { matmul($0[0], $0[1]) }
        checkGradient("matmul transposed operands", [random.normal([4, 3]), random.normal([2, 4])]) {
            matmul($0[0].T, $0[1].T)
        }
        checkGradient("matmul of a tensor with itself", [random.normal([3, 3])]) { $0[0].matmul($0[0]) }
        checkGradient("linear with bias", [random.normal([2, 3, 4]), random.normal([5, 4]), random.normal([5])]) {
            linear($0[0], weight: $0[1], bias: $0[2])
        }
        checkGradient("linear without bias", [random.normal([3, 4]), random.normal([2, 4])]) { linear($0[0], weight: $0[1]) }
    }

    /// 1-D · 1-D is the dot product, a rank-0 tensor, as in PyTorch (`torch.matmul(a, b)`). It runs in a
    /// child process because a shape bug here ends in a precondition, which would otherwise stop the
    /// whole test run instead of failing this one test.
    @Test func vectorDotVectorIsAScalar() async {
        await #expect(processExitsWith: .success, "matmul(1-D, 1-D) must give the rank-0 dot product") {
            let a = Tensor([1, 2, 3], requiresGrad: true), b = Tensor([4, 5, -6], requiresGrad: true)
            let product = matmul(a, b)
            precondition(product.shape == [] && product.item == -4, "a·b = 4 + 10 − 18 = −4")
            let grads = gradients(of: product, withRespectTo: [a, b])   // d(a·b)/da = b, d(a·b)/db = a
            precondition(grads[0].scalars == [4, 5, -6] && grads[1].scalars == [1, 2, 3], "gradients of a·b")
        }
    }

    @Test func convolutions() {
        let random = Inputs(seed: 10)
        checkGradient("conv1d stride padding dilation groups",
                      [random.normal([2, 4, 7]), random.normal([4, 2, 3]), random.normal([4])]) {
            conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, dilation: 2, groups: 2)
        }
        checkGradient("conv1d plain", [random.normal([1, 2, 6]), random.normal([3, 2, 2])]) { conv1d($0[0], weight: $0[1]) }
        checkGradient("conv2d padding", [random.normal([1, 2, 5, 5]), random.normal([3, 2, 3, 3]), random.normal([3])]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1)
        }
        checkGradient("conv2d uneven stride and padding", [random.normal([1, 2, 6, 5]), random.normal([2, 2, 3, 2])]) {
            conv2d($0[0], weight: $0[1], stride: Size2(2, 1), padding: Size2(1, 0))
        }
        checkGradient("conv2d dilation", [random.normal([1, 1, 6, 6]), random.normal([2, 1, 2, 3]), random.normal([2])]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], dilation: 2)
        }
        checkGradient("conv2d groups", [random.normal([1, 4, 4, 4]), random.normal([6, 2, 2, 2])]) {
            conv2d($0[0], weight: $0[1], groups: 2)
        }
        checkGradient("conv2d depthwise", [random.normal([2, 3, 4, 4]), random.normal([3, 1, 3, 3]), random.normal([3])]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1, groups: 3)
        }
        checkGradient("convTranspose2d stride padding outputPadding",
                      [random.normal([1, 3, 3, 3]), random.normal([3, 2, 3, 3]), random.normal([2])]) {
            convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
        }
        checkGradient("convTranspose2d groups dilation", [random.normal([1, 4, 3, 3]), random.normal([4, 1, 2, 2])]) {
            convTranspose2d($0[0], weight: $0[1], dilation: 2, groups: 2)
        }
    }

    @Test func pooling() {
        let random = Inputs(seed: 11)
        checkGradient("maxPool2d 2", [random.distinct([1, 2, 4, 4])]) { maxPool2d($0[0], kernelSize: 2) }
        checkGradient("maxPool2d 3 stride 2 padding 1", [random.distinct([1, 1, 5, 5])]) {
            maxPool2d($0[0], kernelSize: 3, stride: 2, padding: 1)
        }
        checkGradient("maxPool2d overlapping stride 1", [random.distinct([1, 1, 4, 4])]) {
            maxPool2d($0[0], kernelSize: 2, stride: 1)
        }
        checkGradient("maxPool2d dilation", [random.distinct([1, 1, 5, 5])]) { maxPool2d($0[0], kernelSize: 2, dilation: 2) }
        checkGradient("avgPool2d 2", [random.normal([1, 2, 4, 4])]) { avgPool2d($0[0], kernelSize: 2) }
        checkGradient("avgPool2d padding counted", [random.normal([1, 1, 5, 5])]) {
            avgPool2d($0[0], kernelSize: 3, stride: 2, padding: 1, countIncludePadding: true)
        }
        checkGradient("avgPool2d padding not counted", [random.normal([1, 1, 5, 5])]) {
            avgPool2d($0[0], kernelSize: 3, stride: 2, padding: 1, countIncludePadding: false)
        }
        checkGradient("adaptiveAvgPool2d uneven", [random.normal([1, 2, 5, 7])]) { adaptiveAvgPool2d($0[0], outputSize: Size2(2, 3)) }
        checkGradient("adaptiveAvgPool2d 1", [random.normal([2, 2, 3, 3])]) { adaptiveAvgPool2d($0[0], outputSize: 1) }
    }

    @Test func interpolation() {
        let random = Inputs(seed: 12)
        checkGradient("nearest scale 2", [random.normal([1, 2, 3, 3])]) { interpolate($0[0], scaleFactor: 2) }
        checkGradient("nearest to size", [random.normal([1, 1, 3, 2])]) { interpolate($0[0], size: Size2(5, 3), mode: .nearest) }
        checkGradient("bilinear scale 2", [random.normal([1, 2, 3, 3])]) {
            interpolate($0[0], scaleFactor: 2, mode: .bilinear, alignCorners: false)
        }
        checkGradient("bilinear to size, corners aligned", [random.normal([1, 1, 3, 3])]) {
            interpolate($0[0], size: Size2(4, 5), mode: .bilinear, alignCorners: true)
        }
        checkGradient("bilinear to size", [random.normal([1, 1, 3, 4])]) {
            interpolate($0[0], size: Size2(5, 3), mode: .bilinear)
        }
    }

    @Test func normalisation() {
        let random = Inputs(seed: 13)
        let affine = [random.normal([4, 3, 2, 2]), random.positive([3]), random.normal([3])]
        checkGradient("batchNorm training", affine) {
            batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: $0[1], bias: $0[2], training: true)
        }
        checkGradient("batchNorm training updating running statistics", affine) {
            batchNorm($0[0], runningMean: Tensor.zeros([3]), runningVariance: Tensor.ones([3]),
                      weight: $0[1], bias: $0[2], training: true)
        }
        let mean = random.normal([3]), variance = random.positive([3])
        checkGradient("batchNorm evaluation", affine) {
            batchNorm($0[0], runningMean: mean, runningVariance: variance, weight: $0[1], bias: $0[2], training: false)
        }
        checkGradient("batchNorm (N, C) without affine", [random.normal([5, 3])]) {
            batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: nil, bias: nil, training: true)
        }
        checkGradient("layerNorm two axes", [random.normal([2, 3, 4]), random.positive([3, 4]), random.normal([3, 4])]) {
            layerNorm($0[0], normalizedShape: [3, 4], weight: $0[1], bias: $0[2])
        }
        checkGradient("layerNorm without affine", [random.normal([3, 5])]) {
            layerNorm($0[0], normalizedShape: [5], weight: nil, bias: nil)
        }
        checkGradient("groupNorm", [random.normal([2, 4, 2, 2]), random.positive([4]), random.normal([4])]) {
            groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2])
        }
        checkGradient("groupNorm one group without affine", [random.normal([2, 3, 3])]) {
            groupNorm($0[0], groups: 1, weight: nil, bias: nil)
        }
    }

    @Test func regressionLosses() {
        let random = Inputs(seed: 14)
        let target = random.normal([3, 4])
        for reduction in [LossReduction.none, .mean, .sum] {
            checkGradient("mseLoss \(reduction)", [random.normal([3, 4]), target]) { mseLoss($0[0], $0[1], reduction: reduction) }
        }
        // Differences away from the kinks: 0 for L1, ±delta (±beta) for Huber (smooth L1).
        let nearTarget = { (kinks: [Float]) in target + random.avoiding(kinks, [3, 4]) }
        checkGradient("l1Loss", [nearTarget([0]), target]) { l1Loss($0[0], $0[1]) }
        checkGradient("l1Loss sum", [nearTarget([0]), target]) { l1Loss($0[0], $0[1], reduction: .sum) }
        checkGradient("huberLoss delta 0.5", [nearTarget([-0.5, 0.5]), target]) { huberLoss($0[0], $0[1], delta: 0.5) }
        checkGradient("huberLoss none", [nearTarget([-1, 1]), target]) { huberLoss($0[0], $0[1], reduction: .none) }
        checkGradient("smoothL1Loss beta 0.5", [nearTarget([-0.5, 0.5]), target]) { smoothL1Loss($0[0], $0[1], beta: 0.5) }
        // Cosine embedding: row 0 pulls together (target 1); row 1 is nearly parallel, so cos − margin ≈ 0.7
        // is active; row 2 is nearly opposite, so max(0, cos − margin) is flat: all away from the kink.
        let anchors = random.normal([3, 4])
        let partners = Tensor.concat([random.normal([1, 4]),
                                      anchors.sliced(axis: 0, start: 1, end: 2) + random.normal([1, 4], scale: 0.1),
                                      -anchors.sliced(axis: 0, start: 2, end: 3) + random.normal([1, 4], scale: 0.1)], axis: 0)
        let similarity = Tensor([1, -1, -1])
        checkGradient("cosineEmbeddingLoss", [anchors, partners]) { cosineEmbeddingLoss($0[0], $0[1], similarity, margin: 0.2) }
        checkGradient("cosineEmbeddingLoss none", [anchors, partners]) {
            cosineEmbeddingLoss($0[0], $0[1], similarity, margin: 0.2, reduction: .none)
        }
        checkGradient("cosineSimilarity axis 1", [random.normal([3, 4]), random.normal([3, 4])]) { cosineSimilarity($0[0], $0[1]) }
        checkGradient("cosineSimilarity axis 0 broadcast", [random.normal([4, 2]), random.normal([4, 1])]) {
            cosineSimilarity($0[0], $0[1], axis: 0)
        }
    }

    @Test func classificationLosses() {
        let random = Inputs(seed: 15)
        let labels = random.labels([4], classes: 5)
        let classWeights = random.positive([5])
        checkGradient("crossEntropy", [random.normal([4, 5])]) { crossEntropy($0[0], labels) }
        checkGradient("crossEntropy class weights", [random.normal([4, 5])]) { crossEntropy($0[0], labels, weight: classWeights) }
        checkGradient("crossEntropy label smoothing sum", [random.normal([4, 5])]) {
            crossEntropy($0[0], labels, labelSmoothing: 0.2, reduction: .sum)
        }
        checkGradient("crossEntropy weights and smoothing", [random.normal([4, 5])]) {
            crossEntropy($0[0], labels, weight: classWeights, labelSmoothing: 0.1)
        }
        let ignoring = IntTensor([1, 2, 4, 2])
        checkGradient("crossEntropy ignoreIndex", [random.normal([4, 5])]) { crossEntropy($0[0], ignoring, ignoreIndex: 2) }
        checkGradient("crossEntropy none", [random.normal([4, 5])]) { crossEntropy($0[0], labels, reduction: .none) }
        let sequence = random.labels([2, 3], classes: 4)
        checkGradient("crossEntropy (N, C, L)", [random.normal([2, 4, 3])]) { crossEntropy($0[0], sequence) }
        checkGradient("crossEntropy probabilities", [random.normal([3, 4]), random.positive([3, 4])]) {
            crossEntropy($0[0], probabilities: $0[1] / $0[1].sum(axis: 1, keepDims: true))
        }
        checkGradient("crossEntropy probabilities weighted smoothed", [random.normal([3, 4]), random.uniform([3, 4], 0, 1)]) {
            crossEntropy($0[0], probabilities: $0[1], weight: classWeights.sliced(axis: 0, end: 4), labelSmoothing: 0.1)
        }
        checkGradient("nllLoss", [random.normal([4, 5])]) { nllLoss($0[0], labels) }
        checkGradient("nllLoss class weights sum", [random.normal([4, 5])]) {
            nllLoss($0[0], labels, weight: classWeights, reduction: .sum)
        }
        checkGradient("binaryCrossEntropy", [random.uniform([3, 4], 0.1, 0.9), random.uniform([3, 4], 0, 1)]) {
            binaryCrossEntropy($0[0], $0[1])
        }
        let rowWeights = random.positive([3, 1])
        checkGradient("binaryCrossEntropy weights sum", [random.uniform([3, 4], 0.1, 0.9), random.uniform([3, 4], 0, 1)]) {
            binaryCrossEntropy($0[0], $0[1], weight: rowWeights, reduction: .sum)
        }
        checkGradient("binaryCrossEntropyWithLogits", [random.normal([3, 4], scale: 2), random.uniform([3, 4], 0, 1)]) {
            binaryCrossEntropyWithLogits($0[0], $0[1])
        }
        let elementWeights = random.positive([4]), positiveWeights = random.positive([4])
        checkGradient("binaryCrossEntropyWithLogits weights", [random.normal([3, 4], scale: 2), random.uniform([3, 4], 0, 1)]) {
            binaryCrossEntropyWithLogits($0[0], $0[1], weight: elementWeights, positiveWeight: positiveWeights, reduction: .sum)
        }
    }

    @Test func divergenceLosses() {
        let random = Inputs(seed: 16)
        let logProbabilities = random.normal([3, 4]).logSoftmax(axis: 1).detached()
        let probabilities = random.normal([3, 4]).softmax(axis: 1).detached()
        checkGradient("klDivergence batchMean", [logProbabilities, probabilities]) {
            klDivergence($0[0], $0[1], reduction: .batchMean)
        }
        checkGradient("klDivergence mean", [logProbabilities, probabilities]) { klDivergence($0[0], $0[1]) }
        checkGradient("klDivergence sum", [logProbabilities, probabilities]) { klDivergence($0[0], $0[1], reduction: .sum) }
        checkGradient("klDivergence none", [logProbabilities, probabilities]) { klDivergence($0[0], $0[1], reduction: .none) }
        checkGradient("klDivergence log target", [logProbabilities, probabilities.log()]) {
            klDivergence($0[0], $0[1], reduction: .batchMean, logTarget: true)
        }
    }

    @Test func attention() {
        let random = Inputs(seed: 17)
        let shapes = [random.normal([2, 3, 4]), random.normal([2, 5, 4]), random.normal([2, 5, 3])]
        checkGradient("attention", shapes) { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) }
        checkGradient("attention scale", shapes) { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], scale: 0.3) }
        let allowed = Tensor([1, 1, 0, 0, 1,
                              0, 1, 1, 1, 0,
                              1, 0, 0, 0, 0], shape: [3, 5])
        checkGradient("attention allowed mask", shapes) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], allowed: allowed)
        }
        let additive = random.normal([3, 5])
        checkGradient("attention additive mask", shapes) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], additiveMask: additive)
        }
        checkGradient("attention causal, heads", [random.normal([1, 2, 4, 3]), random.normal([1, 2, 4, 3]), random.normal([1, 2, 4, 3])]) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true)
        }
    }

    /// Gradients of gradients: the backward rules are themselves differentiated.
    @Test func secondDerivatives() {
        let random = Inputs(seed: 18)
        checkSecondDerivative("tanh", [random.normal([2, 3])]) { $0[0].tanh() }
        checkSecondDerivative("sigmoid", [random.normal([2, 3], scale: 2)]) { $0[0].sigmoid() }
        checkSecondDerivative("softmax", [random.normal([2, 4])]) { $0[0].softmax() }
        checkSecondDerivative("logSoftmax", [random.normal([2, 4])]) { $0[0].logSoftmax(axis: 1) }
        checkSecondDerivative("matmul", [random.normal([2, 3]), random.normal([3, 2])]) { matmul($0[0], $0[1]) }
        checkSecondDerivative("conv2d", [random.normal([1, 2, 4, 4]), random.normal([2, 2, 3, 3]), random.normal([2])]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1)
        }
        checkSecondDerivative("divide", [random.normal([4]), random.positive([4])]) { $0[0] / $0[1] }
        // Batch statistics run fused kernels forward and backward; a recorded backward pass takes the
        // differentiable formula instead, which this checks.
        checkSecondDerivative("batchNorm training", [random.normal([4, 3, 2, 2]), random.positive([3]), random.normal([3])]) {
            batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: $0[1], bias: $0[2], training: true)
        }
        checkSecondDerivative("gelu", [random.normal([5])]) { $0[0].gelu() }
        checkSecondDerivative("linear tanh", [random.normal([2, 3]), random.normal([4, 3]), random.normal([4])]) {
            linear($0[0], weight: $0[1], bias: $0[2]).tanh()
        }
    }
}
