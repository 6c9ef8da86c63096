import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Splits `0..<count` into contiguous chunks run on all cores when the work is large enough to pay for
/// the hand-off (tens of microseconds while the workers poll; see `WorkerPool`): at most one chunk per core, each of at least
/// `minimumPerChunk` items; small work runs inline. Public so that the libraries built on Nabla (the
/// optimisers' update loops) spread their loops the same way.
@inline(__always)
public func parallelChunks(_ count: Int, minimumPerChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    let chunks = Parallelism.chunkCount(count, minimumPerChunk: minimumPerChunk)
    if chunks <= 1 { body(0..<count); return }
    runConcurrently(iterations: chunks) { chunk in body(chunkRange(chunk, of: chunks, count: count)) }
}

/// Chunk `chunk` of `0..<count` cut into `chunks` contiguous chunks whose sizes differ by at most one,
/// so that no chunk is empty while `chunks` ≤ `count` and none starts past the end. (Rounding the size
/// up instead leaves the last chunks past the end: 9 items in 8 chunks of 2 would end at 16.)
@inline(__always)
public func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
    (chunk * count / chunks)..<((chunk + 1) * count / chunks)
}

/// Runs `body(item, worker)` for every item of `0..<count` on `workers` threads at once (the caller's
/// and Dispatch's), `worker` numbering them `0..<workers` so each can keep scratch memory of its own.
/// Items are claimed one at a time, so a core slowed by another process takes fewer items instead of
/// holding the others up at the end.
func parallelItems(_ count: Int, workers: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
    if workers <= 1 || count <= 1 {
        for item in 0..<count { body(item, 0) }
        return
    }
    let next = ItemCounter()
    runConcurrently(iterations: workers) { worker in
        while true {
            let item = next.claim()
            if item >= count { return }
            body(item, worker)
        }
    }
}

/// The next unclaimed item of `parallelItems`.
private final class ItemCounter: Sendable {
    private let next = Atomic<Int>(0)
    func claim() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// `parallelChunks` for work that yields a result per chunk (a partial sum): the results in chunk order,
/// so that adding them up gives the same value on every run with the same number of cores.
public func parallelChunkResults<Result>(_ count: Int, minimumPerChunk: Int = 1 << 16,
                                         _ body: (Range<Int>) -> Result) -> [Result] {
    let chunks = Parallelism.chunkCount(count, minimumPerChunk: minimumPerChunk)
    if chunks <= 1 { return [body(0..<count)] }
    let results = UnsafeMutableBufferPointer<Result>.allocate(capacity: chunks)
    defer { results.deinitialize().deallocate() }
    runConcurrently(iterations: chunks) { chunk in
        (results.baseAddress! + chunk).initialize(to: body(chunkRange(chunk, of: chunks, count: count)))
    }
    return Array(results)
}

/// The number of cores parallel loops split their work across.
public enum Parallelism {
    /// The processor's online cores, read once.
    static let detectedCores = max(1, System.activeProcessorCount)

    /// A simulated machine set by `withCoreCount` for the current task or thread.
    struct Simulation {
        var cores: Int
        var minimumChunkDivisor: Int
    }

    @TaskLocal static var simulation: Simulation?

    /// The cores parallel loops use: the machine's, or the count given to an enclosing `withCoreCount`.
    public static var cores: Int { simulation?.cores ?? detectedCores }

    /// Lets Nabla's workers sleep now instead of polling for the next loop, so that a library with
    /// threads of its own (OpenBLAS's multithreaded products, LAPACK) has every core to itself. The
    /// next parallel loop wakes them. A polling worker yields its core to any runnable thread, yet the
    /// scheduler still gives it turns: measured on PCA of 60,000 × 784 images, `ssyrk` right after a
    /// parallel loop of Nabla's ran about 15% slower while the workers polled.
    public static func restWorkers() {
        WorkerPool.shared.rest()
    }

    /// Chunks for `count` items of which each chunk needs at least `minimumPerChunk`: at most one per core.
    @inline(__always)
    static func chunkCount(_ count: Int, minimumPerChunk: Int) -> Int {
        guard let simulation else { return min(detectedCores, count / max(minimumPerChunk, 1)) }
        return min(simulation.cores, count / max(minimumPerChunk / simulation.minimumChunkDivisor, 1))
    }
}

/// Runs `body` as if the machine had `cores` cores: Nabla's parallel loops (and those of the libraries
/// built on it) split their work into as many chunks as they would there, though the threads still run
/// on the cores that exist. Scoped to the calling task or thread, so tests that run side by side can
/// each simulate another machine; loops started on worker threads inside `body` see the real count.
///
/// `minimumChunkDivisor` divides the least work a loop gives one chunk, so that small inputs split the
/// way large ones do (a test can then run 96 chunks without 96 × 2¹⁶ elements).
public func withCoreCount<Result>(_ cores: Int, minimumChunkDivisor: Int = 1, _ body: () throws -> Result) rethrows -> Result {
    precondition(cores >= 1 && minimumChunkDivisor >= 1,
                 "withCoreCount: \(cores) cores with minimum chunk divisor \(minimumChunkDivisor); both must be at least 1")
    let simulation = Parallelism.Simulation(cores: cores, minimumChunkDivisor: minimumChunkDivisor)
    return try Parallelism.$simulation.withValue(simulation, operation: body)
}

/// Hands a value to worker threads that only read it or write disjoint parts of it.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

enum System {
    static var activeProcessorCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
