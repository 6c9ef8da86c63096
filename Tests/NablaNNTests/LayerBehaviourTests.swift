import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

// What each layer computes beyond its gradient: output shapes, PyTorch's padding and initialisation
// rules, running statistics, dropout statistics, embedding padding, and equalities between layers that
// must hold (a transposed convolution is the adjoint of a convolution, Conv1d is Conv2d on one row).

extension NablaNNSuite {
    @Suite struct ConvolutionLayerTests {
        let generator = RandomGenerator(seed: 21)

        @Test func outputShapesFollowPyTorchFormula() {
            let input = Tensor.zeros([2, 3, 9, 8])
            func shape(_ padding: ConvolutionPadding, kernel: Size2 = 3, stride: Size2 = 1, dilation: Size2 = 1) -> [Int] {
                Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: kernel, stride: stride, padding: padding,
                       dilation: dilation, generator: generator)(input).shape
            }
            #expect(shape(.valid) == [2, 4, 7, 6])
            #expect(shape(1) == [2, 4, 9, 8])
            #expect(shape(1, stride: 2) == [2, 4, 5, 4])
            #expect(shape(.same) == [2, 4, 9, 8])
            #expect(shape(.same, kernel: Size2(4, 2)) == [2, 4, 9, 8])
            #expect(shape(.same, kernel: 3, dilation: 3) == [2, 4, 9, 8])
            #expect(shape(.explicit(Size2(0, 2)), kernel: Size2(1, 5)) == [2, 4, 9, 8])
            #expect(shape(0, dilation: 2) == [2, 4, 5, 4])
        }

        /// With an even kernel PyTorch puts the odd padding zero after (bottom, right): kernel 4 pads 1 before
        /// and 2 after.
        @Test func samePaddingPutsTheOddZeroAfter() {
            let conv = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 4, padding: .same, generator: generator)
            let input = generator.normal([1, 2, 5, 6])
            let manual = conv2d(input.padded([1, 2, 1, 2]), weight: conv.weight, bias: conv.bias)
            expectClose(conv(input), manual, "Conv2d .same with kernel 4", tolerance: .exact)

            let conv1 = Conv1d(inputChannels: 2, outputChannels: 3, kernelSize: 4, padding: .same, dilation: 1, generator: generator)
            let sequence = generator.normal([1, 2, 7])
            expectClose(conv1(sequence), conv1d(sequence.padded([1, 2]), weight: conv1.weight, bias: conv1.bias),
                        "Conv1d .same with kernel 4", tolerance: .exact)
        }

        @Test func conv1dIsConv2dOnOneRow() {
            let conv1 = Conv1d(inputChannels: 2, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, dilation: 2, groups: 2,
                               generator: generator)
            let conv2 = Conv2d(inputChannels: 2, outputChannels: 4, kernelSize: Size2(1, 3), stride: Size2(1, 2),
                               padding: .explicit(Size2(0, 1)), dilation: Size2(1, 2), groups: 2, generator: generator)
            conv2.weight.assign(conv1.weight.unsqueezed(axis: 2))
            conv2.bias!.assign(conv1.bias!)
            let input = generator.normal([3, 2, 11])
            expectClose(conv1(input), conv2(input.unsqueezed(axis: 2)).squeezed(axis: 2), "Conv1d vs Conv2d", tolerance: .exact)
        }

        /// PyTorch: weight and bias U(±1/√fanIn) with fanIn = inputChannels/groups·kh·kw for Conv2d, and
        /// weight.shape[1]·kh·kw = outputChannels/groups·kh·kw for ConvTranspose2d.
        @Test func initialisationBoundsFollowPyTorch() {
            func expectUniform(_ tensor: Tensor, bound: Float, _ label: String) {
                let values = tensor.scalars
                #expect(values.allSatisfy { Swift.abs($0) <= bound }, "\(label) exceeds ±\(bound)")
                // Spread over the whole interval, not a narrower one (checked where there are enough values
                // that missing either end by chance is below 10⁻⁴).
                if values.count >= 300 {
                    #expect(values.max()! > 0.9 * bound && values.min()! < -0.9 * bound, "\(label) does not fill ±\(bound)")
                }
            }
            let conv = Conv2d(inputChannels: 6, outputChannels: 32, kernelSize: Size2(3, 2), groups: 2, generator: generator)
            #expect(conv.weight.shape == [32, 3, 3, 2])
            expectUniform(conv.weight, bound: 1 / Float(3 * 3 * 2).squareRoot(), "Conv2d weight")
            expectUniform(conv.bias!, bound: 1 / Float(3 * 3 * 2).squareRoot(), "Conv2d bias")

            let transposed = ConvTranspose2d(inputChannels: 32, outputChannels: 12, kernelSize: 3, groups: 4, generator: generator)
            #expect(transposed.weight.shape == [32, 3, 3, 3])
            expectUniform(transposed.weight, bound: 1 / Float(3 * 3 * 3).squareRoot(), "ConvTranspose2d weight")
            expectUniform(transposed.bias!, bound: 1 / Float(3 * 3 * 3).squareRoot(), "ConvTranspose2d bias")

            let conv1 = Conv1d(inputChannels: 4, outputChannels: 40, kernelSize: 5, generator: generator)
            expectUniform(conv1.weight, bound: 1 / Float(4 * 5).squareRoot(), "Conv1d weight")
            #expect(Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: 1, bias: false, generator: generator).bias == nil)
        }

        @Test func depthwiseSeparableConvolutionHasFewParameters() {
            let depthwise = Conv2d(inputChannels: 8, outputChannels: 8, kernelSize: 3, padding: 1, groups: 8, generator: generator)
            let pointwise = Conv2d(inputChannels: 8, outputChannels: 16, kernelSize: 1, generator: generator)
            let separable = Sequential(depthwise, pointwise)
            #expect(depthwise.weight.shape == [8, 1, 3, 3])
            #expect(separable.parameterCount() == (8 * 9 + 8) + (16 * 8 + 16))
            #expect(separable(Tensor.zeros([2, 8, 6, 6])).shape == [2, 16, 6, 6])
            // Each depthwise output channel sees only its own input channel.
            let input = Tensor.zeros([1, 8, 4, 4])
            input.withUnsafeMutableBufferPointer { $0[3 * 16 + 5] = 1 }   // channel 3 only
            let response = depthwise(input) - depthwise(Tensor.zeros([1, 8, 4, 4]))
            let energy = (response * response).sum(axes: [0, 2, 3]).scalars
            #expect(energy.indices.allSatisfy { ($0 == 3) == (energy[$0] > 0) }, "\(energy)")
        }

        /// ⟨convTranspose(y), x⟩ = ⟨y, conv(x)⟩ for the same weight: PyTorch's (in, out, kh, kw) layout
        /// of ConvTranspose2d is Conv2d's (out, in, kh, kw) read the other way.
        @Test func transposedConvolutionIsTheAdjointOfConvolution() {
            let transposed = ConvTranspose2d(inputChannels: 4, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1,
                                             outputPadding: 1, bias: false, generator: generator)
            let y = generator.normal([2, 4, 3, 3])
            let up = transposed(y)
            #expect(up.shape == [2, 2, 6, 6])
            let x = generator.normal(up.shape)
            let down = conv2d(x, weight: transposed.weight, stride: 2, padding: 1)
            expectClose((up * x).sum().item, Double((y * down).sum().item), "adjoint identity")
        }

        @Test func transposedConvolutionReachesARequestedOutputSize() {
            let up = ConvTranspose2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, generator: generator)
            let input = generator.normal([1, 2, 4, 4])
            #expect(up(input).shape == [1, 3, 7, 7])
            #expect(up(input, outputSize: Size2(8, 7)).shape == [1, 3, 8, 7])
            // The same as building the layer with that output padding.
            let padded = ConvTranspose2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1,
                                         outputPadding: Size2(1, 0), generator: generator)
            padded.weight.assign(up.weight)
            padded.bias!.assign(up.bias!)
            expectClose(up(input, outputSize: Size2(8, 7)), padded(input), "outputSize vs outputPadding", tolerance: .exact)
        }

        @Test func conv1dExplicitPaddingIsOneNumber() async {
            await #expect(processExitsWith: .failure) {
                _ = Conv1d(inputChannels: 1, outputChannels: 1, kernelSize: 3, padding: .explicit(Size2(1, 2)),
                           generator: RandomGenerator(seed: 0))
            }
        }
    }

    @Suite struct PoolingAndResizingLayerTests {
        /// 0, 1, …, 15 in a 4×4 plane.
        let ramp = Tensor.arange(0, 16).reshaped([1, 1, 4, 4])

        @Test func poolingValues() {
            #expect(MaxPool2d(kernelSize: 2)(ramp).scalars == [5, 7, 13, 15])
            #expect(AvgPool2d(kernelSize: 2)(ramp).scalars == [2.5, 4.5, 10.5, 12.5])
            #expect(MaxPool2d(kernelSize: 3, stride: 1, padding: 1)(ramp).shape == [1, 1, 4, 4])
            // Corner window with padding: 4 real values out of 9 (PyTorch's default divides by 9).
            let cornerSum: Double = 0 + 1 + 4 + 5
            let counted = AvgPool2d(kernelSize: 3, stride: 1, padding: 1)(ramp)
            let excluded = AvgPool2d(kernelSize: 3, stride: 1, padding: 1, countIncludePadding: false)(ramp)
            expectClose(counted[0, 0, 0, 0], cornerSum / 9, "with padding")
            expectClose(excluded[0, 0, 0, 0], cornerSum / 4, "without padding")
            // A dilated 2×2 window reads every other row and column.
            #expect(MaxPool2d(kernelSize: 2, stride: 1, dilation: 2)(ramp).scalars == [10, 11, 14, 15])
        }

        @Test func adaptiveAveragePooling() {
            #expect(AdaptiveAvgPool2d(outputSize: 1)(ramp).scalars == [7.5])
            #expect(AdaptiveAvgPool2d(outputSize: 2)(ramp).scalars == [2.5, 4.5, 10.5, 12.5])
            // 4 → 3 windows overlap: rows 0..<2, 1..<3, 2..<4.
            let pooled = AdaptiveAvgPool2d(outputSize: Size2(3, 1))(ramp)
            #expect(pooled.shape == [1, 1, 3, 1])
            expectClose(pooled, Tensor([3.5, 7.5, 11.5], shape: [1, 1, 3, 1]), "adaptive 4 → 3", tolerance: .exact)
        }

        @Test func upsampling() {
            let small = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
            #expect(Upsample(scaleFactor: 2)(small).scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
            #expect(Upsample(size: Size2(3, 1))(small).shape == [1, 1, 3, 1])
            // PyTorch: F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)[0, 0, 0]
            // = [1, 1.25, 1.75, 2] (half-pixel centres, clamped at the border).
            let bilinear = Upsample(scaleFactor: 2, mode: .bilinear)(small)
            expectClose(bilinear.sliced(axis: 2, start: 0, end: 1).reshaped([4]), Tensor([1, 1.25, 1.75, 2]), "bilinear row 0",
                        tolerance: .exact)
            // With aligned corners the corners are kept and the middle interpolates: [1, 1.5, 2] along a row.
            let aligned = Upsample(size: Size2(3, 3), mode: .bilinear, alignCorners: true)(small)
            expectClose(aligned, Tensor([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], shape: [1, 1, 3, 3]), "aligned corners", tolerance: .exact)
        }
    }

    @Suite struct NormalizationLayerTests {
        let generator = RandomGenerator(seed: 31)

        /// Training mode: batch statistics normalise, running statistics move by momentum with the unbiased
        /// variance, and the batch counter counts.
        @Test func batchNormTrainingUpdatesRunningStatistics() {
            let norm = BatchNorm2d(featureCount: 3)
            let input = generator.normal([4, 3, 2, 2], standardDeviation: 2) + 1
            let output = norm(input)
            let mean = input.mean(axes: [0, 2, 3])
            let unbiased = input.variance(axes: [0, 2, 3], unbiased: true)
            expectClose(norm.runningMean, mean * 0.1, "running mean", tolerance: .exact)
            expectClose(norm.runningVariance, unbiased * 0.1 + 0.9, "running variance", tolerance: .exact)
            #expect(norm.numBatchesTracked.item == 1)
            expectClose(output.mean(axes: [0, 2, 3]), Tensor.zeros([3]), "normalised mean", tolerance: .exact)
            expectClose(output.variance(axes: [0, 2, 3], unbiased: false), Tensor.ones([3]), "normalised variance",
                        tolerance: Tolerance(absolute: 1e-4, relative: 0))
            _ = norm(input)
            #expect(norm.numBatchesTracked.item == 2)
        }

        @Test func batchNormEvaluationUsesRunningStatistics() {
            let norm = BatchNorm1d(featureCount: 2, epsilon: 1e-3)
            norm.runningMean.assign(Tensor([1, -2]))
            norm.runningVariance.assign(Tensor([4, 0.25]))
            norm.weight!.assign(Tensor([2, 1]))
            norm.bias!.assign(Tensor([0, 1]))
            norm.eval()
            let input = Tensor([3, -1, 1, -2], shape: [2, 2])
            let expected = Tensor([2 * 2 / Float(4.001).squareRoot(), 1 + 1 / Float(0.251).squareRoot(), 0, 1], shape: [2, 2])
            expectClose(norm(input), expected, "eval output", tolerance: .exact)
            #expect(norm.numBatchesTracked.item == 0)
            #expect(norm.runningMean.scalars == [1, -2])
            // A batch of one is fine in evaluation (no batch statistics needed).
            #expect(norm(Tensor([0, 0], shape: [1, 2])).shape == [1, 2])
        }

        /// momentum nil: the running statistics are the plain average over all batches seen.
        @Test func batchNormWithoutMomentumAveragesCumulatively() {
            let norm = BatchNorm1d(featureCount: 2, momentum: nil, affine: false)
            #expect(norm.parameters().isEmpty)
            let batches = (0..<3).map { _ in generator.normal([5, 2, 3]) }
            batches.forEach { _ = norm($0) }
            let meanOfMeans = batches.map { $0.mean(axes: [0, 2]) }.reduce(Tensor.zeros([2]), +) / 3
            expectClose(norm.runningMean, meanOfMeans, "cumulative running mean", tolerance: .exact)
            #expect(norm.numBatchesTracked.item == 3)
        }

        @Test func layerAndGroupNormalisation() {
            let input = generator.normal([2, 4, 3], standardDeviation: 3) + 2
            let layer = LayerNorm(normalizedShape: [4, 3])
            let output = layer(input)
            expectClose(output.mean(axes: [1, 2]), Tensor.zeros([2]), "layer norm mean", tolerance: .exact)
            // Group norm with one group normalises whole samples: layer norm over (C, L) with unit affine.
            expectClose(GroupNorm(groupCount: 1, channelCount: 4)(input), output, "one group = layer norm", tolerance: .exact)
            // One channel per group: each (sample, channel) row normalised on its own (instance norm).
            let instance = GroupNorm(groupCount: 4, channelCount: 4, affine: false)
            #expect(instance.parameters().isEmpty)
            expectClose(instance(input), LayerNorm(normalizedShape: [3], elementwiseAffine: false)(input), "instance norm",
                        tolerance: .exact)
            #expect(LayerNorm(normalizedShape: [3], bias: false).namedParameters().map(\.name) == ["weight"])
        }
    }

    @Suite struct DropoutTests {
        @Test func trainingDropsAboutPAndKeepsTheMean() {
            let dropout = Dropout(probability: 0.3, generator: RandomGenerator(seed: 41))
            let input = Tensor.ones([200, 250])
            let output = dropout(input).scalars
            let zeroFraction = Double(output.filter { $0 == 0 }.count) / Double(output.count)
            let mean = output.reduce(0, { $0 + Double($1) }) / Double(output.count)
            // 50,000 draws: the standard error of the fraction is √(0.3·0.7/50000) ≈ 0.002.
            #expect(Swift.abs(zeroFraction - 0.3) < 0.01, "zero fraction \(zeroFraction)")
            #expect(Swift.abs(mean - 1) < 0.02, "mean \(mean)")
            // Survivors are scaled by 1/(1 − p).
            #expect(output.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.7) < 1e-6 })
        }

        @Test func evaluationIsTheIdentity() {
            let dropout = Dropout(probability: 0.5, generator: RandomGenerator(seed: 42))
            dropout.eval()
            let input = RandomGenerator(seed: 1).normal([10, 10])
            #expect(dropout(input) === input)
            dropout.train()
            #expect(dropout(input).scalars != input.scalars)
        }

        @Test func sameSeedSameMask() {
            let input = Tensor.ones([8, 8])
            let first = Dropout(probability: 0.5, generator: RandomGenerator(seed: 7))
            let second = Dropout(probability: 0.5, generator: RandomGenerator(seed: 7))
            #expect(first(input).scalars == second(input).scalars)
            // The generator advances: the next mask differs.
            #expect(first(input).scalars != Dropout(probability: 0.5, generator: RandomGenerator(seed: 7))(input).scalars)
        }

        @Test func extremeProbabilities() {
            let input = Tensor([1, -2, 3], requiresGrad: true)
            #expect(Dropout(probability: 0, generator: RandomGenerator(seed: 0))(input) === input)
            let dropped = Dropout(probability: 1, generator: RandomGenerator(seed: 0))(input)
            #expect(dropped.scalars == [0, 0, 0])
            dropped.sum().backward()
            #expect(input.grad?.scalars == [0, 0, 0])
        }
    }

    @Suite struct EmbeddingTests {
        @Test func lookupShapesAndInitialisation() {
            let embedding = Embedding(embeddingCount: 400, embeddingSize: 50, generator: RandomGenerator(seed: 51))
            #expect(embedding(IntTensor([3, 1, 4, 1, 5, 9], shape: [2, 3])).shape == [2, 3, 50])
            // N(0, 1) like PyTorch: 20,000 values, mean and standard deviation within a few standard errors.
            let values = embedding.weight.scalars.map(Double.init)
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
            #expect(Swift.abs(mean) < 0.03 && Swift.abs(deviation - 1) < 0.03, "mean \(mean), deviation \(deviation)")
            // Float indices (a Sequential's input) select the same rows.
            #expect(embedding(Tensor([2, 7], shape: [1, 2])).scalars == embedding(IntTensor([2, 7], shape: [1, 2])).scalars)
        }

        @Test func paddingRowIsZeroAndGetsNoGradient() {
            let embedding = Embedding(embeddingCount: 6, embeddingSize: 3, paddingIndex: -1, generator: RandomGenerator(seed: 52))
            #expect(embedding.paddingIndex == 5)
            #expect(embedding.weight.sliced(axis: 0, start: 5, end: 6).scalars == [0, 0, 0])
            // Even with non-zero values loaded into the padding row, no gradient reaches it.
            embedding.weight.withUnsafeMutableBufferPointer { $0[15] = 1 }
            let output = embedding(IntTensor([5, 2, 5, 2], shape: [4]))
            #expect(output.sliced(axis: 0, start: 0, end: 1).scalars == [1, 0, 0])
            (output * Tensor([1, 2, 3], shape: [1, 3])).sum().backward()
            let gradient = embedding.weight.grad!
            #expect(gradient.sliced(axis: 0, start: 5, end: 6).scalars == [0, 0, 0])
            #expect(gradient.sliced(axis: 0, start: 2, end: 3).scalars == [2, 4, 6])
        }
    }

    @Suite struct ShapeAndActivationLayerTests {
        @Test func flattenAndIdentity() {
            let input = Tensor.zeros([2, 3, 4, 5])
            #expect(Flatten()(input).shape == [2, 60])
            #expect(Flatten(startAxis: 0)(input).shape == [120])
            #expect(Flatten(startAxis: 1, endAxis: 2)(input).shape == [2, 12, 5])
            #expect(Flatten(startAxis: -2)(input).shape == [2, 3, 20])
            #expect(Identity()(input) === input)
        }

        @Test func activationsMatchTheirTensorFunctions() {
            let input = RandomGenerator(seed: 61).normal([3, 4], standardDeviation: 2)
            let pairs: [(String, any Layer, Tensor)] = [
                ("ReLU", ReLU(), input.relu()), ("LeakyReLU", LeakyReLU(negativeSlope: 0.2), input.leakyRelu(negativeSlope: 0.2)),
                ("Sigmoid", Sigmoid(), input.sigmoid()), ("Tanh", Tanh(), input.tanh()), ("GELU", GELU(), input.gelu()),
                ("GELU tanh", GELU(approximation: .tanh), input.gelu(approximation: .tanh)), ("SiLU", SiLU(), input.silu()),
                ("Softmax", Softmax(axis: 0), input.softmax(axis: 0)), ("LogSoftmax", LogSoftmax(axis: 1), input.logSoftmax(axis: 1)),
            ]
            for (name, layer, expected) in pairs { expectClose(layer(input), expected, name, tolerance: .exact) }
            expectClose(Softmax(axis: -1)(input).sum(axis: -1), Tensor.ones([3]), "softmax rows sum to 1", tolerance: .exact)
        }

        /// y[j] = max over p of (x·Wᵀ + b)[j·pieces + p].
        @Test func maxoutTakesTheLargestPiece() {
            let maxout = Maxout(inputSize: 3, outputSize: 2, pieceCount: 4, generator: RandomGenerator(seed: 62))
            #expect(maxout.namedParameters().map(\.name) == ["linear.weight", "linear.bias"])
            #expect(maxout.linear.weight.shape == [8, 3])
            let input = RandomGenerator(seed: 63).normal([5, 3])
            let pieces = maxout.linear(input).scalars
            let expected = (0..<5).flatMap { row in
                (0..<2).map { feature in (0..<4).map { pieces[row * 8 + feature * 4 + $0] }.max()! }
            }
            #expect(maxout(input).shape == [5, 2])
            #expect(maxout(input).scalars == expected)
        }
    }
}
