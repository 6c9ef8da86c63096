/// The geometry of a 2-D convolution window sliding over an image: which input pixel each
/// (kernel offset, output position) pair reads.
struct ConvolutionGeometry: Equatable {
    let channels: Int
    let inputHeight: Int, inputWidth: Int
    let kernel: Size2, stride: Size2, padding: Size2, dilation: Size2

    var outputHeight: Int { (inputHeight + 2 * padding.height - dilation.height * (kernel.height - 1) - 1) / stride.height + 1 }
    var outputWidth: Int { (inputWidth + 2 * padding.width - dilation.width * (kernel.width - 1) - 1) / stride.width + 1 }
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
                    for outputColumn in 0..<outputWidth {
                        let x = xStart + outputColumn * g.stride.width
                        line[outputColumn] = (x >= 0 && x < g.inputWidth) ? inputLine[x] : 0
                    }
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
                        for outputColumn in 0..<outputWidth {
                            let x = xStart + outputColumn * g.stride.width
                            if x >= 0 && x < g.inputWidth { target[x] += line[outputColumn] }
                        }
                    }
                }
            }
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [batch, g.channels, g.inputHeight, g.inputWidth]))
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
