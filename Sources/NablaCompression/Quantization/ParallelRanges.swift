import Dispatch
import Foundation

/// Runs `body` on consecutive, disjoint ranges covering 0..<count, one per core (one range only when
/// `count` is small), and returns when all are done.
func parallelRanges(count: Int, _ body: (Range<Int>) -> Void) {
    let workers = min(ProcessInfo.processInfo.activeProcessorCount, count)
    guard workers > 1 else {
        if count > 0 { body(0..<count) }
        return
    }
    let chunk = (count + workers - 1) / workers
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = worker * chunk, end = min(start + chunk, count)
        if start < end { body(start..<end) }
    }
}
