/// Convolution products computed a few samples at a time.
///
/// Lowering a whole batch to one column matrix and one GEMM leaves the product in [O, N, Ho·Wo] order,
/// so every layer pays a permute copy, and a GEMM that large runs on OpenBLAS's own threads, whose
/// spinning between calls took a fifth of a small CNN's training time. Here each core takes whole
/// samples instead: it unrolls their windows into a column matrix small enough to stay in cache,
/// multiplies on its own thread (`gemm`), and writes the result in (N, O, Ho, Wo) order.
/// Weight gradients are summed per block of samples and the blocks added once at the end.
///
/// A small image (7×7 has 49 output positions) makes a product too narrow to pay for packing the
/// weights and filling the 32-column tiles of the micro-kernel, so `samplesPerProduct` samples share one
/// product: their columns lie side by side ([C·kh·kw, count·Ho·Wo]), and their outputs or output
/// gradients are copied between (N, O, Ho·Wo) and [O, count·Ho·Wo].
///
/// With groups, the column matrix's rows and the output channels split into `groups` equal blocks, and
/// block g of the output only reads block g of the rows.
struct ConvolutionPlan {
    let geometry: ConvolutionGeometry
    let outputChannels: Int
    let groups: Int

    /// About this many columns per product: a few hundred fill the micro-kernel's tiles and amortise
    /// packing the weights, while a worker's column matrix (at most 576 rows here) stays in its L2 cache.
    static let targetColumns = 400

    var groupOutputs: Int { outputChannels / groups }
    /// Column-matrix rows per group: also the length of one output channel's flattened kernel.
    var groupRows: Int { geometry.columnRows / groups }
    var weightCount: Int { outputChannels * groupRows }
    /// Floats in one sample's output [O, Ho, Wo].
    var outputCount: Int { outputChannels * geometry.outputPositions }
    var weightShape: [Int] {
        [outputChannels, geometry.channels / groups, geometry.kernel.height, geometry.kernel.width]
    }
    /// Samples multiplied together in one product (1 for a pointwise convolution, whose images are their
    /// own column matrices).
    var samplesPerProduct: Int {
        geometry.isPointwise ? 1 : Swift.max(1, ConvolutionPlan.targetColumns / Swift.max(geometry.outputPositions, 1))
    }

    /// Threads for a batch: one per core, unless the whole product is too small to pay for waking them.
    func workers(batch: Int) -> Int {
        let multiplyAdds = batch * weightCount * geometry.outputPositions
        return multiplyAdds < 1 << 18 ? 1 : Swift.min(Parallelism.cores, batch)
    }

    /// With one worker (a batch of one), a single large product may still be shared among the cores.
    func product(workers: Int) -> ProductFunction { workers > 1 ? gemm : parallelGEMM }

    /// Scratch for each worker: a column matrix of `samplesPerProduct` samples (none when pointwise) and
    /// an [O, count·Ho·Wo] block for outputs or output gradients (none with one sample per product).
    func scratch(workers: Int) -> ConvolutionScratch {
        let width = samplesPerProduct * geometry.outputPositions
        return ConvolutionScratch(columnCount: geometry.isPointwise ? 0 : geometry.columnRows * width,
                                  blockCount: samplesPerProduct == 1 ? 0 : outputChannels * width, workers: workers)
    }

    /// The column matrix [C·kh·kw, count·Ho·Wo] of samples `first..<first + count`: unrolled into this
    /// worker's scratch, or the image itself for one sample of a pointwise convolution.
    func columns(of images: UnsafePointer<Float>, first: Int, count: Int, scratch: ConvolutionScratch, worker: Int) -> UnsafePointer<Float> {
        guard scratch.columnCount > 0 else { return images + first * geometry.inputImageCount }
        let destination = scratch.columns(worker), width = count * geometry.outputPositions
        for sample in 0..<count {
            unfoldSample(images + (first + sample) * geometry.inputImageCount, geometry,
                         into: destination + sample * geometry.outputPositions, rowStride: width)
        }
        return UnsafePointer(destination)
    }

    /// Samples `first..<first + count` of an (N, O, Ho·Wo) tensor side by side as [O, count·Ho·Wo]:
    /// the samples themselves when there is one, else a copy in the worker's block.
    func gathered(_ tensor: UnsafePointer<Float>, first: Int, count: Int, scratch: ConvolutionScratch, worker: Int) -> UnsafePointer<Float> {
        if count == 1 { return tensor + first * outputCount }
        let block = scratch.block(worker), positions = geometry.outputPositions, width = count * positions
        for sample in 0..<count {
            for channel in 0..<outputChannels {
                (block + channel * width + sample * positions)
                    .update(from: tensor + (first + sample) * outputCount + channel * positions, count: positions)
            }
        }
        return UnsafePointer(block)
    }

    /// The inverse of `gathered`: an [O, count·Ho·Wo] block written to samples `first..<first + count`.
    func scatter(_ block: UnsafePointer<Float>, first: Int, count: Int, into tensor: UnsafeMutablePointer<Float>) {
        let positions = geometry.outputPositions, width = count * positions
        for sample in 0..<count {
            for channel in 0..<outputChannels {
                (tensor + (first + sample) * outputCount + channel * positions)
                    .update(from: block + channel * width + sample * positions, count: positions)
            }
        }
    }
}

/// Each worker's scratch of a convolution: `columnCount` floats for a column matrix, then `blockCount`
/// for an output block.
struct ConvolutionScratch {
    let columnCount: Int, blockCount: Int
    let storage: Storage?

    init(columnCount: Int, blockCount: Int, workers: Int) {
        self.columnCount = columnCount
        self.blockCount = blockCount
        let perWorker = columnCount + blockCount
        storage = perWorker == 0 ? nil : Storage(uninitializedCount: workers * perWorker)
    }

    func columns(_ worker: Int) -> UnsafeMutablePointer<Float> { storage!.pointer + worker * (columnCount + blockCount) }
    func block(_ worker: Int) -> UnsafeMutablePointer<Float> { storage!.pointer + worker * (columnCount + blockCount) + columnCount }
}

typealias ProductFunction = (Bool, Bool, Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                             UnsafeMutablePointer<Float>, Int, Bool) -> Void

/// y = W ⋆ x + b: input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O) → (N, O, Ho, Wo).
func convolutionKernel(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, _ plan: ConvolutionPlan) -> Tensor {
    let g = plan.geometry, positions = g.outputPositions, batch = input.shape[0]
    let images = input.contiguous(), kernels = weight.contiguous(), shifts = bias?.contiguous()
    let result = Storage(uninitializedCount: batch * plan.outputCount)
    let perProduct = plan.samplesPerProduct, products = (batch + perProduct - 1) / perProduct
    let workers = Swift.min(plan.workers(batch: batch), products), multiply = plan.product(workers: workers)
    let scratch = plan.scratch(workers: workers)
    let x = images.storage.pointer + images.layout.offset, w = kernels.storage.pointer + kernels.layout.offset
    let b = shifts.map { $0.storage.pointer + $0.layout.offset }
    parallelItems(products, workers: workers) { product, worker in
        let first = product * perProduct, count = Swift.min(perProduct, batch - first), width = count * positions
        let columns = plan.columns(of: x, first: first, count: count, scratch: scratch, worker: worker)
        let y = count == 1 ? result.pointer + first * plan.outputCount : scratch.block(worker)
        if let b {
            for channel in 0..<plan.outputChannels { (y + channel * width).update(repeating: b[channel], count: width) }
        }
        for group in 0..<plan.groups {
            multiply(false, false, plan.groupOutputs, width, plan.groupRows,
                     w + group * plan.groupOutputs * plan.groupRows, plan.groupRows,
                     columns + group * plan.groupRows * width, width,
                     y + group * plan.groupOutputs * width, width, b != nil)
        }
        if count > 1 { plan.scatter(y, first: first, count: count, into: result.pointer) }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [batch, plan.outputChannels, g.outputHeight, g.outputWidth]))
}

/// ∂L/∂x from ∂L/∂y: each sample's columns Wᵀ·dy folded back onto the pixels they were read from (col2im).
/// This is also the transposed convolution of `outputGradient` by `weight`.
func convolutionInputGradientKernel(_ outputGradient: Tensor, _ weight: Tensor, _ plan: ConvolutionPlan) -> Tensor {
    let g = plan.geometry, positions = g.outputPositions, batch = outputGradient.shape[0]
    let gradients = outputGradient.contiguous(), kernels = weight.contiguous()
    let result = Storage(uninitializedCount: batch * g.inputImageCount)
    let perProduct = plan.samplesPerProduct, products = (batch + perProduct - 1) / perProduct
    let workers = Swift.min(plan.workers(batch: batch), products), multiply = plan.product(workers: workers)
    let scratch = plan.scratch(workers: workers)
    let dy = gradients.storage.pointer + gradients.layout.offset, w = kernels.storage.pointer + kernels.layout.offset
    parallelItems(products, workers: workers) { product, worker in
        let first = product * perProduct, count = Swift.min(perProduct, batch - first), width = count * positions
        let block = plan.gathered(dy, first: first, count: count, scratch: scratch, worker: worker)
        // Pointwise: one sample, whose image is its own column matrix.
        let columns = scratch.columnCount > 0 ? scratch.columns(worker) : result.pointer + first * g.inputImageCount
        for group in 0..<plan.groups {
            multiply(true, false, plan.groupRows, width, plan.groupOutputs,
                     w + group * plan.groupOutputs * plan.groupRows, plan.groupRows,
                     block + group * plan.groupOutputs * width, width,
                     columns + group * plan.groupRows * width, width, false)
        }
        guard scratch.columnCount > 0 else { return }
        for sample in 0..<count {
            let image = result.pointer + (first + sample) * g.inputImageCount
            image.update(repeating: 0, count: g.inputImageCount)
            foldScratchSample(columns + sample * positions, rowStride: width, g, into: image)
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [batch, g.channels, g.inputHeight, g.inputWidth]))
}

/// ∂L/∂W from the input and ∂L/∂y: Σ over samples of dy·columnsᵀ.
///
/// The batch is cut into a fixed number of blocks, each summed in sample order (`samplesPerProduct`
/// at a time) into a partial sum of its own, and the partial sums are added in block order: whichever
/// core takes a block, the result is the same to the last bit, so a seeded training run repeats exactly.
func convolutionWeightGradientKernel(_ input: Tensor, _ outputGradient: Tensor, _ plan: ConvolutionPlan) -> Tensor {
    let g = plan.geometry, positions = g.outputPositions, batch = input.shape[0]
    let images = input.contiguous(), gradients = outputGradient.contiguous()
    let workers = plan.workers(batch: batch), multiply = plan.product(workers: workers)
    let scratch = plan.scratch(workers: workers), perProduct = plan.samplesPerProduct
    let blocks = workers == 1 ? 1 : Swift.min(batch, 4 * workers)
    let partials = Storage(repeating: 0, count: blocks * plan.weightCount)
    let x = images.storage.pointer + images.layout.offset, dy = gradients.storage.pointer + gradients.layout.offset
    parallelItems(blocks, workers: workers) { block, worker in
        let partial = partials.pointer + block * plan.weightCount
        var first = block * batch / blocks
        let end = (block + 1) * batch / blocks
        while first < end {
            let count = Swift.min(perProduct, end - first), width = count * positions
            let columns = plan.columns(of: x, first: first, count: count, scratch: scratch, worker: worker)
            let gradient = plan.gathered(dy, first: first, count: count, scratch: scratch, worker: worker)
            for group in 0..<plan.groups {
                multiply(false, true, plan.groupOutputs, plan.groupRows, width,
                         gradient + group * plan.groupOutputs * width, width,
                         columns + group * plan.groupRows * width, width,
                         partial + group * plan.groupOutputs * plan.groupRows, plan.groupRows, true)
            }
            first += count
        }
    }
    if blocks == 1 { return Tensor(storage: partials, layout: Layout(contiguous: plan.weightShape)) }
    let result = Storage(uninitializedCount: plan.weightCount)
    result.pointer.update(from: partials.pointer, count: plan.weightCount)
    for block in 1..<blocks {
        let partial = partials.pointer + block * plan.weightCount
        for index in 0..<plan.weightCount { result.pointer[index] += partial[index] }
    }
    return Tensor(storage: result, layout: Layout(contiguous: plan.weightShape))
}
