// Convolutions lowered to matrix products: im2col unrolls every window into a column, one GEMM per group
// applies the kernels, and the gradients come from the same two primitives (col2im is im2col's
// adjoint), so second derivatives through convolutions work too.

/// 2-D cross-correlation, like PyTorch's `F.conv2d`.
///
/// Shapes: input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O) → (N, O, Ho, Wo) with
/// Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2 = 1, padding: Size2 = 0,
                   dilation: Size2 = 1, groups: Int = 1) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4 && groups > 0 && input.shape[1] == weight.shape[1] * groups
                 && weight.shape[0] % groups == 0,
                 "conv2d: input \(describe(input.shape)) does not fit weight \(describe(weight.shape)) with \(groups) group(s)")
    let (batch, channels) = (input.shape[0], input.shape[1])
    let outputChannels = weight.shape[0]
    let geometry = ConvolutionGeometry(channels: channels, inputHeight: input.shape[2], inputWidth: input.shape[3],
                                       kernel: Size2(weight.shape[2], weight.shape[3]),
                                       stride: stride, padding: padding, dilation: dilation)
    precondition(geometry.outputHeight > 0 && geometry.outputWidth > 0,
                 "conv2d: kernel \(geometry.kernel) with padding \(padding) and dilation \(dilation) does not fit input \(describe(input.shape))")
    let columns = input.imageToColumns(geometry)                                    // [C·kh·kw, N·L]
    let product: Tensor
    if groups == 1 {
        product = matmul(weight.reshaped([outputChannels, -1]), columns)            // [O, N·L]
    } else {
        let grouped = matmul(weight.reshaped([groups, outputChannels / groups, -1]),
                             columns.reshaped([groups, geometry.columnRows / groups, -1]))
        product = grouped.reshaped([outputChannels, -1])
    }
    var output = product.reshaped([outputChannels, batch, geometry.outputHeight, geometry.outputWidth])
        .permuted([1, 0, 2, 3])
    if let bias {
        precondition(bias.shape == [outputChannels], "conv2d: bias \(describe(bias.shape)) does not fit \(outputChannels) output channels")
        output = output + bias.reshaped([1, outputChannels, 1, 1])
    }
    return output
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
    let (batch, inputChannels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let outputChannels = weight.shape[1] * groups
    let kernel = Size2(weight.shape[2], weight.shape[3])
    let outputHeight = (height - 1) * stride.height - 2 * padding.height + dilation.height * (kernel.height - 1) + outputPadding.height + 1
    let outputWidth = (width - 1) * stride.width - 2 * padding.width + dilation.width * (kernel.width - 1) + outputPadding.width + 1
    let geometry = ConvolutionGeometry(channels: outputChannels, inputHeight: outputHeight, inputWidth: outputWidth,
                                       kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    precondition(geometry.outputHeight == height && geometry.outputWidth == width && outputHeight > 0 && outputWidth > 0,
                 "convTranspose2d: stride \(stride), padding \(padding) and kernel \(kernel) give no valid output for input \(describe(input.shape))")
    // Each input pixel spreads its channels through the kernel: columns = Wᵀ · x, then col2im.
    let pixels = input.permuted([1, 0, 2, 3]).reshaped([groups, inputChannels / groups, batch * height * width])
    let kernels = weight.reshaped([groups, inputChannels / groups, -1]).transposed()     // [g, Cout/g·kh·kw, Cin/g]
    let columns = matmul(kernels, pixels).reshaped([geometry.columnRows, batch * height * width])
    var output = columns.columnsToImage(batch: batch, geometry)
    if let bias {
        precondition(bias.shape == [outputChannels], "convTranspose2d: bias \(describe(bias.shape)) does not fit \(outputChannels) output channels")
        output = output + bias.reshaped([1, outputChannels, 1, 1])
    }
    return output
}
