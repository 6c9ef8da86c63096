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
    /// Output positions per sample: the columns one sample contributes to the column matrix.
    var outputPositions: Int { outputHeight * outputWidth }
    /// Floats in one sample's input image [C, H, W].
    var inputImageCount: Int { channels * inputHeight * inputWidth }
    /// A 1×1 window with unit stride and no padding reads each pixel once, in order: the image itself is
    /// its column matrix.
    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    /// What column-matrix row (c, i, j) reads: the offset of channel c's plane in an image, the kernel
    /// row i, and the image column that output column 0 reads through kernel column j (negative in the
    /// padding).
    @inline(__always)
    func window(ofRow row: Int) -> (planeOffset: Int, kernelRow: Int, xStart: Int) {
        let channel = row / (kernel.height * kernel.width)
        let kernelRow = (row / kernel.width) % kernel.height
        let kernelColumn = row % kernel.width
        return (channel * inputHeight * inputWidth, kernelRow, kernelColumn * dilation.width - padding.width)
    }
}

/// im2col for one sample: its image [C, H, W] unrolled so that row (c, i, j) holds, for every output
/// position, the pixel the kernel offset (i, j) of channel c reads there (zero in the padding). Row r
/// starts at `destination + r·rowStride`.
func unfoldSample(_ image: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                  into destination: UnsafeMutablePointer<Float>, rowStride: Int) {
    let outputWidth = g.outputWidth
    let keepsWidth = g.stride.width == 1 && outputWidth == g.inputWidth
    for row in 0..<g.columnRows {
        let (planeOffset, kernelRow, xStart) = g.window(ofRow: row)
        let plane = image + planeOffset
        let line = destination + row * rowStride
        if keepsWidth && g.stride.height == 1 {
            unfoldShiftedRow(plane, g, kernelRow: kernelRow, xStart: xStart, into: line)
            continue
        }
        let (first, end) = validColumns(xStart: xStart, g)
        for outputRow in 0..<g.outputHeight {
            let y = outputRow * g.stride.height - g.padding.height + kernelRow * g.dilation.height
            let line = line + outputRow * outputWidth
            if y < 0 || y >= g.inputHeight {
                line.update(repeating: 0, count: outputWidth)
                continue
            }
            let inputLine = plane + y * g.inputWidth
            if first > 0 { line.update(repeating: 0, count: first) }
            if g.stride.width == 1 {
                if end > first { copyRow(line + first, inputLine + xStart + first, count: end - first) }
            } else {
                for outputColumn in first..<end { line[outputColumn] = inputLine[xStart + outputColumn * g.stride.width] }
            }
            if end < outputWidth { (line + end).update(repeating: 0, count: outputWidth - end) }
        }
    }
}

/// One column-matrix row of a unit-stride convolution whose output is as wide as its input (a "same"
/// convolution): the row is the image plane shifted by whole rows and by `xStart` columns, so the
/// output rows that fall inside the image are one contiguous copy. The pixels that wrapped around
/// from a neighbouring image row are then set to zero, as are the output rows in the padding.
@inline(__always)
private func unfoldShiftedRow(_ plane: UnsafePointer<Float>, _ g: ConvolutionGeometry, kernelRow: Int, xStart: Int,
                              into line: UnsafeMutablePointer<Float>) {
    let width = g.inputWidth, outputHeight = g.outputHeight
    let yStart = kernelRow * g.dilation.height - g.padding.height      // image row read by output row 0
    let firstRow = Swift.max(0, -yStart), endRow = Swift.max(firstRow, Swift.min(outputHeight, g.inputHeight - yStart))
    if firstRow > 0 { line.update(repeating: 0, count: firstRow * width) }
    if endRow < outputHeight { (line + endRow * width).update(repeating: 0, count: (outputHeight - endRow) * width) }
    guard endRow > firstRow, abs(xStart) < width else {
        (line + firstRow * width).update(repeating: 0, count: (endRow - firstRow) * width)
        return
    }
    // Skip the wrapped pixels at the very start or end, which could lie outside the plane.
    let begin = firstRow * width + Swift.max(0, -xStart), end = endRow * width - Swift.max(0, xStart)
    (line + begin).update(from: plane + (firstRow + yStart) * width + xStart + (begin - firstRow * width), count: end - begin)
    if xStart < 0 {
        for outputRow in firstRow..<endRow { (line + outputRow * width).update(repeating: 0, count: -xStart) }
    } else if xStart > 0 {
        for outputRow in firstRow..<endRow { (line + outputRow * width + width - xStart).update(repeating: 0, count: xStart) }
    }
}

/// col2im for one sample, the adjoint of `unfoldSample`: each column-matrix entry is added to the pixel
/// it was read from (overlapping windows add up; entries in the padding are dropped). Adds to `image`,
/// which the caller has set.
func foldSample(_ columns: UnsafePointer<Float>, rowStride: Int, _ g: ConvolutionGeometry,
                into image: UnsafeMutablePointer<Float>) {
    let outputWidth = g.outputWidth
    for row in 0..<g.columnRows {
        let (planeOffset, kernelRow, xStart) = g.window(ofRow: row)
        let plane = image + planeOffset
        let (first, end) = validColumns(xStart: xStart, g)
        for outputRow in 0..<g.outputHeight {
            let y = outputRow * g.stride.height - g.padding.height + kernelRow * g.dilation.height
            if y < 0 || y >= g.inputHeight { continue }
            let line = columns + row * rowStride + outputRow * outputWidth
            let target = plane + y * g.inputWidth
            if g.stride.width == 1 {
                if end > first { addRow(target + xStart + first, line + first, count: end - first) }
            } else {
                for outputColumn in first..<end { target[xStart + outputColumn * g.stride.width] += line[outputColumn] }
            }
        }
    }
}

/// `foldSample` for a column matrix the caller no longer needs: for a unit-stride "same" convolution,
/// the pixels that wrapped around from a neighbouring image row are zeroed in `columns`, and then each
/// column-matrix row is added to the image in one contiguous run, as `unfoldShiftedRow` copies it.
func foldScratchSample(_ columns: UnsafeMutablePointer<Float>, rowStride: Int, _ g: ConvolutionGeometry,
                       into image: UnsafeMutablePointer<Float>) {
    guard g.stride == 1 && g.outputWidth == g.inputWidth else {
        foldSample(columns, rowStride: rowStride, g, into: image)
        return
    }
    let width = g.inputWidth
    for row in 0..<g.columnRows {
        let (planeOffset, kernelRow, xStart) = g.window(ofRow: row)
        let line = columns + row * rowStride
        let yStart = kernelRow * g.dilation.height - g.padding.height
        let firstRow = Swift.max(0, -yStart), endRow = Swift.min(g.outputHeight, g.inputHeight - yStart)
        guard endRow > firstRow, abs(xStart) < width else { continue }
        for outputRow in firstRow..<endRow {
            let start = outputRow * width
            if xStart < 0 { (line + start).update(repeating: 0, count: -xStart) }
            if xStart > 0 { (line + start + width - xStart).update(repeating: 0, count: xStart) }
        }
        let begin = firstRow * width + Swift.max(0, -xStart), end = endRow * width - Swift.max(0, xStart)
        addRow(image + planeOffset + yStart * width + xStart + begin, line + begin, count: end - begin)
    }
}

/// im2col over a batch: images [N, C, H, W] unrolled into columns [C·kh·kw, N·Ho·Wo], sample n
/// owning columns n·Ho·Wo ..< (n+1)·Ho·Wo.
func imageToColumnsKernel(_ image: Tensor, _ g: ConvolutionGeometry) -> Tensor {
    let source = image.contiguous()
    let batch = image.shape[0]
    let columnCount = batch * g.outputPositions
    let result = Storage(uninitializedCount: g.columnRows * columnCount)
    let input = source.storage.pointer + source.layout.offset
    let output = result.pointer
    parallelChunks(batch, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(g.columnRows * g.outputPositions, 1))) { samples in
        for n in samples {
            unfoldSample(input + n * g.inputImageCount, g, into: output + n * g.outputPositions, rowStride: columnCount)
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [g.columnRows, columnCount]))
}

/// col2im over a batch, the adjoint of `imageToColumnsKernel`: columns [C·kh·kw, N·Ho·Wo] summed back
/// into images [N, C, H, W]. Work is split by sample, so no two threads write the same pixel.
func columnsToImageKernel(_ columns: Tensor, batch: Int, _ g: ConvolutionGeometry) -> Tensor {
    let source = columns.contiguous()
    let columnCount = batch * g.outputPositions
    let result = Storage(repeating: 0, count: batch * g.inputImageCount)
    let input = source.storage.pointer + source.layout.offset
    let output = result.pointer
    parallelChunks(batch, minimumPerChunk: Swift.max(1, (1 << 15) / Swift.max(g.columnRows * g.outputPositions, 1))) { samples in
        for n in samples {
            foldSample(input + n * g.outputPositions, rowStride: columnCount, g, into: output + n * g.inputImageCount)
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [batch, g.channels, g.inputHeight, g.inputWidth]))
}

/// Copies `count` floats, eight at a time with the last eight overlapping the previous ones. Image rows
/// are short (14 or 28 pixels), and a `memmove` call per row cost more than the copy itself.
@inline(__always)
private func copyRow(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int) {
    if count < 8 {
        for index in 0..<count { destination[index] = source[index] }
        return
    }
    var index = 0
    while index + 8 < count {
        UnsafeMutableRawPointer(destination + index).storeBytes(
            of: UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
        index += 8
    }
    let last = count - 8
    UnsafeMutableRawPointer(destination + last).storeBytes(
        of: UnsafeRawPointer(source + last).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
}

/// `destination[i] += source[i]` for `count` floats, eight and then four at a time (the scalar loop did
/// not vectorise).
@inline(__always)
private func addRow(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int) {
    var index = 0
    while index + 8 <= count {
        let sum = UnsafeRawPointer(destination + index).loadUnaligned(as: SIMD8<Float>.self)
            + UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(destination + index).storeBytes(of: sum, as: SIMD8<Float>.self)
        index += 8
    }
    if index + 4 <= count {
        let sum = UnsafeRawPointer(destination + index).loadUnaligned(as: SIMD4<Float>.self)
            + UnsafeRawPointer(source + index).loadUnaligned(as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(destination + index).storeBytes(of: sum, as: SIMD4<Float>.self)
        index += 4
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
        return record(imageToColumnsKernel(self, geometry), "imageToColumns", [self], saves: .nothing) { g, _ in
            [g.columnsToImage(batch: batch, geometry)]
        }
    }

    func columnsToImage(batch: Int, _ geometry: ConvolutionGeometry) -> Tensor {
        record(columnsToImageKernel(self, batch: batch, geometry), "columnsToImage", [self], saves: .nothing) { g, _ in
            [g.imageToColumns(geometry)]
        }
    }
}
