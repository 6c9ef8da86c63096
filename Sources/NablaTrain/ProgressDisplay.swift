import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Shows training progress: on a terminal, one line redrawn in place with a bar, batches done,
/// samples per second, the running loss and the time left; elsewhere (a pipe, a log file, CI) a plain
/// line with the same figures every `plainInterval` seconds (10 by default; the environment variable
/// NABLA_PROGRESS_SECONDS sets another), besides the line each epoch ends with.
public final class ProgressDisplay {
    public let isTerminal: Bool
    /// Shows nothing at all (a benchmark prints only its own lines).
    public var isSilent = false
    /// Seconds between two plain progress lines when standard output is not a terminal.
    public var plainInterval: Double
    private var lastDraw = Date.distantPast
    private var epochStart = Date()

    public init(isTerminal: Bool = isatty(STDOUT_FILENO) != 0) {
        self.isTerminal = isTerminal
        let configured = ProcessInfo.processInfo.environment["NABLA_PROGRESS_SECONDS"].flatMap(Double.init)
        plainInterval = configured.map { $0 > 0 && $0.isFinite ? $0 : 10 } ?? 10
    }

    public func startEpoch() {
        epochStart = Date()
        lastDraw = epochStart
    }

    /// Redraws the bar at most ten times a second (and on the last batch); off a terminal, prints a plain
    /// line every `plainInterval` seconds (the epoch's own line follows its last batch).
    public func update(epoch: Int, epochs: Int, batches: Int, totalBatches: Int, samples: Int, meanLoss: Double) {
        guard !isSilent else { return }
        let now = Date()
        if !isTerminal {
            guard batches < totalBatches, now.timeIntervalSince(lastDraw) >= plainInterval else { return }
            lastDraw = now
            let elapsed = now.timeIntervalSince(epochStart)
            let rate = Double(samples) / max(elapsed, 1e-9)
            let remaining = elapsed / Double(max(batches, 1)) * Double(totalBatches - batches)
            print("epoch \(epoch)/\(epochs) batch \(batches)/\(totalBatches)  \(Int(rate)) samples/s  "
                  + "loss \(String(format: "%.4f", meanLoss))  ETA \(Self.clock(remaining))")
            fflush(stdout)
            return
        }
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
