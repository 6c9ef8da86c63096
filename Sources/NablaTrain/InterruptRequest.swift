import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM as a request to stop: once `install()` has run, the first such signal is only
/// recorded, and the `Trainer` checks for it after every step, writes a checkpoint and stops with a line
/// saying how to resume. A second signal ends the process at once, as the signal normally would.
public enum InterruptRequest {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var received: Int32?
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// The signal received (SIGINT or SIGTERM), if any.
    public static var signal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// The signal's name for messages ("SIGINT").
    public static var signalName: String? {
        signal.map { $0 == SIGINT ? "SIGINT" : $0 == SIGTERM ? "SIGTERM" : "signal \($0)" }
    }

    /// Starts listening (once per process; later calls do nothing).
    public static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                lock.lock()
                let second = received != nil
                if !second { received = number }
                lock.unlock()
                if second {
                    Glibc.signal(number, SIG_DFL)
                    kill(getpid(), number)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Forgets a received signal (tests).
    public static func reset() {
        lock.lock()
        received = nil
        lock.unlock()
    }
}
