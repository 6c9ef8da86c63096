import ArgumentParser
import CNablaBLAS
import Nabla
#if canImport(Glibc)
import Glibc
#endif

/// `nabla bench core`: the tensor core measured against OpenBLAS called directly (matrix products) and
/// against memory bandwidth (element-wise operations and a full sum). Every line names its workload;
/// with --quick the sizes are small, the lines say "quick": true and the names end in "-quick".
struct CoreBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Matmul beside a direct cblas_sgemm, element-wise add/mul/exp, and a full sum.",
        discussion: "Prints one JSON object per line. Every figure is the median over the repetitions."
    )

    @OptionGroup var options: TimingOptions
    private var quick: Bool { options.quick }

    /// A workload's name, marked when the run is a quick smoke run.
    private func workload(_ name: String) -> String { quick ? name + "-quick" : name }

    func run() {
        // 15 paired repetitions: on a shared machine one run's load swings the speed of both sides by
        // tens of percent within seconds, and 7 pairs left the median ratio 5–8% from run to run.
        let timing = options.timing(defaultRepetitions: 15)
        let generator = RandomGenerator(seed: 0)
        printMachine()
        for n in quick ? [32, 64] : [256, 512, 1024] {
            benchmarkMatmul(n: n, generator: generator, timing: timing)
        }
        let elements = quick ? 100_000 : 10_000_000
        benchmarkElementwise(elements: elements, generator: generator, timing: timing)
        benchmarkSum(elements: elements, generator: generator, timing: timing)
    }

    /// What the figures depend on, so a line of output can be read without knowing where it ran.
    private func printMachine() {
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        printJSONLine(["benchmark": "machine", "build": build, "cores": Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                       "blas_threads": Int(cores),
                       "blas_core": String(cString: openblas_get_corename())])
    }

    private var cores: Int32 { Int32(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Square float32 products, Nabla's `matmul` and `cblas_sgemm` timed in the same repetitions.
    /// `ratio` is the median of the per-repetition ratios: pairing cancels load that both sides saw.
    /// `route` is how Nabla chose to compute this size on this machine (see `matrixProductRoute`).
    private func benchmarkMatmul(n: Int, generator: RandomGenerator, timing: InterleavedTiming) {
        let a = generator.normal([n, n]), b = generator.normal([n, n])
        let product = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { product.deallocate() }
        var timing = timing
        timing.settleSeconds = quick ? 0 : 0.15   // let OpenBLAS's spinning workers go to sleep between turns
        let seconds = a.withUnsafeBufferPointer { left in
            b.withUnsafeBufferPointer { right in
                timing.measure([
                    { matmul(a, b)[0, 0] },
                    {
                        // OpenBLAS with its own threads on every core, as a program calling it directly
                        // would run it (Nabla keeps OpenBLAS at one thread between its own calls), and
                        // Nabla's workers asleep: polling still for Nabla's turn, they would take turns
                        // on OpenBLAS's cores and flatter Nabla.
                        Parallelism.restWorkers()
                        openblas_set_num_threads(cores)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                                    1, left.baseAddress, Int32(n), right.baseAddress, Int32(n), 0, product, Int32(n))
                        openblas_set_num_threads(1)
                        return product[0]
                    },
                ])
            }
        }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        printJSONLine(["benchmark": "matmul", "workload": workload("matmul_\(n)"), "quick": quick, "n": n,
                       "nabla_gflops": flops / median(seconds[0]) * 1e-9,
                       "cblas_gflops": flops / median(seconds[1]) * 1e-9,
                       "ratio": median(zip(seconds[0], seconds[1]).map { nabla, cblas in cblas / nabla }),
                       "route": matrixProductRoute(m: n, n: n, k: n) ?? "undecided"])
    }

    /// Add, multiply and exp on contiguous tensors. Bytes count each element read and written once.
    /// `plain_loop_gb_per_s` is the same operation as a single-threaded loop into a reused buffer: the
    /// gap to it is what allocation, threading and dispatch cost (or gain).
    private func benchmarkElementwise(elements: Int, generator: RandomGenerator, timing: InterleavedTiming) {
        let x = generator.uniform([elements], low: -1, high: 1), y = generator.uniform([elements], low: -1, high: 1)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: elements)
        defer { output.deallocate() }
        x.withUnsafeBufferPointer { first in
            y.withUnsafeBufferPointer { second in
                let p = first.baseAddress!, q = second.baseAddress!
                let operations: [(name: String, bytesPerElement: Int, nabla: () -> Tensor, plain: () -> Void)] = [
                    ("add", 12, { x + y }, { for index in 0..<elements { output[index] = p[index] + q[index] } }),
                    ("mul", 12, { x * y }, { for index in 0..<elements { output[index] = p[index] * q[index] } }),
                    ("exp", 8, { x.exp() }, { for index in 0..<elements { output[index] = expf(p[index]) } }),
                ]
                for operation in operations {
                    let seconds = timing.measure([{ operation.nabla()[0] }, { operation.plain(); return output[0] }])
                    let nablaSeconds = median(seconds[0]), bytes = Double(operation.bytesPerElement * elements)
                    printJSONLine(["benchmark": "elementwise", "workload": workload(operation.name), "quick": quick,
                                   "op": operation.name, "elements": elements,
                                   "seconds": nablaSeconds, "gb_per_s": bytes / nablaSeconds * 1e-9,
                                   "ns_per_element": nablaSeconds / Double(elements) * 1e9,
                                   "plain_loop_gb_per_s": bytes / median(seconds[1]) * 1e-9])
                }
            }
        }
    }

    /// A full sum, with its relative error against a double-precision sum of the same float32 values.
    /// Values are in [0, 1) so the sum does not cancel and the relative error means what it says.
    private func benchmarkSum(elements: Int, generator: RandomGenerator, timing: InterleavedTiming) {
        let x = generator.uniform([elements])
        let seconds = median(timing.measure([{ x.sum().item }])[0])
        let exact = x.withUnsafeBufferPointer { values in values.reduce(0.0) { $0 + Double($1) } }
        let relativeError = abs(Double(x.sum().item) - exact) / abs(exact)
        printJSONLine(["benchmark": "sum", "workload": workload("sum"), "quick": quick, "elements": elements, "seconds": seconds,
                       "gb_per_s": Double(4 * elements) / seconds * 1e-9,
                       "ns_per_element": seconds / Double(elements) * 1e9,
                       "relative_error": relativeError])
    }
}
