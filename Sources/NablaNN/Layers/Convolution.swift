import Nabla

/// How a convolution pads its input, as PyTorch's `padding=` argument of `nn.Conv1d`/`nn.Conv2d`.
///
/// An integer literal means the same explicit padding on every side: `padding: 1`.
public enum ConvolutionPadding: Equatable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// `height` zeros above and below, `width` zeros left and right (Conv1d reads only `width`).
    case explicit(Size2)
    /// No padding (PyTorch's `padding='valid'`); the output shrinks by dilation·(kernel − 1).
    case valid
    /// Enough padding to keep the spatial size at stride 1 (PyTorch's `padding='same'`): dilation·(k − 1)
    /// zeros per axis, half before and half after; when that is odd, the extra zero goes after (bottom,
    /// right), as PyTorch does. Only allowed with stride 1.
    case same

    public init(integerLiteral value: Int) { self = .explicit(Size2(value, value)) }

    public var description: String {
        switch self {
        case .explicit(let size): return "\(size)"
        case .valid: return "valid"
        case .same: return "same"
        }
    }

    /// Zeros before (top, left) and after (bottom, right) each spatial axis for this kernel.
    func amounts(kernel: Size2, dilation: Size2) -> (before: Size2, after: Size2) {
        switch self {
        case .explicit(let size): return (size, size)
        case .valid: return (0, 0)
        case .same:
            let total = Size2(dilation.height * (kernel.height - 1), dilation.width * (kernel.width - 1))
            let before = Size2(total.height / 2, total.width / 2)
            return (before, Size2(total.height - before.height, total.width - before.width))
        }
    }
}

/// A 2-D convolution (cross-correlation) over images, like PyTorch's `nn.Conv2d`.
///
/// Shapes: input (N, inputChannels, H, W) → output (N, outputChannels, Ho, Wo) with
/// Ho = ⌊(H + padTop + padBottom − dilation·(kh − 1) − 1) / stride⌋ + 1 (likewise Wo).
///
/// Parameters: `weight` (outputChannels, inputChannels/groups, kh, kw) and `bias` (outputChannels), both
/// initialised U(−1/√fanIn, 1/√fanIn) with fanIn = inputChannels/groups · kh · kw, as in PyTorch.
///
/// `groups` splits the channels into independent convolutions: `groups == inputChannels` is a depthwise
/// convolution, and a depthwise followed by a 1×1 convolution is a depthwise-separable one.
///
/// ```swift
/// let generator = RandomGenerator(seed: 0)
/// let conv = Conv2d(inputChannels: 3, outputChannels: 16, kernelSize: 3, padding: .same, generator: generator)
/// let features = conv(Tensor.zeros([8, 3, 32, 32]))   // shape [8, 16, 32, 32]
/// ```
public final class Conv2d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Size2
    public let padding: ConvolutionPadding
    public let dilation: Size2
    public let groups: Int

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Size2, stride: Size2 = 1,
                padding: ConvolutionPadding = 0, dilation: Size2 = 1, groups: Int = 1, bias: Bool = true,
                generator: RandomGenerator) {
        validateConvolution("Conv2d", inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize,
                            stride: stride, padding: padding, dilation: dilation, groups: groups)
        (weight, self.bias) = convolutionParameters([outputChannels, inputChannels / groups, kernelSize.height, kernelSize.width],
                                                    bias: bias, generator: generator)
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        super.init()
    }

    public var inputChannels: Int { weight.shape[1] * groups }
    public var outputChannels: Int { weight.shape[0] }
    public var kernelSize: Size2 { Size2(weight.shape[2], weight.shape[3]) }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == inputChannels,
                     "Conv2d: expected input (N, \(inputChannels), H, W), got \(input.shape)")
        let (before, after) = padding.amounts(kernel: kernelSize, dilation: dilation)
        checkWindowFits("Conv2d", input: input, spatial: Size2(input.shape[2], input.shape[3]), kernel: kernelSize,
                        dilation: dilation, padding: Size2(before.height + after.height, before.width + after.width))
        // conv2d pads symmetrically; the odd extra zero of `.same` is added after, as PyTorch does.
        var padded = input
        if before != after {
            padded = input.padded([0, after.width - before.width, 0, after.height - before.height])
        }
        return conv2d(padded, weight: weight, bias: bias, stride: stride, padding: before, dilation: dilation, groups: groups)
    }
}

/// A 1-D convolution (cross-correlation) over sequences, like PyTorch's `nn.Conv1d`.
///
/// Shapes: input (N, inputChannels, L) → output (N, outputChannels, Lo) with
/// Lo = ⌊(L + padLeft + padRight − dilation·(k − 1) − 1) / stride⌋ + 1.
///
/// Parameters: `weight` (outputChannels, inputChannels/groups, k) and `bias` (outputChannels), both
/// initialised U(−1/√fanIn, 1/√fanIn) with fanIn = inputChannels/groups · k, as in PyTorch. An explicit
/// padding is one number (`padding: 2`).
///
/// ```swift
/// let conv = Conv1d(inputChannels: 4, outputChannels: 8, kernelSize: 5, padding: .same, generator: RandomGenerator(seed: 0))
/// let y = conv(Tensor.zeros([2, 4, 100]))   // shape [2, 8, 100]
/// ```
public final class Conv1d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: ConvolutionPadding
    public let dilation: Int
    public let groups: Int

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: ConvolutionPadding = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                generator: RandomGenerator) {
        if case .explicit(let size) = padding {
            precondition(size.height == size.width, "Conv1d: explicit padding is one number, got \(size)")
        }
        validateConvolution("Conv1d", inputChannels: inputChannels, outputChannels: outputChannels,
                            kernelSize: Size2(1, kernelSize), stride: Size2(1, stride), padding: padding,
                            dilation: Size2(1, dilation), groups: groups)
        (weight, self.bias) = convolutionParameters([outputChannels, inputChannels / groups, kernelSize],
                                                    bias: bias, generator: generator)
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        super.init()
    }

    public var inputChannels: Int { weight.shape[1] * groups }
    public var outputChannels: Int { weight.shape[0] }
    public var kernelSize: Int { weight.shape[2] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 3 && input.shape[1] == inputChannels,
                     "Conv1d: expected input (N, \(inputChannels), L), got \(input.shape)")
        let (before, after) = padding.amounts(kernel: Size2(1, kernelSize), dilation: Size2(1, dilation))
        checkWindowFits("Conv1d", input: input, spatial: Size2(1, input.shape[2]), kernel: Size2(1, kernelSize),
                        dilation: Size2(1, dilation), padding: Size2(0, before.width + after.width))
        let padded = before.width == after.width ? input : input.padded([0, after.width - before.width])
        return conv1d(padded, weight: weight, bias: bias, stride: stride, padding: before.width, dilation: dilation,
                      groups: groups)
    }
}

/// A convolution's weight of `weightShape` and, with `bias`, a bias of `biasCount` elements (the output
/// channels: `weightShape[0]` unless given), initialised as PyTorch does: kaiming_uniform_(a=√5) for the
/// weight, which is U(±1/√fanIn) with the fan-in read from axis 1 on, and the same bound for the bias.
/// The weight is drawn first, as in PyTorch.
func convolutionParameters(_ weightShape: [Int], biasCount: Int? = nil, bias: Bool,
                           generator: RandomGenerator) -> (weight: Tensor, bias: Tensor?) {
    let bound = 1 / Float(Initialization.fans(weightShape).fanIn).squareRoot()
    let weight = Initialization.uniform(weightShape, bound: bound, generator: generator)
    let shift = bias ? Initialization.uniform([biasCount ?? weightShape[0]], bound: bound, generator: generator) : nil
    return (weight, shift)
}

/// The checks PyTorch makes when a convolution is built, with the layer's name in the message.
func validateConvolution(_ layer: String, inputChannels: Int, outputChannels: Int, kernelSize: Size2, stride: Size2,
                         padding: ConvolutionPadding, dilation: Size2, groups: Int) {
    precondition(inputChannels > 0 && outputChannels > 0,
                 "\(layer): channel counts must be positive, got \(inputChannels) → \(outputChannels)")
    precondition(groups > 0 && inputChannels % groups == 0 && outputChannels % groups == 0,
                 "\(layer): \(inputChannels) input and \(outputChannels) output channels must both divide into \(groups) groups")
    precondition(kernelSize.height > 0 && kernelSize.width > 0 && stride.height > 0 && stride.width > 0
                 && dilation.height > 0 && dilation.width > 0,
                 "\(layer): kernel size \(kernelSize), stride \(stride) and dilation \(dilation) must be positive")
    if case .explicit(let size) = padding {
        precondition(size.height >= 0 && size.width >= 0, "\(layer): padding \(size) must not be negative")
    }
    precondition(padding != .same || stride == 1,
                 "\(layer): padding .same is only allowed with stride 1 (got stride \(stride)), as in PyTorch")
}

/// Stops with the layer's name when the (padded) input is smaller than the dilated kernel.
func checkWindowFits(_ layer: String, input: Tensor, spatial: Size2, kernel: Size2, dilation: Size2, padding: Size2) {
    let reach = Size2(dilation.height * (kernel.height - 1) + 1, dilation.width * (kernel.width - 1) + 1)
    precondition(spatial.height + padding.height >= reach.height && spatial.width + padding.width >= reach.width,
                 "\(layer): input \(input.shape) is smaller than the kernel \(kernel) with dilation \(dilation) (padding \(padding) in all)")
}
