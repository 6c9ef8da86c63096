import Nabla

/// A 2-D transposed convolution (the gradient of `Conv2d` with respect to its input, sometimes called a
/// fractionally strided convolution or "deconvolution"), like PyTorch's `nn.ConvTranspose2d`. It upsamples
/// feature maps in decoders, generators and U-Nets.
///
/// Shapes: input (N, inputChannels, H, W) → output (N, outputChannels, Ho, Wo) with
/// Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1 (likewise Wo).
///
/// Parameters, in PyTorch's layout: `weight` (inputChannels, outputChannels/groups, kh, kw) and `bias`
/// (outputChannels). Both are initialised U(−1/√fan, 1/√fan) with fan = weight.shape[1]·kh·kw =
/// outputChannels/groups · kh · kw, because PyTorch computes the fan from the weight's second axis.
///
/// ```swift
/// let up = ConvTranspose2d(inputChannels: 16, outputChannels: 8, kernelSize: 4, stride: 2, padding: 1,
///                          generator: RandomGenerator(seed: 0))
/// let y = up(Tensor.zeros([1, 16, 7, 7]))   // shape [1, 8, 14, 14]
/// ```
public final class ConvTranspose2d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Size2
    public let padding: Size2
    public let outputPadding: Size2
    public let dilation: Size2
    public let groups: Int

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
                outputPadding: Size2 = 0, dilation: Size2 = 1, groups: Int = 1, bias: Bool = true,
                generator: RandomGenerator) {
        validateConvolution("ConvTranspose2d", inputChannels: inputChannels, outputChannels: outputChannels,
                            kernelSize: kernelSize, stride: stride, padding: .explicit(padding), dilation: dilation,
                            groups: groups)
        precondition(outputPadding.height >= 0 && outputPadding.width >= 0
                     && outputPadding.height < Swift.max(stride.height, dilation.height)
                     && outputPadding.width < Swift.max(stride.width, dilation.width),
                     "ConvTranspose2d: output padding \(outputPadding) must be smaller than stride \(stride) or dilation \(dilation)")
        // The fan-in is read from axis 1: for this layout that is outputChannels/groups, PyTorch's choice.
        (weight, self.bias) = convolutionParameters([inputChannels, outputChannels / groups, kernelSize.height, kernelSize.width],
                                                    biasCount: outputChannels, bias: bias, generator: generator)
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        super.init()
    }

    public var inputChannels: Int { weight.shape[0] }
    public var outputChannels: Int { weight.shape[1] * groups }
    public var kernelSize: Size2 { Size2(weight.shape[2], weight.shape[3]) }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        forward(input, outputPadding: outputPadding)
    }

    /// The output resized to exactly `outputSize`, like PyTorch's `forward(input, output_size=...)`: a
    /// strided convolution maps several input sizes to the same output size, and this picks the output
    /// padding that inverts it for the size you need (e.g. a skip connection's in a U-Net).
    public func callAsFunction(_ input: Tensor, outputSize: Size2) -> Tensor {
        checkInput(input)
        let smallest = outputSizeWithoutPadding(input)
        let extra = Size2(outputSize.height - smallest.height, outputSize.width - smallest.width)
        precondition(extra.height >= 0 && extra.width >= 0
                     && extra.height < Swift.max(stride.height, dilation.height)
                     && extra.width < Swift.max(stride.width, dilation.width),
                     "ConvTranspose2d: output size \(outputSize) is not reachable from input \(input.shape); sizes from \(smallest) up to \(Size2(smallest.height + Swift.max(stride.height, dilation.height) - 1, smallest.width + Swift.max(stride.width, dilation.width) - 1)) are")
        return forward(input, outputPadding: extra)
    }

    private func forward(_ input: Tensor, outputPadding: Size2) -> Tensor {
        checkInput(input)
        let smallest = outputSizeWithoutPadding(input)
        precondition(smallest.height > 0 && smallest.width > 0,
                     "ConvTranspose2d: input \(input.shape) with padding \(padding) gives an empty output \(smallest)")
        return convTranspose2d(input, weight: weight, bias: bias, stride: stride, padding: padding,
                               outputPadding: outputPadding, dilation: dilation, groups: groups)
    }

    private func checkInput(_ input: Tensor) {
        precondition(input.rank == 4 && input.shape[1] == inputChannels,
                     "ConvTranspose2d: expected input (N, \(inputChannels), H, W), got \(input.shape)")
    }

    /// (H − 1)·stride − 2·padding + dilation·(k − 1) + 1 for each axis.
    private func outputSizeWithoutPadding(_ input: Tensor) -> Size2 {
        let kernel = kernelSize
        return Size2((input.shape[2] - 1) * stride.height - 2 * padding.height + dilation.height * (kernel.height - 1) + 1,
                     (input.shape[3] - 1) * stride.width - 2 * padding.width + dilation.width * (kernel.width - 1) + 1)
    }
}
