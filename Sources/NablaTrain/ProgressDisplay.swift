import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Shows training progress: on a terminal, one line redrawn in place with a bar, batches done,
/// samples per second, the running loss and the time left; elsewhere (a log file, CI) nothing until
/// the epoch ends, so logs hold one plain line per epoch.
public final class ProgressDisplay {
    public let isTerminal: Bool
    /// Shows nothing at all (a benchmark prints only its own lines).
    public var isSilent = false
    private var lastDraw = Date.distantPast
    private var epochStart = Date()

    public init(isTerminal: Bool = isatty(STDOUT_FILENO) != 0) {
        self.isTerminal = isTerminal
    }

    public func startEpoch() { epochStart = Date() }

    /// Redraws the bar at most ten times a second (and on the last batch).
    public func update(epoch: Int, epochs: Int, batches: Int, totalBatches: Int, samples: Int, meanLoss: Double) {
        guard isTerminal && !isSilent else { return }
        let now = Date()
        guard batches == totalBatches || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(epochStart)
        let rate = Double(samples) / max(elapsed, 1e-9)
        let remaining = elapsed / Double(batches) * Double(totalBatches - batches)
        let width = 24
        let filled = totalBatches > 0 ? width * batches / totalBatches : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = "epoch \(epoch)/\(epochs) \(bar) \(batches)/\(totalBatches)  \(Int(rate)) samples/s  "
            + "loss \(String(format: "%.4f", meanLoss))  ETA \(Self.clock(remaining))"
        print("\r\u{1B}[2K" + line, terminator: "")
        fflush(stdout)
    }

    /// Ends the epoch with its summary on a line of its own.
    public func finishEpoch(_ summary: String) {
        guard !isSilent else { return }
        if isTerminal { print("\r\u{1B}[2K", terminator: "") }
        print(summary)
        fflush(stdout)
    }

    public static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 3600 ? String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
                             : String(format: "%d:%02d", whole / 60, whole % 60)
    }
}
