import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Splits `0..<count` into contiguous chunks run on all cores when the work is large enough to pay for
/// the hand-off (about 50 µs of thread wake-up): at most one chunk per core, each of at least
/// `minimumPerChunk` items; small work runs inline. Public so that the libraries built on Nabla (the
/// optimisers' update loops) spread their loops the same way.
@inline(__always)
public func parallelChunks(_ count: Int, minimumPerChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    let chunks = min(Parallelism.cores, count / minimumPerChunk)
    if chunks <= 1 { body(0..<count); return }
    let size = (count + chunks - 1) / chunks
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * size
            box.value(start..<min(start + size, count))
        }
    }
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
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while true {
                let item = next.claim()
                if item >= count { return }
                box.value(item, worker)
            }
        }
    }
}

/// The next unclaimed item of `parallelItems`.
private final class ItemCounter: Sendable {
    private let next = Atomic<Int>(0)
    func claim() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// `parallelChunks` for work that yields a result per chunk (a partial sum): the results in chunk order,
/// so that adding them up gives the same value on every run.
public func parallelChunkResults<Result>(_ count: Int, minimumPerChunk: Int = 1 << 16,
                                         _ body: (Range<Int>) -> Result) -> [Result] {
    let chunks = min(Parallelism.cores, count / minimumPerChunk)
    if chunks <= 1 { return [body(0..<count)] }
    let size = (count + chunks - 1) / chunks
    let results = UnsafeMutableBufferPointer<Result>.allocate(capacity: chunks)
    defer { results.deinitialize().deallocate() }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable((body, results))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * size
            (box.value.1.baseAddress! + chunk).initialize(to: box.value.0(start..<min(start + size, count)))
        }
    }
    return Array(results)
}

enum Parallelism {
    static let cores = max(1, System.activeProcessorCount)
}

/// Hands a value to worker threads that only read it or write disjoint parts of it.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

enum System {
    static var activeProcessorCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
