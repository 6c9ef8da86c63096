// Pooling. Max pooling finds each window's winner and its value in one kernel; its gradient scatters
// to the winners and the gradient of that gathers from them, so any order of derivative works. Average
// pooling is a mean over im2col columns; adaptive average pooling is two small averaging matrix products.

/// 2-D max pooling, like PyTorch's `F.max_pool2d` (stride defaults to the kernel size; padding counts as
/// −∞). Input (N, C, H, W) → (N, C, Ho, Wo).
public func maxPool2d(_ input: Tensor, kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0,
                      dilation: Size2 = 1) -> Tensor {
    maxPool2dWithPositions(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation).values
}

/// Max pooling that also returns, for each output, the flat position (row · W + column) of the winner in
/// its input plane, as PyTorch's `return_indices=True`.
public func maxPool2dWithIndices(_ input: Tensor, kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0,
                                 dilation: Size2 = 1) -> (values: Tensor, indices: IntTensor) {
    let (values, positions) = maxPool2dWithPositions(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation)
    let count = positions.planes * positions.outputArea
    let indices = UnsafeBufferPointer(start: positions.storage.pointer, count: count).map { Int($0) }
    return (values, IntTensor(indices, shape: values.shape))
}

/// Max pooling's values and, as floats in pooled storage, each window's winner.
func maxPool2dWithPositions(_ input: Tensor, kernelSize: Size2, stride: Size2?, padding: Size2,
                            dilation: Size2) -> (values: Tensor, positions: PlanePositions) {
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
    let outputArea = g.outputHeight * g.outputWidth, inputArea = g.inputHeight * g.inputWidth
    // Winner positions are kept as floats in pooled tensor storage: exact below 2²⁴ pixels per plane,
    // and no fresh integer array (with its page faults) on every training step.
    precondition(inputArea < 1 << 24, "maxPool2d: planes of \(inputArea) pixels are too large (at most 2²⁴)")
    let values = Storage(uninitializedCount: planes * outputArea)
    let winners = Storage(uninitializedCount: planes * outputArea)
    let valueOutput = values.pointer, indexOutput = winners.pointer
    parallelChunks(planes, minimumPerChunk: Swift.max(1, 4096 / inputArea)) { range in
        for plane in range {
            let image = pointer + plane * inputArea
            let indices = indexOutput + plane * outputArea, maxima = valueOutput + plane * outputArea
            if isPlainTwoByTwo {
                twoByTwoMaximumPlane(image, width: g.inputWidth, outputHeight: g.outputHeight,
                                     outputWidth: g.outputWidth, indices: indices, maxima: maxima)
            } else {
                generalMaximumPlane(image, g, indices: indices, maxima: maxima)
            }
        }
    }
    let shape = [input.shape[0], input.shape[1], g.outputHeight, g.outputWidth]
    let tiles = isPlainTwoByTwo && g.inputHeight % 2 == 0 && g.inputWidth % 2 == 0 ? g.inputWidth : nil
    let positions = PlanePositions(storage: winners, planes: planes, outputArea: outputArea, inputArea: inputArea,
                                   twoByTwoTilesOfWidth: tiles)
    let inputShape = input.shape
    let result = record(Tensor(storage: values, layout: Layout(contiguous: shape)), "maxPool2d", [input], saves: .nothing) { g, _ in
        [g.scattered(to: positions, shape: inputShape)]
    }
    return (result, positions)
}

/// For each output of a pooling layer, the position of the input it took, within its plane.
struct PlanePositions {
    let storage: Storage
    let planes: Int, outputArea: Int, inputArea: Int
    /// The input width when the windows are 2×2 tiles covering every input exactly once; the gradient
    /// then writes each input once (the winner's share or zero) with no zero-filled buffer first.
    let twoByTwoTilesOfWidth: Int?
}

extension Tensor {
    /// The pooling gradient: each element of this (per-output) tensor added at its winner's position in
    /// zeros of `shape`. Its own gradient reads the winners back (`gathered(from:)`).
    func scattered(to positions: PlanePositions, shape: [Int]) -> Tensor {
        let source = contiguous()
        let input = source.storage.pointer + source.layout.offset
        if let width = positions.twoByTwoTilesOfWidth {
            let result = Tensor(shape: shape) { output in
                let winners = positions.storage.pointer
                parallelChunks(positions.planes, minimumPerChunk: Swift.max(1, 4096 / positions.inputArea)) { planes in
                    for plane in planes {
                        let from = input + plane * positions.outputArea, to = output.baseAddress! + plane * positions.inputArea
                        let at = winners + plane * positions.outputArea
                        let outputWidth = width / 2
                        // Zero the tile, then store the winner: no branch on where it sits.
                        for outputRow in 0..<(positions.outputArea / outputWidth) {
                            let top = to + 2 * outputRow * width, row = outputRow * outputWidth
                            for column in 0..<outputWidth {
                                top[2 * column] = 0; top[2 * column + 1] = 0
                                top[width + 2 * column] = 0; top[width + 2 * column + 1] = 0
                                to[Int(at[row + column])] = from[row + column]
                            }
                        }
                    }
                }
            }
            return record(result, "poolScatter", [self], saves: .nothing) { g, _ in [g.gathered(from: positions, shape: source.shape)] }
        }
        let result = Tensor.zeros(shape)
        let output = result.storage.pointer, winners = positions.storage.pointer
        parallelChunks(positions.planes, minimumPerChunk: Swift.max(1, 4096 / positions.inputArea)) { planes in
            for plane in planes {
                let from = input + plane * positions.outputArea, to = output + plane * positions.inputArea
                let at = winners + plane * positions.outputArea
                for index in 0..<positions.outputArea { to[Int(at[index])] += from[index] }
            }
        }
        return record(result, "poolScatter", [self], saves: .nothing) { g, _ in [g.gathered(from: positions, shape: source.shape)] }
    }

    /// The values at the winners' positions: the adjoint of `scattered(to:shape:)`.
    func gathered(from positions: PlanePositions, shape: [Int]) -> Tensor {
        let source = contiguous()
        let input = source.storage.pointer + source.layout.offset
        let result = Storage(uninitializedCount: positions.planes * positions.outputArea)
        let output = result.pointer, winners = positions.storage.pointer
        for plane in 0..<positions.planes {
            let from = input + plane * positions.inputArea, at = winners + plane * positions.outputArea
            let to = output + plane * positions.outputArea
            for index in 0..<positions.outputArea { to[index] = from[Int(at[index])] }
        }
        let inputShape = self.shape
        return record(Tensor(storage: result, layout: Layout(contiguous: shape)), "poolGather", [self], saves: .nothing) { g, _ in
            [g.scattered(to: positions, shape: inputShape)]
        }
    }
}

/// Any window, stride, padding and dilation: the winner of each window, scanned in row-major order.
/// A value replaces the best so far when it is larger or NaN, as PyTorch does (so NaN propagates).
private func generalMaximumPlane(_ image: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                 indices: UnsafeMutablePointer<Float>, maxima: UnsafeMutablePointer<Float>) {
    var position = 0
    for outputRow in 0..<g.outputHeight {
        for outputColumn in 0..<g.outputWidth {
            var best = -Float.infinity, bestIndex = -1
            for kernelRow in 0..<g.kernel.height {
                let y = outputRow * g.stride.height - g.padding.height + kernelRow * g.dilation.height
                if y < 0 || y >= g.inputHeight { continue }
                for kernelColumn in 0..<g.kernel.width {
                    let x = outputColumn * g.stride.width - g.padding.width + kernelColumn * g.dilation.width
                    if x < 0 || x >= g.inputWidth { continue }
                    let value = image[y * g.inputWidth + x]
                    if value > best || bestIndex < 0 || value.isNaN { best = value; bestIndex = y * g.inputWidth + x }
                }
            }
            indices[position] = Float(bestIndex)
            maxima[position] = best
            position += 1
        }
    }
}

/// The usual 2×2, stride-2 window, four windows at a time as a tournament of vector selects: which
/// element wins is random in real data, and branches on it (or on NaN checks) mispredict, which made
/// the scalar version twelve times slower. Ties go to the earlier element and a NaN replaces what came
/// before it, exactly the result of PyTorch's row-major scan.
private func twoByTwoMaximumPlane(_ image: UnsafePointer<Float>, width: Int, outputHeight: Int, outputWidth: Int,
                                  indices: UnsafeMutablePointer<Float>, maxima: UnsafeMutablePointer<Float>) {
    for outputRow in 0..<outputHeight {
        let rowStart = 2 * outputRow * width
        var column = 0
        while column < outputWidth {
            let lanes = Swift.min(4, outputWidth - column)
            let topLeft = rowStart + 2 * column
            var upper = SIMD8<Float>(repeating: -.infinity), lower = upper
            if lanes == 4 {
                upper = UnsafeRawPointer(image + topLeft).loadUnaligned(as: SIMD8<Float>.self)
                lower = UnsafeRawPointer(image + topLeft + width).loadUnaligned(as: SIMD8<Float>.self)
            } else {
                for lane in 0..<2 * lanes { upper[lane] = image[topLeft + lane]; lower[lane] = image[topLeft + width + lane] }
            }
            let a = upper.evenHalf, b = upper.oddHalf, c = lower.evenHalf, d = lower.oddHalf
            let takeB = (b .> a) .| (b .!= b)
            let top = a.replacing(with: b, where: takeB)
            let topOffset = SIMD4<Float>(repeating: 0).replacing(with: 1, where: takeB)
            let takeD = (d .> c) .| (d .!= d)
            let bottom = c.replacing(with: d, where: takeD)
            let bottomOffset = SIMD4<Float>(repeating: Float(width)).replacing(with: Float(width + 1), where: takeD)
            let takeBottom = (bottom .> top) .| (bottom .!= bottom)
            let best = top.replacing(with: bottom, where: takeBottom)
            let positions = SIMD4<Float>(0, 2, 4, 6) + Float(topLeft) + topOffset.replacing(with: bottomOffset, where: takeBottom)
            let outputPosition = outputRow * outputWidth + column
            if lanes == 4 {
                UnsafeMutableRawPointer(maxima + outputPosition).storeBytes(of: best, as: SIMD4<Float>.self)
                UnsafeMutableRawPointer(indices + outputPosition).storeBytes(of: positions, as: SIMD4<Float>.self)
            } else {
                for lane in 0..<lanes { maxima[outputPosition + lane] = best[lane]; indices[outputPosition + lane] = positions[lane] }
            }
            column += lanes
        }
    }
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
