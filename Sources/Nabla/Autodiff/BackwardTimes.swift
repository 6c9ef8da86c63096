import Dispatch
import Foundation

/// Seconds spent in each operation's backward rule, summed by operation name (the name its forward
/// recorded, such as "conv2d"), while `isEnabled`. The engine also books the summing of gradients of
/// tensors used more than once under "accumulate". For profiling a training step; off by default, and
/// when off the engine pays one flag test per node.
///
/// ```swift
/// BackwardTimes.shared.reset(enabled: true)
/// loss.backward()
/// let table = BackwardTimes.shared.totals   // [(name: "conv2d", seconds: 0.012, calls: 4), ...]
/// ```
public final class BackwardTimes: @unchecked Sendable {
    public static let shared = BackwardTimes()
    private let lock = NSLock()
    private var seconds: [String: (seconds: Double, calls: Int)] = [:]
    private var enabled = false

    /// Whether backward rules are being timed now.
    public var isEnabled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return enabled
    }

    /// Clears the totals and switches timing on or off.
    public func reset(enabled: Bool) {
        lock.lock()
        seconds = [:]
        self.enabled = enabled
        lock.unlock()
    }

    /// The totals so far, largest first.
    public var totals: [(name: String, seconds: Double, calls: Int)] {
        lock.lock()
        defer { lock.unlock() }
        return seconds.map { ($0.key, $0.value.seconds, $0.value.calls) }.sorted { $0.seconds > $1.seconds }
    }

    func add(_ name: String, since start: UInt64) {
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        lock.lock()
        let previous = seconds[name] ?? (0, 0)
        seconds[name] = (previous.seconds + elapsed, previous.calls + 1)
        lock.unlock()
    }
}
