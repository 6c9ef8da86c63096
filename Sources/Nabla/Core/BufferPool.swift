#if canImport(Glibc)
import Glibc
#endif

/// Keeps large freed tensor buffers for reuse.
///
/// A training step allocates the same large sizes every iteration. Above glibc's mmap threshold each
/// fresh buffer costs page faults on first touch (about 15 ms for 40 MB), which made a 10M-element add
/// 7× slower than the loop itself. Smaller buffers suffer too: glibc returns freed memory at the top of
/// its heap to the system and faults it in again on the next step, which took a quarter of an MLP's
/// training time. Buffers of 16 KiB and more are therefore kept on free lists by exact (page-rounded)
/// size, up to `capacityBytes` in all; smaller ones go straight to malloc, which is fast for them.
enum BufferPool {
    static let minimumBytes = 16 << 10
    static let capacityBytes = 1 << 30

    nonisolated(unsafe) private static var freeLists: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var cachedBytes = 0
    nonisolated(unsafe) private static var lock = pthread_mutex_t()
    private static let lockReady: Bool = { pthread_mutex_init(&lock, nil); return true }()

    /// The size actually reserved for a request, rounded so that nearby sizes share lists.
    static func roundedBytes(_ bytes: Int) -> Int { (Swift.max(bytes, 1) + 4095) & ~4095 }

    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = roundedBytes(bytes)
        if size >= minimumBytes, let reused = withLock({ () -> UnsafeMutableRawPointer? in
            guard let pointer = freeLists[size]?.popLast() else { return nil }
            cachedBytes -= size
            return pointer
        }) {
            return reused
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let size = roundedBytes(bytes)
        let kept = size >= minimumBytes && withLock { () -> Bool in
            guard cachedBytes + size <= capacityBytes else { return false }
            freeLists[size, default: []].append(pointer)
            cachedBytes += size
            return true
        }
        if !kept { pointer.deallocate() }
    }

    /// Returns every cached buffer to the system (e.g. between unrelated workloads).
    static func trim() {
        let all = withLock { () -> [UnsafeMutableRawPointer] in
            defer { freeLists = [:]; cachedBytes = 0 }
            return freeLists.values.flatMap { $0 }
        }
        all.forEach { $0.deallocate() }
    }

    private static func withLock<Result>(_ body: () -> Result) -> Result {
        _ = lockReady
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }
}
