#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Produces batches `0..<batchCount` on a background thread, at most `depth` ahead of the consumer.
///
/// The queue is bounded, so a slow consumer holds back the producer instead of filling memory. Dropping
/// the prefetcher (the consumer stopped early, e.g. `break` out of a `for` loop) cancels the producer,
/// wakes it if it waits for room, and joins the thread before returning: no thread outlives its
/// prefetcher, and nothing waits on a consumer that is gone.
final class BatchPrefetcher {
    private let state: PrefetchState
    private var thread: pthread_t

    init(batchCount: Int, depth: Int, produce: @escaping (Int) -> Batch) {
        precondition(depth >= 1, "BatchPrefetcher: depth \(depth) must be at least 1")
        let state = PrefetchState(batchCount: batchCount, depth: depth, produce: produce)
        self.state = state
        var thread = pthread_t()
        let context = Unmanaged.passRetained(state).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            // The thread owns one reference to the shared state, released when it finishes.
            let state = Unmanaged<PrefetchState>.fromOpaque(context!).takeRetainedValue()
            state.runProducer()
            return nil
        }, context)
        precondition(created == 0, "BatchPrefetcher: cannot start a thread: \(systemMessage(created))")
        self.thread = thread
        PrefetchState.threadStarted()
    }

    /// The next batch in order, waiting for the producer if needed; nil after the last one.
    func next() -> Batch? { state.take() }

    deinit {
        state.cancel()
        pthread_join(thread, nil)
        PrefetchState.threadEnded()
    }

    /// How many producer threads are alive, for tests that check early exits leak none.
    static var liveThreadCount: Int { PrefetchState.liveThreads() }
}

/// What the producer thread and the consumer share, guarded by one mutex with two conditions.
private final class PrefetchState {
    private let batchCount: Int
    private let depth: Int
    private let produce: (Int) -> Batch
    private var ready: [Batch?] = []
    private var readyStart = 0
    private var finished = false
    private var cancelled = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let hasRoom = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let hasBatch = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(batchCount: Int, depth: Int, produce: @escaping (Int) -> Batch) {
        self.batchCount = batchCount
        self.depth = depth
        self.produce = produce
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(hasRoom, nil)
        pthread_cond_init(hasBatch, nil)
    }

    deinit {
        pthread_cond_destroy(hasBatch)
        pthread_cond_destroy(hasRoom)
        pthread_mutex_destroy(mutex)
        hasBatch.deallocate()
        hasRoom.deallocate()
        mutex.deallocate()
    }

    private var queued: Int { ready.count - readyStart }

    func runProducer() {
        for index in 0..<batchCount {
            pthread_mutex_lock(mutex)
            while queued >= depth && !cancelled { pthread_cond_wait(hasRoom, mutex) }
            let stop = cancelled
            pthread_mutex_unlock(mutex)
            if stop { break }

            // Produced outside the lock, so the consumer can take earlier batches meanwhile.
            let batch = produce(index)

            pthread_mutex_lock(mutex)
            if readyStart > depth { ready.removeFirst(readyStart); readyStart = 0 }
            ready.append(batch)
            pthread_cond_signal(hasBatch)
            pthread_mutex_unlock(mutex)
        }
        pthread_mutex_lock(mutex)
        finished = true
        pthread_cond_broadcast(hasBatch)
        pthread_mutex_unlock(mutex)
    }

    func take() -> Batch? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while queued == 0 && !finished { pthread_cond_wait(hasBatch, mutex) }
        guard queued > 0 else { return nil }
        let batch = ready[readyStart]
        // Drop the queue's reference now so the batch's memory goes when the consumer is done with it.
        ready[readyStart] = nil
        readyStart += 1
        pthread_cond_signal(hasRoom)
        return batch
    }

    func cancel() {
        pthread_mutex_lock(mutex)
        cancelled = true
        pthread_cond_broadcast(hasRoom)
        pthread_mutex_unlock(mutex)
    }

    // A count of live producer threads; a plain mutex keeps it exact across threads.
    nonisolated(unsafe) private static var live = 0
    nonisolated(unsafe) private static let counterLock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()

    static func threadStarted() { pthread_mutex_lock(counterLock); live += 1; pthread_mutex_unlock(counterLock) }
    static func threadEnded() { pthread_mutex_lock(counterLock); live -= 1; pthread_mutex_unlock(counterLock) }
    static func liveThreads() -> Int {
        pthread_mutex_lock(counterLock)
        defer { pthread_mutex_unlock(counterLock) }
        return live
    }
}
