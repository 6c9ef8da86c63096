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
final class BatchPrefetcher<Element> {
    private let state: PrefetchState<Element>
    private var thread: pthread_t

    init(batchCount: Int, depth: Int, produce: @escaping (Int) -> Element) {
        precondition(depth >= 1, "BatchPrefetcher: depth \(depth) must be at least 1")
        let state = PrefetchState(batchCount: batchCount, depth: depth, produce: produce)
        self.state = state
        var thread = pthread_t()
        // A C thread function cannot capture the element type, so the thread gets a non-generic box that
        // holds the producer loop; the thread owns one reference to it (and so to the shared state),
        // released when it finishes.
        let context = Unmanaged.passRetained(ThreadBody(state.runProducer)).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(created == 0, "BatchPrefetcher: cannot start a thread: \(systemMessage(created))")
        self.thread = thread
        PrefetchThreads.started()
    }

    /// The next batch in order, waiting for the producer if needed; nil after the last one.
    func next() -> Element? { state.take() }

    deinit {
        state.cancel()
        pthread_join(thread, nil)
        PrefetchThreads.ended()
    }

    /// How many producer threads are alive, for tests that check early exits leak none.
    static var liveThreadCount: Int { PrefetchThreads.live() }
}

/// What the producer thread and the consumer share, guarded by one mutex with two conditions.
private final class PrefetchState<Element> {
    private let batchCount: Int
    private let depth: Int
    private let produce: (Int) -> Element
    private var ready: [Element?] = []
    private var readyStart = 0
    private var finished = false
    private var cancelled = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let hasRoom = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let hasBatch = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(batchCount: Int, depth: Int, produce: @escaping (Int) -> Element) {
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

    func take() -> Element? {
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
}

/// The work of a producer thread, without its element type.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// A count of live producer threads (over every element type); a plain mutex keeps it exact across threads.
private enum PrefetchThreads {
    nonisolated(unsafe) static var count = 0
    nonisolated(unsafe) static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()

    static func started() { pthread_mutex_lock(lock); count += 1; pthread_mutex_unlock(lock) }
    static func ended() { pthread_mutex_lock(lock); count -= 1; pthread_mutex_unlock(lock) }
    static func live() -> Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return count
    }
}
