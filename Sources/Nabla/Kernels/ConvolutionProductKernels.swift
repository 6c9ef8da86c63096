/// Convolution products computed sample by sample.
///
/// Lowering a whole batch to one column matrix and one GEMM leaves the product in [O, N, Ho·Wo] order,
/// so every layer pays a permute copy, and a GEMM that large runs on OpenBLAS's own threads, whose
/// spinning between calls took a fifth of a small CNN's training time. Here each core takes whole
/// samples instead: it unrolls one sample's windows into a column matrix small enough to stay in cache,
/// multiplies on its own thread (`gemm`), and writes the result in place in (N, O, Ho, Wo) order.
/// Weight gradients are summed per block of samples and the blocks added once at the end.
///
/// With groups, the column matrix's rows and the output channels split into `groups` equal blocks, and
/// block g of the output only reads block g of the rows.
struct ConvolutionPlan {
    let geometry: ConvolutionGeometry
    let outputChannels: Int
    let groups: Int

    var groupOutputs: Int { outputChannels / groups }
    /// Column-matrix rows per group: also the length of one output channel's flattened kernel.
    var groupRows: Int { geometry.columnRows / groups }
    var weightCount: Int { outputChannels * groupRows }
    /// Floats in one sample's output [O, Ho, Wo].
    var outputCount: Int { outputChannels * geometry.outputPositions }
    var weightShape: [Int] {
        [outputChannels, geometry.channels / groups, geometry.kernel.height, geometry.kernel.width]
    }

    /// Threads for a batch: one per core, unless the whole product is too small to pay for waking them.
    func workers(batch: Int) -> Int {
        let multiplyAdds = batch * weightCount * geometry.outputPositions
        return multiplyAdds < 1 << 18 ? 1 : Swift.min(Parallelism.cores, batch)
    }

    /// With one worker (a batch of one), a single large product may still be shared among the cores.
    func product(workers: Int) -> ProductFunction { workers > 1 ? gemm : parallelGEMM }

    /// Scratch for one column matrix per worker, or nil when the image itself is its column matrix.
    func columnScratch(workers: Int) -> Storage? {
        geometry.isPointwise ? nil : Storage(uninitializedCount: workers * geometry.columnRows * geometry.outputPositions)
    }

    /// Sample `n`'s column matrix [C·kh·kw, Ho·Wo]: unrolled into this worker's scratch, or the image itself.
    func columns(of images: UnsafePointer<Float>, sample n: Int, scratch: Storage?, worker: Int) -> UnsafePointer<Float> {
        let image = images + n * geometry.inputImageCount
        guard let scratch else { return image }
        let destination = scratch.pointer + worker * geometry.columnRows * geometry.outputPositions
        unfoldSample(image, geometry, into: destination, rowStride: geometry.outputPositions)
        return UnsafePointer(destination)
    }
}

typealias ProductFunction = (Bool, Bool, Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                             UnsafeMutablePointer<Float>, Int, Bool) -> Void

/// y = W ⋆ x + b: input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O) → (N, O, Ho, Wo).
func convolutionKernel(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, _ plan: ConvolutionPlan) -> Tensor {
    let g = plan.geometry, positions = g.outputPositions, batch = input.shape[0]
    let images = input.contiguous(), kernels = weight.contiguous(), shifts = bias?.contiguous()
    let result = Storage(uninitializedCount: batch * plan.outputCount)
    let workers = plan.workers(batch: batch), multiply = plan.product(workers: workers)
    let scratch = plan.columnScratch(workers: workers)
    let x = images.storage.pointer + images.layout.offset, w = kernels.storage.pointer + kernels.layout.offset
    let b = shifts.map { $0.storage.pointer + $0.layout.offset }
    parallelItems(batch, workers: workers) { n, worker in
        let columns = plan.columns(of: x, sample: n, scratch: scratch, worker: worker)
        let y = result.pointer + n * plan.outputCount
        if let b {
            for channel in 0..<plan.outputChannels { (y + channel * positions).update(repeating: b[channel], count: positions) }
        }
        for group in 0..<plan.groups {
            multiply(false, false, plan.groupOutputs, positions, plan.groupRows,
                     w + group * plan.groupOutputs * plan.groupRows, plan.groupRows,
                     columns + group * plan.groupRows * positions, positions,
                     y + group * plan.groupOutputs * positions, positions, b != nil)
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [batch, plan.outputChannels, g.outputHeight, g.outputWidth]))
}

/// ∂L/∂x from ∂L/∂y: each sample's columns Wᵀ·dy folded back onto the pixels they were read from (col2im).
/// This is also the transposed convolution of `outputGradient` by `weight`.
func convolutionInputGradientKernel(_ outputGradient: Tensor, _ weight: Tensor, _ plan: ConvolutionPlan) -> Tensor {
    let g = plan.geometry, positions = g.outputPositions, batch = outputGradient.shape[0]
    let gradients = outputGradient.contiguous(), kernels = weight.contiguous()
    let result = Storage(uninitializedCount: batch * g.inputImageCount)
    let workers = plan.workers(batch: batch), multiply = plan.product(workers: workers)
    let scratch = plan.columnScratch(workers: workers)
    let dy = gradients.storage.pointer + gradients.layout.offset, w = kernels.storage.pointer + kernels.layout.offset
    parallelItems(batch, workers: workers) { n, worker in
        let image = result.pointer + n * g.inputImageCount
        let columns = scratch.map { $0.pointer + worker * g.columnRows * positions } ?? image
        for group in 0..<plan.groups {
            multiply(true, false, plan.groupRows, positions, plan.groupOutputs,
                     w + group * plan.groupOutputs * plan.groupRows, plan.groupRows,
                     dy + n * plan.outputCount + group * plan.groupOutputs * positions, positions,
                     columns + group * plan.groupRows * positions, positions, false)
        }
        if scratch != nil {
            image.update(repeating: 0, count: g.inputImageCount)
            foldScratchSample(columns, rowStride: positions, g, into: image)
        }
    }
    return Tensor(storage: result, layout: Layout(contiguous: [batch, g.channels, g.inputHeight, g.inputWidth]))
}

/// ∂L/∂W from the input and ∂L/∂y: Σ over samples of dy·columnsᵀ.
///
/// The batch is cut into a fixed number of blocks, each summed in sample order into a partial sum of
/// its own, and the partial sums are added in block order: whichever core takes a block, the result
/// is the same to the last bit, so a seeded training run repeats exactly.
func convolutionWeightGradientKernel(_ input: Tensor, _ outputGradient: Tensor, _ plan: ConvolutionPlan) -> Tensor {
    let g = plan.geometry, positions = g.outputPositions, batch = input.shape[0]
    let images = input.contiguous(), gradients = outputGradient.contiguous()
    let workers = plan.workers(batch: batch), multiply = plan.product(workers: workers)
    let scratch = plan.columnScratch(workers: workers)
    let blocks = workers == 1 ? 1 : Swift.min(batch, 4 * workers)
    let partials = Storage(repeating: 0, count: blocks * plan.weightCount)
    let x = images.storage.pointer + images.layout.offset, dy = gradients.storage.pointer + gradients.layout.offset
    parallelItems(blocks, workers: workers) { block, worker in
        let partial = partials.pointer + block * plan.weightCount
        for n in (block * batch / blocks)..<((block + 1) * batch / blocks) {
            let columns = plan.columns(of: x, sample: n, scratch: scratch, worker: worker)
            for group in 0..<plan.groups {
                multiply(false, true, plan.groupOutputs, plan.groupRows, positions,
                         dy + n * plan.outputCount + group * plan.groupOutputs * positions, positions,
                         columns + group * plan.groupRows * positions, positions,
                         partial + group * plan.groupOutputs * plan.groupRows, plan.groupRows, true)
            }
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
