/// The geometry of a 2-D convolution window sliding over an image: which input pixel each
/// (kernel offset, output position) pair reads.
struct ConvolutionGeometry: Equatable {
    let channels: Int
    let inputHeight: Int, inputWidth: Int
    let kernel: Size2, stride: Size2, padding: Size2, dilation: Size2

    // A window wider than the padded input leaves a negative span: no output (0), not a division
    // rounded toward zero into one output.
    var outputHeight: Int { outputSize(inputHeight, kernel.height, stride.height, padding.height, dilation.height) }
    var outputWidth: Int { outputSize(inputWidth, kernel.width, stride.width, padding.width, dilation.width) }

    private func outputSize(_ input: Int, _ kernel: Int, _ stride: Int, _ padding: Int, _ dilation: Int) -> Int {
        let span = input + 2 * padding - dilation * (kernel - 1) - 1
        return span < 0 ? 0 : span / stride + 1
    }
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var columnRows: Int { channels * kernel.height * kernel.width }
}

/// im2col: the image batch [N, C, H, W] unrolled into columns [C·kh·kw, N·Ho·Wo], so that a convolution
/// becomes one matrix product. Positions in the padding read as zero.
func imageToColumnsKernel(_ image: Tensor, _ g: ConvolutionGeometry) -> Tensor {
    let source = image.contiguous()
    let batch = image.shape[0]
    let outputHeight = g.outputHeight, outputWidth = g.outputWidth
    let positions = outputHeight * outputWidth
    let columnCount = batch * positions
    let result = Storage(uninitializedCount: g.columnRows * columnCount)
    let input = source.storage.pointer + source.layout.offset
    let output = result.pointer
    parallelChunks(g.columnRows, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(columnCount, 1))) { rows in
        for row in rows {
            let channel = row / (g.kernel.height * g.kernel.width)
            let kernelRow = (row / g.kernel.width) % g.kernel.height
            let kernelColumn = row % g.kernel.width
            for n in 0..<batch {
                let plane = input + (n * g.channels + channel) * g.inputHeight * g.inputWidth
                let destination = output + row * columnCount + n * positions
                for outputRow in 0..<outputHeight {
                    let y = outputRow * g.stride.height - g.padding.height + kernelRow * g.dilation.height
                    let line = destination + outputRow * outputWidth
                    if y < 0 || y >= g.inputHeight {
                        line.update(repeating: 0, count: outputWidth)
                        continue
                    }
                    let inputLine = plane + y * g.inputWidth
                    let xStart = kernelColumn * g.dilation.width - g.padding.width
                    let (first, end) = validColumns(xStart: xStart, g)
                    if first > 0 { line.update(repeating: 0, count: first) }
                    if g.stride.width == 1 {
                        if end > first { (line + first).update(from: inputLine + xStart + first, count: end - first) }
                    } else {
                        for outputColumn in first..<end { line[outputColumn] = inputLine[xStart + outputColumn * g.stride.width] }
                    }
                    if end < outputWidth { (line + end).update(repeating: 0, count: outputWidth - end) }
                }
            }
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [g.columnRows, columnCount]))
}

/// col2im, the adjoint of `imageToColumnsKernel`: columns [C·kh·kw, N·Ho·Wo] summed back into an image
/// batch [N, C, H, W]; overlapping windows add up. Work is split by channel so no two threads write
/// the same pixel.
func columnsToImageKernel(_ columns: Tensor, batch: Int, _ g: ConvolutionGeometry) -> Tensor {
    let source = columns.contiguous()
    let outputHeight = g.outputHeight, outputWidth = g.outputWidth
    let positions = outputHeight * outputWidth
    let columnCount = batch * positions
    let result = Storage(repeating: 0, count: batch * g.channels * g.inputHeight * g.inputWidth)
    let input = source.storage.pointer + source.layout.offset
    let output = result.pointer
    let kernelArea = g.kernel.height * g.kernel.width
    parallelChunks(g.channels, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(columnCount * kernelArea, 1))) { channels in
        for channel in channels {
            for offset in 0..<kernelArea {
                let row = channel * kernelArea + offset
                let kernelRow = offset / g.kernel.width, kernelColumn = offset % g.kernel.width
                for n in 0..<batch {
                    let plane = output + (n * g.channels + channel) * g.inputHeight * g.inputWidth
                    let from = input + row * columnCount + n * positions
                    for outputRow in 0..<outputHeight {
                        let y = outputRow * g.stride.height - g.padding.height + kernelRow * g.dilation.height
                        if y < 0 || y >= g.inputHeight { continue }
                        let line = from + outputRow * outputWidth
                        let target = plane + y * g.inputWidth
                        let xStart = kernelColumn * g.dilation.width - g.padding.width
                        let (first, end) = validColumns(xStart: xStart, g)
                        if g.stride.width == 1 {
                            if end > first { addRow(target + xStart + first, line + first, count: end - first) }
                        } else {
                            for outputColumn in first..<end { target[xStart + outputColumn * g.stride.width] += line[outputColumn] }
                        }
                    }
                }
            }
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [batch, g.channels, g.inputHeight, g.inputWidth]))
}

/// `destination[i] += source[i]` for `count` floats, eight at a time (the scalar loop did not vectorise).
@inline(__always)
private func addRow(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int) {
    var index = 0
    while index + 8 <= count {
        let sum = UnsafeRawPointer(destination + index).loadUnaligned(as: SIMD8<Float>.self)
            + UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(destination + index).storeBytes(of: sum, as: SIMD8<Float>.self)
        index += 8
    }
    while index < count { destination[index] += source[index]; index += 1 }
}

/// The output columns `first..<end` whose input column `xStart + column·stride` lies inside the image;
/// the columns outside read padding. Found once per row so the copy loops carry no bounds checks.
@inline(__always)
private func validColumns(xStart: Int, _ g: ConvolutionGeometry) -> (first: Int, end: Int) {
    let stride = g.stride.width, outputWidth = g.outputWidth
    let first = xStart >= 0 ? 0 : Swift.min((-xStart + stride - 1) / stride, outputWidth)
    let last = g.inputWidth - 1 - xStart   // the largest offset column·stride may reach
    let end = last < 0 ? first : Swift.max(first, Swift.min(last / stride + 1, outputWidth))
    return (first, end)
}

extension Tensor {
    /// im2col as a differentiable primitive; its backward is col2im and vice versa.
    func imageToColumns(_ geometry: ConvolutionGeometry) -> Tensor {
        let batch = shape[0]
        return record(imageToColumnsKernel(self, geometry), "imageToColumns", [self]) { g, _ in
            [g.columnsToImage(batch: batch, geometry)]
        }
    }

    func columnsToImage(batch: Int, _ geometry: ConvolutionGeometry) -> Tensor {
        record(columnsToImageKernel(self, batch: batch, geometry), "columnsToImage", [self]) { g, _ in
            [g.imageToColumns(geometry)]
        }
    }
}
