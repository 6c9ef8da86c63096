import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(0..<iterations)` on every core: on Nabla's own workers when they are free, otherwise on
/// Dispatch's (a second loop started while one runs, from another thread or from inside a loop's body).
@inline(__always)
func runConcurrently(iterations: Int, _ body: (Int) -> Void) {
    if WorkerPool.shared.perform(iterations: iterations, body) { return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
    }
}

/// Nabla's worker threads for parallel loops: one per core besides the caller's, which keep polling
/// for the next loop for a while after each one (`NABLA_SPIN_MILLISECONDS`, default 200) before they
/// sleep.
///
/// Why not Dispatch alone: on a virtual machine a core that went idle is halted by the hypervisor, and
/// waking a thread there took up to several milliseconds on this project's machine kind. Measured with
/// two halves of 0.5 ms of work after 50 ms of idle, Dispatch ran both halves on the caller's thread in
/// every try, and a 512 × 512 product split over two cores ran at one core's speed — while OpenBLAS,
/// whose workers poll for a while after each call, ran at two. OpenMP runtimes poll for the same reason
/// (Intel's for 200 ms by default). A polling worker calls `sched_yield`, so any other runnable thread
/// takes the core at once.
///
/// Items are claimed one at a time by whoever is free, so a worker that wakes late simply takes fewer;
/// the caller always works too, and waits at the end only for workers that joined the loop.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallelism.detectedCores - 1, spinNanoseconds: spinNanosecondsFromEnvironment())

    private let workerCount: Int
    private let spinNanoseconds: UInt64
    /// Set while a loop runs: the pool serves one loop at a time.
    private let isBusy = Atomic<Bool>(false)
    /// Bumped when a loop is posted; workers compare it with the last one they saw.
    private let generation = Atomic<Int>(0)
    /// True once the current loop takes no more workers (all its items are claimed).
    private let isClosed = Atomic<Bool>(true)
    /// Workers inside the current loop; the caller waits for zero before its body goes out of scope.
    private let participants = Atomic<Int>(0)
    private let nextItem = Atomic<Int>(0)
    /// Bumped by `rest()`: a polling worker that sees it change stops polling and sleeps.
    private let restRequests = Atomic<Int>(0)
    // Written by the caller before `isClosed` opens the loop, read by workers only after they see it open.
    private var itemCount = 0
    private var body: ((Int) -> Void)?
    private let sleepLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(workers: Int, spinNanoseconds: UInt64) {
        workerCount = max(0, workers)
        self.spinNanoseconds = spinNanoseconds
        pthread_mutex_init(sleepLock, nil)
        pthread_cond_init(wakeUp, nil)
        for _ in 0..<workerCount { startWorker() }
    }

    /// Runs the loop on the pool, or returns false (running nothing) when the pool is serving another loop.
    func perform(iterations: Int, _ body: (Int) -> Void) -> Bool {
        guard workerCount > 0, isBusy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            itemCount = iterations
            nextItem.store(0, ordering: .relaxed)
            isClosed.store(false, ordering: .sequentiallyConsistent)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(sleepLock)
            pthread_cond_broadcast(wakeUp)
            pthread_mutex_unlock(sleepLock)
            claimItems(body, count: iterations)
            isClosed.store(true, ordering: .sequentiallyConsistent)
            while participants.load(ordering: .sequentiallyConsistent) != 0 { sched_yield() }
            self.body = nil
        }
        isBusy.store(false, ordering: .releasing)
        return true
    }

    @inline(__always)
    private func claimItems(_ body: (Int) -> Void, count: Int) {
        while true {
            let item = nextItem.wrappingAdd(1, ordering: .relaxed).oldValue
            if item >= count { return }
            body(item)
        }
    }

    private func startWorker() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue().workerLoop()
            return nil
        }, context)
        precondition(status == 0, "WorkerPool: pthread_create failed with status \(status)")
        pthread_detach(thread)
    }

    private func workerLoop() -> Never {
        var seen = generation.load(ordering: .acquiring)
        while true {
            seen = waitForLoop(after: seen)
            // Join, then look whether the loop still takes workers: the caller closes it and then counts
            // participants, so either it waits for this worker or this worker sees it closed.
            participants.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if !isClosed.load(ordering: .sequentiallyConsistent) { runOpenLoop() }
            participants.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// A worker's share of the open loop. A function of its own so that this thread's copy of the body
    /// is released before the worker leaves the loop: the caller's `withoutActuallyEscaping` checks that
    /// no copy outlives it.
    @inline(never)
    private func runOpenLoop() {
        if let body { claimItems(body, count: itemCount) }
    }

    /// Sends the polling workers to sleep now rather than at the end of their polling time.
    func rest() {
        restRequests.wrappingAdd(1, ordering: .relaxed)
    }

    /// Polls for a generation other than `seen` (until the polling time ends or `rest()` is called),
    /// then sleeps until one is posted.
    private func waitForLoop(after seen: Int) -> Int {
        let deadline = monotonicNanoseconds() + spinNanoseconds
        let rests = restRequests.load(ordering: .relaxed)
        var polls = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            polls += 1
            if polls & 15 == 0, monotonicNanoseconds() >= deadline || restRequests.load(ordering: .relaxed) != rests { break }
            sched_yield()
        }
        pthread_mutex_lock(sleepLock)
        defer { pthread_mutex_unlock(sleepLock) }
        while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wakeUp, sleepLock) }
        return generation.load(ordering: .acquiring)
    }

    /// `NABLA_SPIN_MILLISECONDS` (0 = sleep at once), 200 when unset or not a number in 0...10,000.
    static func spinNanosecondsFromEnvironment() -> UInt64 {
        guard let text = getenv("NABLA_SPIN_MILLISECONDS"), let milliseconds = UInt64(String(cString: text)),
              milliseconds <= 10_000 else { return 200_000_000 }
        return milliseconds * 1_000_000
    }
}

/// Nanoseconds on a clock that only moves forward.
@inline(__always)
private func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
