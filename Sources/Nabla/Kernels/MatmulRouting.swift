import CNablaBLAS
import CNablaKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Which implementation computes a matrix product, chosen by measurement on the machine that runs it.
///
/// Neither Nabla's AVX-512 kernel nor OpenBLAS wins everywhere, and which one wins depends on the
/// machine, not only on the processor: a workplace may pin OpenBLAS to its AVX2 kernels
/// (`OPENBLAS_CORETYPE=Haswell`), where Nabla's kernel is ahead, while a user's OpenBLAS picks its own
/// AVX-512 kernels and on this project's machine was ahead at 256–512 square, mostly through its
/// cheaper threading. So the first product of each shape class (the transposes and the power of two
/// just above each of m, n and k, and whether the product runs alone or inside a batch on one core)
/// times every candidate on the product's own operands, a few calls each, and keeps the fastest for
/// the rest of the process. A class is decided once, under a lock, before its first result is
/// computed, so products of one class always take the same path within a process, and the decision
/// is written to a file for this machine (`ProductRouteStore`) that later processes read, so a seeded
/// run repeats to the last bit in the next process too.
enum ProductRoute: String, CaseIterable, Sendable {
    /// Nabla's kernel on the calling thread.
    case nabla
    /// `cblas_sgemm` with OpenBLAS at one thread.
    case openBLAS = "openblas"
    /// Nabla's kernel, the product cut into one block of columns (or rows) per core.
    case nablaSplit = "nabla-split"
    /// `cblas_sgemm` with OpenBLAS's own threads on every core.
    case openBLASThreaded = "openblas-threaded"
}

enum ProductRouting {
    /// Whether this processor runs Nabla's kernel (AVX-512F).
    static let nablaKernelAvailable = nabla_sgemm_available()

    /// The candidates for a product on one thread (inside a batch spread over the cores).
    static var singleThreadCandidates: [ProductRoute] { nablaKernelAvailable ? [.nabla, .openBLAS] : [.openBLAS] }

    /// The candidates for a product that may use every core. OpenBLAS's threads only compete for
    /// large products, and must be at least 5% faster to be chosen: after each call its workers spin
    /// for a while, taking the cores from Nabla's own threads in the element-wise work that follows,
    /// which a timing of the product alone cannot see.
    static func sharedCandidates(multiplyAdds: Int) -> [ProductRoute] {
        guard nablaKernelAvailable else { return [.openBLASThreaded] }
        return multiplyAdds >= openBLASThreadsThreshold ? [.nablaSplit, .openBLASThreaded] : [.nabla, .openBLAS, .nablaSplit]
    }

    /// Products of at least this many multiply-adds may run on OpenBLAS's threads.
    static let openBLASThreadsThreshold = 1 << 24

    /// Decisions so far, by shape class: this machine's earlier processes' first, then this one's.
    private static let decisions = Mutex<[Int: ProductRoute]>(ProductRouteStore.path.map { ProductRouteStore.load(from: $0) } ?? [:])
    /// Held while a class is measured, so that two measurements never share the cores and every
    /// thread waiting for the same class gets the same answer.
    private static let measuring = Mutex<Void>(())

    /// The route for a product, measured on these operands if its class is new.
    static func route(shared: Bool, _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int) -> ProductRoute {
        let candidates = shared ? sharedCandidates(multiplyAdds: m * n * k) : singleThreadCandidates
        if candidates.count == 1 { return candidates[0] }
        let key = shapeClass(shared: shared, transposeA, transposeB, m, n, k)
        // A decision read from the store is only taken while it is still a candidate.
        if let known = decisions.withLock({ $0[key] }), candidates.contains(known) { return known }
        return measuring.withLock { _ in
            if let known = decisions.withLock({ $0[key] }), candidates.contains(known) { return known }
            let chosen = fastest(candidates, transposeA, transposeB, m, n, k, a, lda, b, ldb)
            decisions.withLock { $0[key] = chosen }
            if let path = ProductRouteStore.path { ProductRouteStore.record(key, chosen, at: path) }
            return chosen
        }
    }

    /// The route already chosen for a product's class, if any.
    static func decidedRoute(shared: Bool, _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int) -> ProductRoute? {
        let candidates = shared ? sharedCandidates(multiplyAdds: m * n * k) : singleThreadCandidates
        if candidates.count == 1 { return candidates[0] }
        let key = shapeClass(shared: shared, transposeA, transposeB, m, n, k)
        return decisions.withLock { $0[key] }
    }

    /// The shape class: whether the product runs alone, whether it is large enough for OpenBLAS's
    /// threads (the candidates differ), the transposes, and ⌈log₂⌉ of m, n and k.
    static func shapeClass(shared: Bool, _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int) -> Int {
        func bucket(_ size: Int) -> Int { size <= 1 ? 0 : Int.bitWidth - (size - 1).leadingZeroBitCount }
        let large = shared && m * n * k >= openBLASThreadsThreshold
        return (large ? 1 << 27 : 0) | (shared ? 1 << 26 : 0) | (transposeA ? 1 << 25 : 0) | (transposeB ? 1 << 24 : 0)
            | bucket(m) << 16 | bucket(n) << 8 | bucket(k)
    }

    /// Times each candidate on the product into a scratch matrix: one untimed call each (OpenBLAS's
    /// threads start, caches fill), then rounds in alternating order, keeping each candidate's best.
    /// A round is at least about 10 µs of work, so timer resolution does not decide; products of more
    /// than 2²⁸ multiply-adds get two rounds, so deciding stays a small part of a large program's time
    /// (one round let a single disturbed call pick the slower route at 1024 × 1024).
    private static func fastest(_ candidates: [ProductRoute], _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int,
                                _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                _ ldb: Int) -> ProductRoute {
        let multiplyAdds = max(m * n * k, 1)
        let calls = min(max(1, (1 << 20) / multiplyAdds), 256)
        let rounds = multiplyAdds > 1 << 28 ? 2 : 3
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { scratch.deallocate() }
        func run(_ route: ProductRoute) {
            compute(route, transposeA, transposeB, m, n, k, a, lda, b, ldb, scratch, n, accumulate: false)
        }
        for route in candidates { run(route) }
        var best = [Double](repeating: .infinity, count: candidates.count)
        for round in 0..<rounds {
            let order = round.isMultiple(of: 2) ? Array(candidates.indices) : candidates.indices.reversed()
            for index in order {
                let start = monotonicSeconds()
                for _ in 0..<calls { run(candidates[index]) }
                best[index] = min(best[index], monotonicSeconds() - start)
            }
        }
        // OpenBLAS's threads keep spinning for a while after each call, taking cores from the work that
        // follows; a product timed alone cannot show that, so they must win by more than that margin.
        let weighted = candidates.indices.map { best[$0] * (candidates[$0] == .openBLASThreaded ? 1.05 : 1) }
        return candidates[weighted.indices.min { weighted[$0] < weighted[$1] }!]
    }

    /// C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`, by `route`.
    static func compute(_ route: ProductRoute, _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, accumulate: Bool) {
        switch route {
        case .nabla:
            nabla_sgemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate)
        case .openBLAS:
            BLASThreads.useOne()
            openBLASProduct(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate: accumulate)
        case .nablaSplit:
            splitNablaProduct(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate: accumulate)
        case .openBLASThreaded:
            WorkerPool.shared.rest()   // OpenBLAS's threads want the cores Nabla's workers poll on
            openblas_set_num_threads(Int32(Parallelism.cores))
            openBLASProduct(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate: accumulate)
            openblas_set_num_threads(1)
        }
    }

}

/// `cblas_sgemm` with OpenBLAS's current thread count.
@inline(__always)
private func openBLASProduct(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ c: UnsafeMutablePointer<Float>, _ ldc: Int, accumulate: Bool) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
}

/// Nabla's kernel with the product cut into one block per core: blocks are whole tiles of the kernel
/// (32 columns or 12 rows) so no core computes padding.
private func splitNablaProduct(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                               _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                               _ c: UnsafeMutablePointer<Float>, _ ldc: Int, accumulate: Bool) {
    let cores = Parallelism.cores
    if n >= m {
        let size = ((n + cores - 1) / cores + 31) / 32 * 32
        parallelItems((n + size - 1) / size, workers: cores) { part, _ in
            let start = part * size, count = Swift.min(size, n - start)
            nabla_sgemm(transposeA, transposeB, m, count, k, a, lda, transposeB ? b + start * ldb : b + start, ldb,
                        c + start, ldc, accumulate)
        }
    } else {
        let size = ((m + cores - 1) / cores + 11) / 12 * 12
        parallelItems((m + size - 1) / size, workers: cores) { part, _ in
            let start = part * size, count = Swift.min(size, m - start)
            nabla_sgemm(transposeA, transposeB, count, n, k, transposeA ? a + start : a + start * lda, lda, b, ldb,
                        c + start * ldc, ldc, accumulate)
        }
    }
}

/// Seconds on a clock that only moves forward.
private func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// The route this process measured fastest for a row-major product of `m × k` by `k × n` run on all
/// cores (as `matmul` runs a single product), or nil while that shape class is undecided or the
/// product is too small to share: "nabla" or "openblas" on one thread, "nabla-split" (Nabla's kernel,
/// a block per core) or "openblas-threaded". For benchmarks and diagnostics.
public func matrixProductRoute(m: Int, n: Int, k: Int) -> String? {
    let shared = Parallelism.cores > 1 && m * n * k >= parallelThreshold
    return ProductRouting.decidedRoute(shared: shared, false, false, m, n, k)?.rawValue
}
