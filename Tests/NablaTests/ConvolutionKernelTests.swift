@testable import Nabla
import NablaTestSupport
import Testing

// The sample-by-sample convolution kernels against the definition of cross-correlation, summed in
// double precision. The shapes are large enough to spread samples over several cores and to take every
// path: "same" convolutions (one shifted copy per column-matrix row), strides, dilation, groups, 1×1
// kernels (no column matrix), odd widths, a single large sample (BLAS threads inside), and small images
// whose samples share one product (`ConvolutionPlan.samplesPerProduct`), the batch not a multiple of it.

/// One convolution setting: input (batch, channels, height, width), weight (outputs, channels/groups, kh, kw).
struct ConvolutionCase: CustomStringConvertible, Sendable {
    let name: String
    let input: [Int], weight: [Int]
    var stride = Size2(1, 1), padding = Size2(0, 0), dilation = Size2(1, 1), groups = 1
    var description: String { name }
}

/// y = W ⋆ x + b and, for an output gradient dy, ∂/∂x and ∂/∂W of Σ dy·y, straight from the definition.
private func referenceConvolution(_ c: ConvolutionCase, x: [Float], w: [Float], b: [Float], dy: [Float],
                                  outputHeight: Int, outputWidth: Int) -> (y: [Double], dx: [Double], dw: [Double]) {
    let (batch, channels, height, width) = (c.input[0], c.input[1], c.input[2], c.input[3])
    let (outputs, groupChannels, kernelHeight, kernelWidth) = (c.weight[0], c.weight[1], c.weight[2], c.weight[3])
    let groupOutputs = outputs / c.groups
    var y = [Double](repeating: 0, count: batch * outputs * outputHeight * outputWidth)
    var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
    for n in 0..<batch {
        for o in 0..<outputs {
            for oy in 0..<outputHeight {
                for ox in 0..<outputWidth {
                    let outputIndex = ((n * outputs + o) * outputHeight + oy) * outputWidth + ox
                    var sum = Double(b[o])
                    for k in 0..<groupChannels {
                        let channel = (o / groupOutputs) * groupChannels + k
                        for i in 0..<kernelHeight {
                            let row = oy * c.stride.height - c.padding.height + i * c.dilation.height
                            guard row >= 0 && row < height else { continue }
                            for j in 0..<kernelWidth {
                                let column = ox * c.stride.width - c.padding.width + j * c.dilation.width
                                guard column >= 0 && column < width else { continue }
                                let inputIndex = ((n * channels + channel) * height + row) * width + column
                                let weightIndex = ((o * groupChannels + k) * kernelHeight + i) * kernelWidth + j
                                sum += Double(w[weightIndex]) * Double(x[inputIndex])
                                dx[inputIndex] += Double(w[weightIndex]) * Double(dy[outputIndex])
                                dw[weightIndex] += Double(x[inputIndex]) * Double(dy[outputIndex])
                            }
                        }
                    }
                    y[outputIndex] = sum
                }
            }
        }
    }
    return (y, dx, dw)
}

@Suite struct ConvolutionKernelTests {
    static let cases: [ConvolutionCase] = [
        ConvolutionCase(name: "3×3 same, many samples", input: [8, 16, 12, 12], weight: [16, 16, 3, 3], padding: 1),
        ConvolutionCase(name: "3×5 same with uneven padding", input: [6, 8, 11, 9], weight: [12, 8, 3, 5], padding: Size2(1, 2)),
        ConvolutionCase(name: "dilated same", input: [5, 8, 9, 9], weight: [8, 8, 3, 3], padding: 2, dilation: 2),
        ConvolutionCase(name: "valid 3×3", input: [8, 16, 10, 10], weight: [32, 16, 3, 3]),
        ConvolutionCase(name: "stride 2 with groups", input: [4, 6, 10, 10], weight: [9, 2, 3, 3], stride: 2, padding: 1, groups: 3),
        ConvolutionCase(name: "depthwise", input: [8, 16, 10, 10], weight: [16, 1, 3, 3], padding: 1, groups: 16),
        ConvolutionCase(name: "1×1", input: [8, 32, 7, 7], weight: [16, 32, 1, 1]),
        ConvolutionCase(name: "one pixel wide", input: [16, 4, 8, 1], weight: [8, 4, 3, 1], padding: Size2(1, 0)),
        ConvolutionCase(name: "one large sample", input: [1, 32, 20, 20], weight: [32, 32, 3, 3], padding: 1),
        // 49 positions: 8 samples share a product, and the last product has the 3 left over.
        ConvolutionCase(name: "7×7 same, samples sharing products", input: [11, 8, 7, 7], weight: [12, 8, 3, 3], padding: 1),
    ]

    @Test(arguments: cases) func convolutionAndGradientsMatchTheDefinition(_ c: ConvolutionCase) {
        let random = RandomGenerator(seed: 7)
        let x = random.normal(c.input), w = random.normal(c.weight), b = random.normal([c.weight[0]])
        for tensor in [x, w, b] { tensor.requiresGrad = true }
        let y = conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        let dy = random.normal(y.shape)
        y.backward(gradient: dy)
        let expected = referenceConvolution(c, x: x.scalars, w: w.scalars, b: b.scalars, dy: dy.scalars,
                                            outputHeight: y.shape[2], outputWidth: y.shape[3])
        let tolerance = Tolerance(absolute: 1e-4, relative: 1e-4)
        expectClose(y.scalars.map(Double.init), expected.y, shape: y.shape, "\(c) output", tolerance: tolerance)
        expectClose(x.grad!.scalars.map(Double.init), expected.dx, shape: c.input, "\(c) input gradient", tolerance: tolerance)
        expectClose(w.grad!.scalars.map(Double.init), expected.dw, shape: c.weight, "\(c) weight gradient", tolerance: tolerance)
        let biasGradient = (0..<c.weight[0]).map { o in
            (0..<y.shape[0]).reduce(0.0) { sum, n in
                sum + (0..<(y.shape[2] * y.shape[3])).reduce(0.0) { $0 + Double(dy.scalars[(n * c.weight[0] + o) * y.shape[2] * y.shape[3] + $1]) }
            }
        }
        expectClose(b.grad!.scalars.map(Double.init), biasGradient, "\(c) bias gradient", tolerance: tolerance)
    }

    @Test func weightGradientIsTheSameOnEveryRun() {
        // The per-core partial sums are added in a fixed order, so a seeded run repeats bit for bit.
        let random = RandomGenerator(seed: 3)
        let x = random.normal([16, 8, 12, 12]), w = random.normal([16, 8, 3, 3])
        w.requiresGrad = true
        let dy = random.normal([16, 16, 12, 12])
        let first = gradients(of: conv2d(x, weight: w, padding: 1), withRespectTo: [w], gradient: dy)[0].scalars
        for _ in 0..<5 {
            #expect(gradients(of: conv2d(x, weight: w, padding: 1), withRespectTo: [w], gradient: dy)[0].scalars == first)
        }
    }

    @Test func transposedConvolutionIsTheInputGradient() {
        // conv_transpose2d(dy, W) is ∂/∂x of Σ dy·conv2d(x, W) for the matching stride and padding.
        let random = RandomGenerator(seed: 5)
        let x = random.normal([6, 8, 9, 9]), w = random.normal([12, 8, 3, 3])
        x.requiresGrad = true
        let y = conv2d(x, weight: w, stride: 2, padding: 1)
        let dy = random.normal(y.shape)
        let inputGradient = gradients(of: y, withRespectTo: [x], gradient: dy)[0]
        expectClose(convTranspose2d(dy, weight: w, stride: 2, padding: 1), inputGradient, "conv_transpose2d",
                    tolerance: Tolerance(absolute: 1e-5, relative: 1e-5))
    }
}
