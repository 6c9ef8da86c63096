import CNablaKernels
@testable import Nabla
import NablaTestSupport
import Testing

// Every parallel loop of the core, run as on 1, 3, 8, 16, 64 and 96 cores (`withCoreCount`) on this
// machine: each must give one core's result, bit for bit where its chunks never change the order of any
// element's arithmetic. With the loops' least work per chunk divided by 64, the inputs are large enough
// that the loops really split into that many chunks, and several leave the last chunks of a rounded-up
// split past the end (100 items on 96 cores, 9 on 8).

@Suite struct CoreCountTests {
    @Test func chunksCoverEveryItemOnceAndNoneIsEmpty() {
        for count in 1...200 {
            for chunks in 1...Swift.min(count, 100) {
                let ranges = (0..<chunks).map { chunkRange($0, of: chunks, count: count) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count, "\(count) items in \(chunks) chunks")
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(count) in \(chunks)")
                let sizes = ranges.map(\.count)
                #expect(sizes.min()! >= 1 && sizes.max()! - sizes.min()! <= 1, "\(count) items in \(chunks) chunks: sizes \(sizes)")
            }
        }
    }

    @Test func parallelLoopsVisitEachItemOnceOnAnyCoreCount() {
        // 9 items on 8 cores once made the chunk 10..<9 and trapped.
        for cores in [1] + simulatedCoreCounts {
            for count in [0, 1, 9, 95, 97, 100, 1000] {
                var visits = [Int](repeating: 0, count: count)
                visits.withUnsafeMutableBufferPointer { buffer in
                    let target = UncheckedSendable(buffer.baseAddress)
                    withCoreCount(cores) {
                        parallelChunks(count, minimumPerChunk: 1) { range in
                            for index in range { target.value![index] += 1 }
                        }
                    }
                }
                #expect(visits.allSatisfy { $0 == 1 }, "\(count) items on \(cores) cores")
                let sums = withCoreCount(cores) { parallelChunkResults(count, minimumPerChunk: 1) { $0.reduce(0, +) } }
                #expect(sums.reduce(0, +) == count * (count - 1) / 2 && sums.count <= Swift.max(cores, 1), "\(count) items on \(cores) cores")
            }
        }
    }

    @Test func coreCountOverrideIsScopedAndNests() {
        let machine = Parallelism.cores
        withCoreCount(3) {
            #expect(Parallelism.cores == 3)
            withCoreCount(96) { #expect(Parallelism.cores == 96) }
            #expect(Parallelism.cores == 3)
        }
        #expect(Parallelism.cores == machine)
    }

    @Test func elementwiseKernels() {
        let random = RandomGenerator(seed: 1)
        // 100 chunks' worth at 2¹⁶ / 64 elements per chunk, plus a ragged tail.
        let a = random.normal([100 * 1024 + 37]), b = random.normal([100 * 1024 + 37])
        expectSameOnAnyCoreCount("exp, a·b, a + 2, 2 − b", minimumChunkDivisor: Self.divisor, tensors: {
            [a.exp(), a * b, a + 2, 2 - b]
        })
    }

    @Test func reductionsAlongAndAcrossTheInnermostAxis() {
        let random = RandomGenerator(seed: 2)
        let rows = random.normal([100, 1024])        // one chunk a row: 100 rows on 96 cores
        let columns = random.normal([7, 300, 200])   // columns of 300 values, 200 apart
        expectSameOnAnyCoreCount("sums and maxima", minimumChunkDivisor: Self.divisor, tensors: {
            [rows.sum(axis: 1), rows.reshaped([100, 2, 512]).max(axes: [1, 2]), columns.sum(axis: 1), columns.max(axes: [0, 1]),
             columns.sum(axes: [0, 1]), columns.sum(axes: [0, 2])]
        })
    }

    @Test func softmaxAndItsGradient() {
        let random = RandomGenerator(seed: 3)
        let x = random.normal([100, 512])
        let weights = random.normal([100, 512])
        expectSameOnAnyCoreCount("softmax, logSoftmax and gradient", minimumChunkDivisor: Self.divisor, tensors: {
            let input = x.detached()
            input.requiresGrad = true
            let y = input.softmax(axis: 1), z = input.logSoftmax(axis: 1)
            ((y + z) * weights).sum().backward()
            return [y, z, input.grad!]
        })
    }

    @Test func poolingForwardBackwardAndSecondOrder() {
        let random = RandomGenerator(seed: 4)
        let x = random.normal([2, 50, 16, 16])        // 100 planes: one plane per chunk
        let weights = random.normal([2, 50, 8, 8])
        expectSameOnAnyCoreCount("max and average pooling", minimumChunkDivisor: Self.divisor, tensors: {
            let input = x.detached()
            input.requiresGrad = true
            let pooled = maxPool2d(input, kernelSize: 2)
            let general = maxPool2d(input, kernelSize: 3, stride: 2, padding: 1)
            let averaged = avgPool2d(input, kernelSize: 2)
            let loss = (pooled * weights).sum() + (general * general).sum() + (averaged * weights).sum()
            let gradient = gradients(of: loss, withRespectTo: [input], createGraph: true)[0]
            let secondOrder = gradients(of: (gradient * gradient).sum(), withRespectTo: [input])[0]
            return [pooled, general, averaged, gradient, secondOrder]
        })
    }

    @Test func convolutionForwardAndGradients() {
        let random = RandomGenerator(seed: 5)
        let x = random.normal([100, 3, 8, 8]), w = random.normal([4, 3, 3, 3]), bias = random.normal([4])
        let large = random.normal([1, 16, 40, 40]), largeWeight = random.normal([32, 16, 3, 3])
        let forward = { (input: Tensor, weight: Tensor) -> [Tensor] in
            let bias = weight.shape[0] == bias.shape[0] ? bias : nil
            let parameters = [input.detached(), weight.detached()]
            for parameter in parameters { parameter.requiresGrad = true }
            let y = conv2d(parameters[0], weight: parameters[1], bias: bias, padding: 1)
            (y * y).sum().backward()
            return [y, parameters[0].grad!, parameters[1].grad!]
        }
        // One sample per worker; the weight gradient's partial sums are added by block, so it only agrees closely.
        expectSameOnAnyCoreCount("convolution of 100 samples, output and input gradient") { forward(x, w)[0...1].flatMap { $0.scalars.map(Double.init) } }
        expectSameOnAnyCoreCount("convolution of 100 samples, weight gradient", tolerance: Tolerance(absolute: 1e-3, relative: 1e-4)) {
            forward(x, w)[2].scalars.map(Double.init)
        }
        // A single sample large enough for its product to be shared among the cores.
        expectSameOnAnyCoreCount("convolution of one large sample", tolerance: Self.sharedProductTolerance) {
            forward(large, largeWeight).flatMap { $0.scalars.map(Double.init) }
        }
    }

    @Test func batchedAndSharedMatrixProducts() {
        let random = RandomGenerator(seed: 6)
        let a = random.normal([100, 8, 9]), b = random.normal([100, 9, 10])   // whole products per core
        let c = random.normal([300, 260]), d = random.normal([260, 250])     // one product cut by rows
        let e = random.normal([100, 260]), f = random.normal([260, 700])     // one product cut by columns
        expectSameOnAnyCoreCount("100 small products") { matmul(a, b).scalars.map(Double.init) }
        expectSameOnAnyCoreCount("large products shared among cores", tolerance: Self.sharedProductTolerance) {
            (matmul(c, d).scalars + matmul(e, f).scalars + matmul(c.transposed(), c).scalars).map(Double.init)
        }
    }

    /// The loops' least work per chunk is divided by this, so that small inputs split into many chunks.
    static let divisor = 64

    /// Nabla's own kernel computes each element the same way whichever core takes its block; BLAS (on
    /// processors without AVX-512) may cut a shared product by depth and so round differently.
    static let sharedProductTolerance: Tolerance? = nabla_sgemm_available() ? nil : Tolerance(absolute: 1e-4, relative: 1e-5)
}
