import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

// Every layer's backward pass against central finite differences: the analytic gradient of
// L = Σ layer(x)·r (r a fixed random tensor, so every output element counts with its own weight) with
// respect to the input and to every parameter, against (L(θ + h) − L(θ − h)) / 2h element by element.
// Inputs are small and seeded, and kept away from kinks (relu at 0, ties in max pooling and maxout).

/// Step and tolerance of the finite-difference checks, chosen for float32 (stated once).
///
/// With h = 10⁻² the truncation error of a central difference is h²/6·|f‴| ≈ 2·10⁻⁵·|f‴|, and the rounding
/// error about ε·|L|/h ≈ 6·10⁻⁸·|L|·100 (L summed in double from float32 outputs of a few units); both stay
/// well below the tolerance, while a wrong rule is off by a sizeable part of the gradient itself.
enum FiniteDifferences {
    static let step: Float = 1e-2
    static let tolerance = Tolerance(absolute: 2e-3, relative: 1e-2)
}

/// Checks ∂L/∂input for each of `inputs` and ∂L/∂θ for each trainable parameter of `module`, with
/// L = Σ forward(inputs)·r. `prepare` runs before every evaluation (e.g. to replay a dropout mask).
func checkGradients(_ label: String, of module: Module, inputs: [Tensor], prepare: () -> Void = {},
                    step: Float = FiniteDifferences.step, tolerance: Tolerance = FiniteDifferences.tolerance,
                    sourceLocation: SourceLocation = #_sourceLocation, _ forward: ([Tensor]) -> Tensor) {
    let leaves = inputs.map { Tensor($0.scalars, shape: $0.shape, requiresGrad: true) }
    let parameters = module.trainableParameters()
    module.zeroGradients()
    prepare()
    let output = forward(leaves)
    let weights = RandomGenerator(seed: 97).normal(output.shape)
    (output * weights).sum().backward()
    let weightValues = weights.scalars.map(Double.init)

    /// L at the current parameter values for `values` as inputs, in double precision, recording nothing.
    func loss(_ values: [Tensor]) -> Double {
        withoutGradients {
            prepare()
            return zip(forward(values).scalars, weightValues).reduce(0) { $0 + Double($1.0) * $1.1 }
        }
    }
    let constants = inputs.map { Tensor($0.scalars, shape: $0.shape) }
    for (which, input) in inputs.enumerated() {
        let base = input.scalars
        let numeric = base.indices.map { element -> Double in
            var plus = base, minus = base
            plus[element] += step
            minus[element] -= step
            var shifted = constants
            shifted[which] = Tensor(plus, shape: input.shape)
            let upper = loss(shifted)
            shifted[which] = Tensor(minus, shape: input.shape)
            // Divide by the step actually taken after float32 rounding.
            return (upper - loss(shifted)) / (Double(plus[element]) - Double(minus[element]))
        }
        expectClose((leaves[which].grad ?? Tensor.zeros(input.shape)).scalars.map(Double.init), numeric,
                    "\(label): gradient of input \(which)", tolerance: tolerance, sourceLocation: sourceLocation)
    }
    for (name, parameter) in module.namedParameters() where parameter.requiresGrad {
        let numeric = (0..<parameter.count).map { element -> Double in
            let original = parameter.scalars[element]
            let (plus, minus) = (original + step, original - step)
            parameter.withUnsafeMutableBufferPointer { $0[element] = plus }
            let upper = loss(constants)
            parameter.withUnsafeMutableBufferPointer { $0[element] = minus }
            let lower = loss(constants)
            parameter.withUnsafeMutableBufferPointer { $0[element] = original }
            return (upper - lower) / (Double(plus) - Double(minus))
        }
        expectClose((parameter.grad ?? Tensor.zeros(parameter.shape)).scalars.map(Double.init), numeric,
                    "\(label): gradient of \(name)", tolerance: tolerance, sourceLocation: sourceLocation)
    }
    #expect(parameters.count == module.trainableParameters().count, "\(label): parameters changed")
}

/// Seeded test inputs.
struct TestData {
    let generator: RandomGenerator
    init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

    func normal(_ shape: [Int], scale: Float = 1) -> Tensor { generator.normal(shape, standardDeviation: scale) }

    /// Normal values pushed at least `margin` away from 0 (the kink of relu).
    func awayFromZero(_ shape: [Int], margin: Float = 0.1) -> Tensor {
        Tensor(generator.normal(shape).scalars.map { $0 + ($0 < 0 ? -margin : margin) }, shape: shape)
    }

    /// Distinct values `spacing` apart in random order, so max pooling never meets a tie within one step.
    func distinct(_ shape: [Int], spacing: Float = 0.1) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(generator.permutation(count).map { (Float($0) - Float(count) / 2) * spacing }, shape: shape)
    }

    /// Gives every parameter of `module` fresh N(0, scale²) values (norm layers start at ones and zeros,
    /// where a wrong rule could hide).
    func randomizeParameters(of module: Module, scale: Float = 0.5) {
        for parameter in module.parameters() { parameter.assign(normal(parameter.shape, scale: scale) + 1) }
    }
}

extension NablaNNSuite {
    @Suite struct LayerGradientCheckTests {
        /// One finite-difference check per layer (and per option that changes the computation).
        enum Case: String, CaseIterable, Sendable {
            case linear, linearWithoutBias
            case conv1d, conv1dSamePadding
            case conv2d, conv2dGrouped, conv2dSamePaddingDilated, depthwiseSeparable
            case convTranspose2d, convTranspose2dGroupedDilated
            case maxPool2d, avgPool2d, avgPool2dExcludingPadding, adaptiveAvgPool2d
            case upsampleNearest, upsampleBilinear, upsampleBilinearAlignedCorners
            case batchNorm1dTraining, batchNorm1dSequenceTraining, batchNorm2dTraining, batchNorm2dEvaluation
            case layerNorm, groupNorm
            case dropout, embedding, flatten, identity
            case relu, leakyRelu, sigmoid, tanh, gelu, geluTanh, silu, softmax, logSoftmax, maxout
            case smallConvolutionalNetwork
        }

        @Test(arguments: Case.allCases)
        func layerBackwardMatchesFiniteDifferences(_ which: Case) {
            let data = TestData(seed: 11)
            let generator = RandomGenerator(seed: 5)
            let label = which.rawValue
            /// The common case: one input through one layer.
            func check(_ layer: any Layer, _ input: Tensor, step: Float = FiniteDifferences.step, prepare: () -> Void = {}) {
                checkGradients(label, of: layer, inputs: [input], prepare: prepare, step: step) { layer($0[0]) }
            }
            switch which {
            case .linear:
                check(Linear(inputSize: 3, outputSize: 2, generator: generator), data.normal([4, 3]))
            case .linearWithoutBias:
                check(Linear(inputSize: 3, outputSize: 2, bias: false, generator: generator), data.normal([2, 2, 3]))
            case .conv1d:
                check(Conv1d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, dilation: 2,
                             generator: generator), data.normal([2, 2, 7]))
            case .conv1dSamePadding:
                // An even kernel: the odd padding zero goes on the right.
                check(Conv1d(inputChannels: 2, outputChannels: 2, kernelSize: 4, padding: .same, generator: generator),
                      data.normal([1, 2, 6]))
            case .conv2d:
                check(Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: Size2(3, 2), stride: Size2(2, 1),
                             padding: .explicit(Size2(1, 0)), generator: generator), data.normal([2, 2, 5, 4]))
            case .conv2dGrouped:
                check(Conv2d(inputChannels: 4, outputChannels: 2, kernelSize: 2, groups: 2, generator: generator),
                      data.normal([1, 4, 3, 3]))
            case .conv2dSamePaddingDilated:
                check(Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: Size2(2, 3), padding: .same, dilation: 2,
                             generator: generator), data.normal([1, 2, 5, 5]))
            case .depthwiseSeparable:
                check(Sequential(Conv2d(inputChannels: 3, outputChannels: 3, kernelSize: 3, padding: 1, groups: 3, generator: generator),
                                 Conv2d(inputChannels: 3, outputChannels: 2, kernelSize: 1, generator: generator)),
                      data.normal([1, 3, 4, 4]))
            case .convTranspose2d:
                check(ConvTranspose2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1,
                                      outputPadding: 1, generator: generator), data.normal([1, 2, 3, 3]))
            case .convTranspose2dGroupedDilated:
                check(ConvTranspose2d(inputChannels: 2, outputChannels: 4, kernelSize: 2, stride: 2, dilation: 2, groups: 2,
                                      generator: generator), data.normal([2, 2, 2, 2]))
            case .maxPool2d:
                check(MaxPool2d(kernelSize: 3, stride: 2, padding: 1), data.distinct([1, 2, 5, 5]))
            case .avgPool2d:
                check(AvgPool2d(kernelSize: Size2(2, 3), stride: 1, padding: 1), data.normal([1, 2, 4, 4]))
            case .avgPool2dExcludingPadding:
                check(AvgPool2d(kernelSize: 3, stride: 2, padding: 1, countIncludePadding: false), data.normal([1, 2, 5, 5]))
            case .adaptiveAvgPool2d:
                check(AdaptiveAvgPool2d(outputSize: Size2(2, 3)), data.normal([1, 2, 5, 7]))
            case .upsampleNearest:
                check(Upsample(scaleFactor: 2), data.normal([1, 2, 2, 3]))
            case .upsampleBilinear:
                check(Upsample(size: Size2(5, 4), mode: .bilinear), data.normal([1, 2, 3, 3]))
            case .upsampleBilinearAlignedCorners:
                check(Upsample(scaleFactor: 2, mode: .bilinear, alignCorners: true), data.normal([1, 1, 3, 2]))
            case .batchNorm1dTraining:
                let norm = BatchNorm1d(featureCount: 3)
                data.randomizeParameters(of: norm)
                check(norm, data.normal([4, 3]))
            case .batchNorm1dSequenceTraining:
                let norm = BatchNorm1d(featureCount: 2)
                data.randomizeParameters(of: norm)
                check(norm, data.normal([3, 2, 4]))
            case .batchNorm2dTraining:
                let norm = BatchNorm2d(featureCount: 2)
                data.randomizeParameters(of: norm)
                check(norm, data.normal([2, 2, 3, 3]))
            case .batchNorm2dEvaluation:
                let norm = BatchNorm2d(featureCount: 2)
                data.randomizeParameters(of: norm)
                norm.runningMean.assign(data.normal([2]))
                norm.runningVariance.assign(data.normal([2]).abs() + 0.5)
                norm.eval()
                check(norm, data.normal([2, 2, 3, 3]))
            case .layerNorm:
                let norm = LayerNorm(normalizedShape: [3, 4])
                data.randomizeParameters(of: norm)
                check(norm, data.normal([2, 3, 4]))
            case .groupNorm:
                let norm = GroupNorm(groupCount: 2, channelCount: 4)
                data.randomizeParameters(of: norm)
                check(norm, data.normal([2, 4, 3]))
            case .dropout:
                // Replaying the generator's state gives every evaluation the same mask.
                let dropout = Dropout(probability: 0.4, generator: RandomGenerator(seed: 3))
                let state = dropout.generator.state
                check(dropout, data.normal([3, 5])) { dropout.generator.state = state }
            case .embedding:
                // Indices are not differentiable: only the table's gradient is checked (a repeated index
                // accumulates both positions' gradients).
                let embedding = Embedding(embeddingCount: 5, embeddingSize: 3, generator: generator)
                let indices = IntTensor([4, 1, 1, 0, 3, 1], shape: [2, 3])
                checkGradients(label, of: embedding, inputs: []) { _ in embedding(indices) }
            case .flatten:
                check(Flatten(startAxis: 1, endAxis: 2), data.normal([2, 3, 2, 2]))
            case .identity:
                check(Identity(), data.normal([2, 3]))
            case .relu:
                check(ReLU(), data.awayFromZero([3, 4]))
            case .leakyRelu:
                check(LeakyReLU(negativeSlope: 0.2), data.awayFromZero([3, 4]))
            case .sigmoid:
                check(Sigmoid(), data.normal([3, 4], scale: 2))
            case .tanh:
                check(Tanh(), data.normal([3, 4]))
            case .gelu:
                check(GELU(), data.normal([3, 4], scale: 2))
            case .geluTanh:
                check(GELU(approximation: .tanh), data.normal([3, 4], scale: 2))
            case .silu:
                check(SiLU(), data.normal([3, 4], scale: 2))
            case .softmax:
                check(Softmax(axis: 1), data.normal([2, 4, 3]))
            case .logSoftmax:
                check(LogSoftmax(axis: -1), data.normal([3, 4]))
            case .maxout:
                check(Maxout(inputSize: 3, outputSize: 2, pieceCount: 3, generator: generator), data.normal([4, 3]))
            case .smallConvolutionalNetwork:
                let network = Sequential(
                    Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, generator: generator),
                    BatchNorm2d(featureCount: 2), ReLU(), MaxPool2d(kernelSize: 2), Flatten(),
                    Linear(inputSize: 8, outputSize: 3, generator: generator))
                // A smaller step: a weight moves many pre-activations at once (batch norm amplifies it), and
                // h = 10⁻² can push one across a relu or max-pool kink.
                check(network, data.normal([2, 1, 4, 4]), step: 1e-3)
            }
        }
    }
}
