import CNablaQuantized
import Nabla
import NablaNN

/// A 2-D convolution run in int8 (groups 1): the input is quantised once, unfolded into patches of
/// codes (padding holds the zero point's code, so it stands for exactly 0), and multiplied with the
/// per-channel weights by the int8 matrix product.
///
/// Shapes: input (N, C, H, W) → output (N, outputChannels, H', W').
public final class QuantizedConv2d {
    public let weights: PerChannelWeights
    public let bias: [Float]
    public let input: AffineQuantization
    public let stride: Size2
    public let paddingBefore: Size2
    public let paddingAfter: Size2
    public let dilation: Size2
    private let rowSums: [Int32]
    /// Whether a ReLU that followed the layer is applied while rescaling (set by `QuantizedSequential`).
    public var fusedReLU = false
    private let rescaling = Int8Rescaling()
    private var image: [UInt8] = []
    private var patches: [UInt8] = []

    public init(weights: PerChannelWeights, bias: [Float]?, input: AffineQuantization, stride: Size2,
                paddingBefore: Size2, paddingAfter: Size2, dilation: Size2) {
        precondition(weights.shape.count == 4, "QuantizedConv2d: expected a weight (out, in, kh, kw), got \(weights.shape)")
        self.weights = weights
        self.bias = bias ?? [Float](repeating: 0, count: weights.outputs)
        self.input = input
        self.stride = stride
        self.paddingBefore = paddingBefore
        self.paddingAfter = paddingAfter
        self.dilation = dilation
        self.rowSums = weights.rowSums()
    }

    /// Quantises `layer` (groups 1, explicit or valid padding) with the input range calibration chose.
    public convenience init(_ layer: Conv2d, input: AffineQuantization) {
        precondition(layer.groups == 1, "QuantizedConv2d: grouped convolutions are not supported (groups \(layer.groups))")
        let padding: Size2
        switch layer.padding {
        case .explicit(let size): padding = size
        case .valid: padding = Size2(0, 0)
        case .same:
            precondition(layer.dilation.height * (layer.kernelSize.height - 1) % 2 == 0
                         && layer.dilation.width * (layer.kernelSize.width - 1) % 2 == 0,
                         "QuantizedConv2d: 'same' padding with an even kernel is not supported")
            padding = Size2(layer.dilation.height * (layer.kernelSize.height - 1) / 2,
                            layer.dilation.width * (layer.kernelSize.width - 1) / 2)
        }
        self.init(weights: PerChannelWeights(quantizing: layer.weight), bias: layer.bias?.scalars, input: input,
                  stride: layer.stride, paddingBefore: padding, paddingAfter: padding, dilation: layer.dilation)
    }

    public var inputChannels: Int { weights.shape[1] }
    public var outputChannels: Int { weights.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inputChannels,
                     "QuantizedConv2d: expected input (N, \(inputChannels), H, W), got \(x.shape)")
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kernelHeight, kernelWidth) = (weights.shape[2], weights.shape[3])
        let outputHeight = (height + paddingBefore.height + paddingAfter.height - dilation.height * (kernelHeight - 1) - 1) / stride.height + 1
        let outputWidth = (width + paddingBefore.width + paddingAfter.width - dilation.width * (kernelWidth - 1) - 1) / stride.width + 1
        if image.count != x.count { image = [UInt8](repeating: 0, count: x.count) }
        x.contiguous().withUnsafeBufferPointer { values in
            image.withUnsafeMutableBufferPointer { input.quantize(values, into: $0) }
        }
        let depth = channels * kernelHeight * kernelWidth
        let pixels = outputHeight * outputWidth
        if patches.count != batch * pixels * depth { patches = [UInt8](repeating: 0, count: batch * pixels * depth) }
        let zeroCode = UInt8(input.zeroPoint)
        let imageSize = channels * height * width, patchesPerImage = pixels * depth
        image.withUnsafeBufferPointer { source in
            patches.withUnsafeMutableBufferPointer { patch in
                // Images are unfolded on all cores, each worker a run of whole images.
                // Padding holds the zero point's code, which stands for exactly 0.
                let (source, patch) = (source.baseAddress!, patch.baseAddress!)
                parallelRanges(count: batch) { images in
                    nabla_uint8_unfold(images.count, channels, height, width, kernelHeight, kernelWidth, stride.height, stride.width,
                                       paddingBefore.height, paddingBefore.width, dilation.height, dilation.width,
                                       outputHeight, outputWidth, source + images.lowerBound * imageSize, zeroCode,
                                       patch + images.lowerBound * patchesPerImage)
                }
            }
        }
        return Tensor(shape: [batch, outputChannels, outputHeight, outputWidth]) { result in
            patches.withUnsafeBufferPointer { codes in
                rescaling.product(codes: codes.baseAddress!, rows: batch * pixels, pixels: pixels, weights: weights, rowSums: rowSums,
                                  bias: bias, input: input, relu: fusedReLU, into: result)
            }
        }
    }
}
