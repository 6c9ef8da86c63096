// Pooling. Max pooling finds each window's winner with a kernel and then *gathers* it, so its gradient
// (and the gradient of that) is gather's. Average pooling is a mean over im2col columns; adaptive
// average pooling is two small averaging matrix products.

/// 2-D max pooling, like PyTorch's `F.max_pool2d` (stride defaults to the kernel size; padding counts as
/// −∞). Input (N, C, H, W) → (N, C, Ho, Wo).
public func maxPool2d(_ input: Tensor, kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0,
                      dilation: Size2 = 1) -> Tensor {
    maxPool2dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation).values
}

/// Max pooling that also returns, for each output, the flat position (row · W + column) of the winner in
/// its input plane, as PyTorch's `return_indices=True`.
public func maxPool2dWithIndices(_ input: Tensor, kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0,
                                 dilation: Size2 = 1) -> (values: Tensor, indices: IntTensor) {
    precondition(input.rank == 4, "maxPool2d: input must be (N, C, H, W), got \(describe(input.shape))")
    precondition(padding.height * 2 <= kernelSize.height && padding.width * 2 <= kernelSize.width,
                 "maxPool2d: padding \(padding) must be at most half the kernel size \(kernelSize)")
    let g = ConvolutionGeometry(channels: input.shape[1], inputHeight: input.shape[2], inputWidth: input.shape[3],
                                kernel: kernelSize, stride: stride ?? kernelSize, padding: padding, dilation: dilation)
    precondition(g.outputHeight > 0 && g.outputWidth > 0, "maxPool2d: kernel \(kernelSize) does not fit input \(describe(input.shape))")
    let planes = input.shape[0] * input.shape[1]
    let source = input.contiguous()
    let pointer = source.storage.pointer + source.layout.offset
    let isPlainTwoByTwo = kernelSize == 2 && g.stride == 2 && padding == 0 && dilation == 1
    var winners = [Int](repeating: 0, count: planes * g.outputHeight * g.outputWidth)
    winners.withUnsafeMutableBufferPointer { winners in
        let output = UncheckedSendable(winners.baseAddress!)
        parallelChunks(planes, minimumPerChunk: Swift.max(1, 4096 / (g.inputHeight * g.inputWidth))) { range in
            for plane in range {
                let image = pointer + plane * g.inputHeight * g.inputWidth
                var position = plane * g.outputHeight * g.outputWidth
                if isPlainTwoByTwo {
                    for outputRow in 0..<g.outputHeight {
                        let top = image + 2 * outputRow * g.inputWidth, bottom = top + g.inputWidth
                        let topIndex = 2 * outputRow * g.inputWidth
                        twoByTwoMaximumRow(top: top, bottom: bottom, topIndex: topIndex, inputWidth: g.inputWidth,
                                           outputCount: g.outputWidth, winners: output.value + position)
                        position += g.outputWidth
                    }
                    continue
                }
                for outputRow in 0..<g.outputHeight {
                    for outputColumn in 0..<g.outputWidth {
                        var best = -Float.infinity, bestIndex = -1
                        for kernelRow in 0..<kernelSize.height {
                            let y = outputRow * g.stride.height - padding.height + kernelRow * dilation.height
                            if y < 0 || y >= g.inputHeight { continue }
                            for kernelColumn in 0..<kernelSize.width {
                                let x = outputColumn * g.stride.width - padding.width + kernelColumn * dilation.width
                                if x < 0 || x >= g.inputWidth { continue }
                                let value = image[y * g.inputWidth + x]
                                if value > best || bestIndex < 0 || value.isNaN { best = value; bestIndex = y * g.inputWidth + x }
                                if value.isNaN { break }
                            }
                        }
                        output.value[position] = bestIndex
                        position += 1
                    }
                }
            }
        }
    }
    let shape = [input.shape[0], input.shape[1], g.outputHeight, g.outputWidth]
    let indices = IntTensor(winners, shape: [input.shape[0], input.shape[1], g.outputHeight * g.outputWidth])
    let values = input.reshaped([input.shape[0], input.shape[1], -1]).gathered(axis: 2, indices: indices).reshaped(shape)
    return (values, indices.reshaped(shape))
}

/// 2-D average pooling, like PyTorch's `F.avg_pool2d` (stride defaults to the kernel size). With
/// `countIncludePadding` (PyTorch's default) padded zeros count in the divisor.
public func avgPool2d(_ input: Tensor, kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0,
                      countIncludePadding: Bool = true) -> Tensor {
    precondition(input.rank == 4, "avgPool2d: input must be (N, C, H, W), got \(describe(input.shape))")
    let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let g = ConvolutionGeometry(channels: 1, inputHeight: height, inputWidth: width, kernel: kernelSize,
                                stride: stride ?? kernelSize, padding: padding, dilation: 1)
    precondition(g.outputHeight > 0 && g.outputWidth > 0, "avgPool2d: kernel \(kernelSize) does not fit input \(describe(input.shape))")
    let outputShape = [batch, channels, g.outputHeight, g.outputWidth]
    // Every plane is a one-channel image; the window's elements are the column's rows.
    let sums = input.reshaped([batch * channels, 1, height, width]).imageToColumns(g).sum(axis: 0)
    if countIncludePadding || padding == 0 {
        return (sums / Float(kernelSize.height * kernelSize.width)).reshaped(outputShape)
    }
    let counts = imageToColumnsKernel(Tensor.ones([1, 1, height, width]), g).sum(axis: 0)
    return (sums.reshaped([batch * channels, -1]) / counts).reshaped(outputShape)
}

/// Average pooling to a fixed output size, like PyTorch's `F.adaptive_avg_pool2d`: output cell i covers
/// input rows ⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉ (likewise for columns).
public func adaptiveAvgPool2d(_ input: Tensor, outputSize: Size2) -> Tensor {
    precondition(input.rank == 4 && outputSize.height > 0 && outputSize.width > 0,
                 "adaptiveAvgPool2d: input must be (N, C, H, W) and output size positive, got \(describe(input.shape)) → \(outputSize)")
    if outputSize == 1 { return input.mean(axes: [2, 3], keepDims: true) }
    let rows = averagingMatrix(from: input.shape[2], to: outputSize.height)         // [h, H]
    let columns = averagingMatrix(from: input.shape[3], to: outputSize.width)       // [w, W]
    return matmul(matmul(rows, input), columns.T)
}

/// A [outputs, inputs] matrix whose row i averages the inputs in adaptive-pooling window i.
private func averagingMatrix(from inputs: Int, to outputs: Int) -> Tensor {
    var values = [Float](repeating: 0, count: outputs * inputs)
    for row in 0..<outputs {
        let start = row * inputs / outputs, end = ((row + 1) * inputs + outputs - 1) / outputs
        for column in start..<end { values[row * inputs + column] = 1 / Float(end - start) }
    }
    return Tensor(values, shape: [outputs, inputs])
}

/// One output row of a 2×2, stride-2 max pool: the flat input position of each window's winner.
///
/// Eight windows at a time as vectors, because which element wins is random in real data and
/// branches on it mispredict. A candidate replaces the best so far when it is larger or NaN, as in
/// PyTorch (so NaN propagates).
@inline(__always)
private func twoByTwoMaximumRow(top: UnsafePointer<Float>, bottom: UnsafePointer<Float>, topIndex: Int,
                                inputWidth: Int, outputCount: Int, winners: UnsafeMutablePointer<Int>) {
    var column = 0
    while column + 8 <= outputCount {
        let upper = UnsafeRawPointer(top + 2 * column).loadUnaligned(as: SIMD16<Float>.self)
        let lower = UnsafeRawPointer(bottom + 2 * column).loadUnaligned(as: SIMD16<Float>.self)
        var best = upper.evenHalf
        var offset = SIMD8<Int32>(repeating: 0)
        @inline(__always) func consider(_ candidate: SIMD8<Float>, _ candidateOffset: Int32) {
            let better = (candidate .> best) .| (candidate .!= candidate)
            best.replace(with: candidate, where: better)
            offset.replace(with: candidateOffset, where: better)
        }
        consider(upper.oddHalf, 1)
        consider(lower.evenHalf, Int32(inputWidth))
        consider(lower.oddHalf, Int32(inputWidth + 1))
        for lane in 0..<8 { winners[column + lane] = topIndex + 2 * (column + lane) + Int(offset[lane]) }
        column += 8
    }
    while column < outputCount {
        let topLeft = topIndex + 2 * column
        var bestIndex = topLeft, best = top[2 * column]
        @inline(__always) func consider(_ value: Float, _ index: Int) {
            if value > best || value.isNaN { best = value; bestIndex = index }
        }
        consider(top[2 * column + 1], topLeft + 1)
        consider(bottom[2 * column], topLeft + inputWidth)
        consider(bottom[2 * column + 1], topLeft + inputWidth + 1)
        winners[column] = bestIndex
        column += 1
    }
}
