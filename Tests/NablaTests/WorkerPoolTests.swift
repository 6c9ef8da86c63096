import Dispatch
@testable import Nabla
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

// Nabla's worker pool serves one loop at a time and hands a second one (another thread's, or one started
// inside a loop's body) to Dispatch. Every item must run exactly once in each case, whoever runs it.

@Suite struct WorkerPoolTests {
    /// Counts visits per item, from any thread.
    final class Visits: Sendable {
        let counts: Mutex<[Int]>
        init(_ count: Int) { counts = Mutex([Int](repeating: 0, count: count)) }
        func visit(_ item: Int) { counts.withLock { $0[item] += 1 } }
        var eachOnce: Bool { counts.withLock { $0.allSatisfy { $0 == 1 } } }
        var total: Int { counts.withLock { $0.reduce(0, +) } }
    }

    @Test func everyItemRunsOnceOnAPoolOfThreeWorkers() {
        let pool = WorkerPool(workers: 3, spinNanoseconds: 1_000_000)
        for count in [0, 1, 2, 3, 4, 7, 100, 1000] {
            let visits = Visits(count)
            #expect(pool.perform(iterations: count) { visits.visit($0) })
            #expect(visits.eachOnce, "\(count) items")
        }
    }

    @Test func workersThatSleepWakeForTheNextLoop() {
        // No polling at all: every loop after the first finds the workers asleep on the condition variable.
        let pool = WorkerPool(workers: 2, spinNanoseconds: 0)
        for round in 0..<50 {
            let visits = Visits(64)
            #expect(pool.perform(iterations: 64) { item in
                visits.visit(item)
                if item.isMultiple(of: 16) { usleep(100) }   // long enough that the workers join
            })
            #expect(visits.eachOnce, "round \(round)")
        }
    }

    @Test func restedWorkersSleepAndWakeForTheNextLoop() {
        // Polling for ten seconds unless told to rest: each loop after a rest finds them asleep.
        let pool = WorkerPool(workers: 2, spinNanoseconds: 10_000_000_000)
        for round in 0..<20 {
            pool.rest()
            usleep(200)
            let visits = Visits(64)
            #expect(pool.perform(iterations: 64) { item in
                visits.visit(item)
                if item.isMultiple(of: 16) { usleep(100) }
            })
            #expect(visits.eachOnce, "round \(round)")
        }
    }

    @Test func aLoopInsideALoopRunsOnDispatch() {
        let pool = WorkerPool(workers: 1, spinNanoseconds: 1_000_000)
        let inner = Visits(8 * 16)
        let outer = Visits(8)
        let nestedAccepted = Visits(1)
        #expect(pool.perform(iterations: 8) { item in
            outer.visit(item)
            if pool.perform(iterations: 1, { _ in }) { nestedAccepted.visit(0) }
            DispatchQueue.concurrentPerform(iterations: 16) { inner.visit(item * 16 + $0) }
        })
        #expect(outer.eachOnce && inner.eachOnce)
        #expect(nestedAccepted.total == 0, "a loop started inside a running loop must be refused")
    }

    @Test func loopsFromManyThreadsAtOnceEachRunEveryItemOnce() {
        // The shared entry point: loops that find the pool busy fall back to Dispatch.
        let threads = 8, count = 257
        let visits = (0..<threads).map { _ in Visits(count) }
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for _ in 0..<20 {
                let round = Visits(count)
                runConcurrently(iterations: count) { round.visit($0) }
                if !round.eachOnce { return }
            }
            runConcurrently(iterations: count) { visits[thread].visit($0) }
        }
        let allOnce = visits.allSatisfy { $0.eachOnce }
        #expect(allOnce)
    }

    @Test func parallelSumsAreTheSameThroughThePool() {
        // The chunk order fixes the sum's rounding whichever thread computes a chunk.
        let values = (0..<1_000_003).map { Float(($0 * 7919) % 1000) * 1e-3 }
        let tensor = Tensor(values)
        let first = tensor.sum().item
        for _ in 0..<20 { #expect(tensor.sum().item == first) }
    }
}
