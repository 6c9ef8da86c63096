import Dispatch
import Nabla
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The cores this process may use: work is split across them where a loop is long enough to pay for
/// waking a thread (tens of microseconds). Nabla's count, so `withCoreCount` simulates other machines.
enum Cores {
    static var count: Int { Parallelism.cores }
}

/// Runs `body` over contiguous chunks of `0..<count`, one chunk per core, when there are at least
/// `minimumPerChunk` items per chunk; otherwise inline. Chunks must write disjoint memory.
func parallelRanges(_ count: Int, minimumPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    if count > 0 { parallelChunks(count, minimumPerChunk: max(minimumPerChunk, 1), body) }
}

/// Runs `body(index)` for every index in `0..<count` on all cores, handing out indices in small
/// batches so uneven work (tree nodes, bootstrap trees) balances.
func parallelForEach(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 || Cores.count == 1 { for index in 0..<count { body(index) }; return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: count) { index in box.value(index) }
    }
}

/// Hands a value to worker threads that only read it or write disjoint parts of it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A number in `%.4g` style without Foundation.
func formatNumber(_ value: Double, format: String = "%.4g") -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
        _ = withVaList([value]) { vsnprintf(buffer.baseAddress!, 64, format, $0) }
        return String(cString: buffer.baseAddress!)
    }
}

/// The sum of `body` over chunks of `0..<count`, chunks run on all cores as in `parallelRanges` and
/// added in chunk order.
func parallelSum(_ count: Int, minimumPerChunk: Int = 1, _ body: (Range<Int>) -> Double) -> Double {
    count > 0 ? parallelChunkResults(count, minimumPerChunk: max(minimumPerChunk, 1), body).reduce(0, +) : 0
}
