import Nabla

// Pooling layers: thin, shape-checked wrappers around the functional `maxPool2d`, `avgPool2d` and
// `adaptiveAvgPool2d`, so they can sit in a `Sequential`. None has parameters.

/// 2-D max pooling, like PyTorch's `nn.MaxPool2d`: the largest value in each window (padding counts as −∞).
///
/// Shapes: input (N, C, H, W) → output (N, C, Ho, Wo) with
/// Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1; `stride` defaults to the kernel size.
/// The gradient flows to each window's maximum only.
///
/// ```swift
/// let pool = MaxPool2d(kernelSize: 2)
/// let y = pool(Tensor.zeros([8, 16, 32, 32]))   // shape [8, 16, 16, 16]
/// ```
public final class MaxPool2d: Module, Layer {
    public let kernelSize: Size2
    public let stride: Size2
    public let padding: Size2
    public let dilation: Size2

    public init(kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0, dilation: Size2 = 1) {
        let stride = stride ?? kernelSize
        validatePooling("MaxPool2d", kernelSize: kernelSize, stride: stride, padding: padding)
        precondition(dilation.height > 0 && dilation.width > 0, "MaxPool2d: dilation \(dilation) must be positive")
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkPoolingInput("MaxPool2d", input, kernel: kernelSize, padding: padding, dilation: dilation)
        return maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation)
    }
}

/// 2-D average pooling, like PyTorch's `nn.AvgPool2d`: the mean of each window.
///
/// Shapes: input (N, C, H, W) → output (N, C, Ho, Wo) with Ho = ⌊(H + 2·padding − kh) / stride⌋ + 1;
/// `stride` defaults to the kernel size. With `countIncludePadding` (PyTorch's default) the padded zeros
/// count in each window's divisor; without it only the real elements do.
///
/// ```swift
/// let pool = AvgPool2d(kernelSize: 3, stride: 1, padding: 1)
/// let y = pool(Tensor.ones([1, 2, 5, 5]))   // shape [1, 2, 5, 5]
/// ```
public final class AvgPool2d: Module, Layer {
    public let kernelSize: Size2
    public let stride: Size2
    public let padding: Size2
    public let countIncludePadding: Bool

    public init(kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0, countIncludePadding: Bool = true) {
        let stride = stride ?? kernelSize
        validatePooling("AvgPool2d", kernelSize: kernelSize, stride: stride, padding: padding)
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.countIncludePadding = countIncludePadding
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkPoolingInput("AvgPool2d", input, kernel: kernelSize, padding: padding, dilation: 1)
        return avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding,
                         countIncludePadding: countIncludePadding)
    }
}

/// Average pooling to a fixed output size whatever the input size, like PyTorch's `nn.AdaptiveAvgPool2d`:
/// output cell (i, j) averages input rows ⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉ and the columns likewise. With output
/// size 1 it is global average pooling, the usual head of a classification network.
///
/// Shapes: input (N, C, H, W) → output (N, C, h, w).
///
/// ```swift
/// let pool = AdaptiveAvgPool2d(outputSize: 1)
/// let y = pool(Tensor.zeros([8, 512, 7, 7]))   // shape [8, 512, 1, 1]
/// ```
public final class AdaptiveAvgPool2d: Module, Layer {
    public let outputSize: Size2

    public init(outputSize: Size2) {
        precondition(outputSize.height > 0 && outputSize.width > 0,
                     "AdaptiveAvgPool2d: output size \(outputSize) must be positive")
        self.outputSize = outputSize
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[2] > 0 && input.shape[3] > 0,
                     "AdaptiveAvgPool2d: expected input (N, C, H, W) with H, W > 0, got \(input.shape)")
        return adaptiveAvgPool2d(input, outputSize: outputSize)
    }
}

/// PyTorch's construction checks for pooling: positive sizes, padding at most half the kernel.
private func validatePooling(_ layer: String, kernelSize: Size2, stride: Size2, padding: Size2) {
    precondition(kernelSize.height > 0 && kernelSize.width > 0 && stride.height > 0 && stride.width > 0,
                 "\(layer): kernel size \(kernelSize) and stride \(stride) must be positive")
    precondition(padding.height >= 0 && padding.width >= 0
                 && 2 * padding.height <= kernelSize.height && 2 * padding.width <= kernelSize.width,
                 "\(layer): padding \(padding) must be between 0 and half the kernel size \(kernelSize)")
}

/// Stops with the layer's name unless the input is (N, C, H, W) and the padded input holds one window.
private func checkPoolingInput(_ layer: String, _ input: Tensor, kernel: Size2, padding: Size2, dilation: Size2) {
    precondition(input.rank == 4, "\(layer): expected input (N, C, H, W), got \(input.shape)")
    checkWindowFits(layer, input: input, spatial: Size2(input.shape[2], input.shape[3]), kernel: kernel,
                    dilation: dilation, padding: Size2(2 * padding.height, 2 * padding.width))
}
