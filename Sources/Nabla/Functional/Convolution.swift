// Convolutions as three differentiable primitives: the convolution itself, its gradient with respect
// to the input (which is also the transposed convolution) and its gradient with respect to the weight.
// Each one's derivatives are the other two, so gradients of gradients through convolutions work.

/// 2-D cross-correlation, like PyTorch's `F.conv2d`.
///
/// Shapes: input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O) → (N, O, Ho, Wo) with
/// Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2 = 1, padding: Size2 = 0,
                   dilation: Size2 = 1, groups: Int = 1) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4 && groups > 0 && input.shape[1] == weight.shape[1] * groups
                 && weight.shape[0] % groups == 0,
                 "conv2d: input \(describe(input.shape)) does not fit weight \(describe(weight.shape)) with \(groups) group(s)")
    let channels = input.shape[1]
    let outputChannels = weight.shape[0]
    let geometry = ConvolutionGeometry(channels: channels, inputHeight: input.shape[2], inputWidth: input.shape[3],
                                       kernel: Size2(weight.shape[2], weight.shape[3]),
                                       stride: stride, padding: padding, dilation: dilation)
    precondition(geometry.outputHeight > 0 && geometry.outputWidth > 0,
                 "conv2d: kernel \(geometry.kernel) with padding \(padding) and dilation \(dilation) does not fit input \(describe(input.shape))")
    let plan = ConvolutionPlan(geometry: geometry, outputChannels: outputChannels, groups: groups)
    if let bias {
        precondition(bias.shape == [outputChannels], "conv2d: bias \(describe(bias.shape)) does not fit \(outputChannels) output channels")
    }
    return convolution(input, weight, bias, plan)
}

/// 1-D cross-correlation, like PyTorch's `F.conv1d`: input (N, C, L), weight (O, C/groups, k) → (N, O, Lo).
public func conv1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    precondition(input.rank == 3 && weight.rank == 3,
                 "conv1d: input \(describe(input.shape)) and weight \(describe(weight.shape)) must both have rank 3")
    return conv2d(input.unsqueezed(axis: 2), weight: weight.unsqueezed(axis: 2), bias: bias,
                  stride: Size2(1, stride), padding: Size2(0, padding), dilation: Size2(1, dilation), groups: groups)
        .squeezed(axis: 2)
}

/// The transposed convolution (the gradient of `conv2d` with respect to its input), like PyTorch's
/// `F.conv_transpose2d`.
///
/// Shapes: input (N, Cin, H, W), weight (Cin, Cout/groups, kh, kw), bias (Cout) → (N, Cout, Ho, Wo) with
/// Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1.
public func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2 = 1,
                            padding: Size2 = 0, outputPadding: Size2 = 0, dilation: Size2 = 1,
                            groups: Int = 1) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4 && groups > 0 && input.shape[1] == weight.shape[0]
                 && weight.shape[0] % groups == 0,
                 "convTranspose2d: input \(describe(input.shape)) does not fit weight \(describe(weight.shape)) with \(groups) group(s)")
    precondition(outputPadding.height < Swift.max(stride.height, dilation.height) && outputPadding.width < Swift.max(stride.width, dilation.width),
                 "convTranspose2d: output padding \(outputPadding) must be smaller than stride \(stride) or dilation \(dilation)")
    let (inputChannels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
    let outputChannels = weight.shape[1] * groups
    let kernel = Size2(weight.shape[2], weight.shape[3])
    let outputHeight = (height - 1) * stride.height - 2 * padding.height + dilation.height * (kernel.height - 1) + outputPadding.height + 1
    let outputWidth = (width - 1) * stride.width - 2 * padding.width + dilation.width * (kernel.width - 1) + outputPadding.width + 1
    let geometry = ConvolutionGeometry(channels: outputChannels, inputHeight: outputHeight, inputWidth: outputWidth,
                                       kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    precondition(geometry.outputHeight == height && geometry.outputWidth == width && outputHeight > 0 && outputWidth > 0,
                 "convTranspose2d: stride \(stride), padding \(padding) and kernel \(kernel) give no valid output for input \(describe(input.shape))")
    // The transposed convolution is the input gradient of the convolution that maps the output back
    // to the input: its weight (Cin, Cout/groups, kh, kw) is that convolution's (O, C/groups, kh, kw).
    let plan = ConvolutionPlan(geometry: geometry, outputChannels: inputChannels, groups: groups)
    var output = convolutionInputGradient(input, weight, plan)
    if let bias {
        precondition(bias.shape == [outputChannels], "convTranspose2d: bias \(describe(bias.shape)) does not fit \(outputChannels) output channels")
        output = output + bias.reshaped([1, outputChannels, 1, 1])
    }
    return output
}

/// y = W ⋆ x + b.
func convolution(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, _ plan: ConvolutionPlan) -> Tensor {
    let result = convolutionKernel(input, weight, bias, plan)
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return record(result, "conv2d", inputs) { outputGradient, _ in
        let gradients = [input.requiresGrad ? convolutionInputGradient(outputGradient, weight, plan) : nil,
                         weight.requiresGrad ? convolutionWeightGradient(input, outputGradient, plan) : nil]
        guard let bias else { return gradients }
        return gradients + [bias.requiresGrad ? outputGradient.sum(axes: [0, 2, 3]) : nil]
    }
}

/// ∂L/∂x of `convolution` given ∂L/∂y; linear in both arguments, so its own derivatives are the
/// convolution (with respect to `outputGradient`) and the weight gradient (with respect to `weight`).
func convolutionInputGradient(_ outputGradient: Tensor, _ weight: Tensor, _ plan: ConvolutionPlan) -> Tensor {
    let result = convolutionInputGradientKernel(outputGradient, weight, plan)
    return record(result, "conv2dInputGradient", [outputGradient, weight]) { gradient, _ in
        [outputGradient.requiresGrad ? convolution(gradient, weight, nil, plan) : nil,
         weight.requiresGrad ? convolutionWeightGradient(gradient, outputGradient, plan) : nil]
    }
}

/// ∂L/∂W of `convolution` given its input and ∂L/∂y; linear in both arguments.
func convolutionWeightGradient(_ input: Tensor, _ outputGradient: Tensor, _ plan: ConvolutionPlan) -> Tensor {
    let result = convolutionWeightGradientKernel(input, outputGradient, plan)
    return record(result, "conv2dWeightGradient", [input, outputGradient]) { gradient, _ in
        [input.requiresGrad ? convolutionInputGradient(outputGradient, gradient, plan) : nil,
         outputGradient.requiresGrad ? convolution(input, gradient, nil, plan) : nil]
    }
}
