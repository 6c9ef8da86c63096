import ArgumentParser
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Timing for a noisy, shared machine. Each contender runs in batches long enough to rise above timer
/// and scheduler noise; contenders take turns within every repetition, in an order that flips each
/// time, so a slow drift in machine load falls on all of them alike instead of on whoever ran last.
struct InterleavedTiming {
    /// The shortest a timed batch may be. One call of a fast operation is far below the scheduler's
    /// time slice, so single calls would measure the machine rather than the code.
    var minimumBatchSeconds: Double
    var repetitions: Int
    /// An untimed pause after every batch. Contenders with their own thread pools (OpenBLAS's workers
    /// spin for about 0.1 s after each call) would otherwise take cores from whoever runs next, so
    /// each side would be measured against the other's leftovers rather than on its own.
    var settleSeconds: Double = 0

    /// Seconds per call of each contender, one array per contender with one entry per repetition.
    /// A contender returns some value derived from its result, so the work cannot be optimised away.
    func measure(_ contenders: [() -> Float]) -> [[Double]] {
        // Calibrating doubles as the warm-up: caches, page tables and BLAS threads are hot afterwards.
        let iterations = contenders.map(calibratedIterations)
        var seconds = Array(repeating: [Double](), count: contenders.count)
        for repetition in 0..<repetitions {
            let order = repetition.isMultiple(of: 2) ? Array(contenders.indices) : contenders.indices.reversed()
            for index in order {
                seconds[index].append(timeBatch(iterations[index], contenders[index]) / Double(iterations[index]))
                if settleSeconds > 0 { usleep(UInt32(settleSeconds * 1e6)) }
            }
        }
        return seconds
    }

    /// The number of calls that makes one batch last at least `minimumBatchSeconds`.
    private func calibratedIterations(_ body: () -> Float) -> Int {
        var iterations = 1
        while true {
            let elapsed = timeBatch(iterations, body)
            if elapsed >= minimumBatchSeconds { return iterations }
            let needed = Double(iterations) * minimumBatchSeconds * 1.1 / max(elapsed, 1e-9)
            iterations = min(max(Int(needed.rounded(.up)), iterations + 1), iterations * 100)
        }
    }

    private func timeBatch(_ iterations: Int, _ body: () -> Float) -> Double {
        var checksum: Float = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { checksum += body() }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        keep(checksum)
        return Double(elapsed) * 1e-9
    }
}

/// Written by timed work and never read, so the optimiser must keep the work that produced it.
nonisolated(unsafe) private var sink: Float = 0

@inline(never)
private func keep(_ value: Float) { sink += value }

/// The middle value (mean of the two middle values for an even count): unlike the mean, one
/// repetition disturbed by another process on the machine does not move it.
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median: no values")
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
}

/// The timing options of `bench core` and `bench optim`.
struct TimingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Timed repetitions per measurement (default 15 for core, 9 for optim; 3 with --quick).",
            transform: NumericOption.integer("--repetitions", in: 1...Int.max))
    var repetitions: Int?

    @Flag(help: "Small sizes and short batches: a smoke run that checks the command works, not a measurement.")
    var quick = false

    /// Timing with these options: short batches and 3 repetitions under `--quick`.
    func timing(defaultRepetitions: Int) -> InterleavedTiming {
        InterleavedTiming(minimumBatchSeconds: quick ? 0.002 : 0.05, repetitions: repetitions ?? (quick ? 3 : defaultRepetitions))
    }
}
