import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Splits `0..<count` into contiguous chunks run on all cores when the work is large enough to pay for
/// the hand-off (about 50 µs of thread wake-up); small work runs inline.
@inline(__always)
func parallelChunks(_ count: Int, minimumPerChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
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
