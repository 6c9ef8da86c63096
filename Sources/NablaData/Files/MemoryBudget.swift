#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The most memory one request (a matrix, a decompressed file, a generated data set) may ask for before
/// it is made. A request past the limit throws `MemoryLimitError` stating its estimate, the limit and how
/// to raise it, instead of growing until the kernel kills the process (or a 28.8 GB allocation traps).
///
/// The limit is, in order: what `MemoryBudget.limit` was set to (the CLI's `--memory-limit`), else the
/// environment variable `NABLA_MEMORY_LIMIT` (`16G`, `512M`, `2.5GiB`, a byte count), else
/// `min(8 GiB, half the physical memory)`.
///
/// ```swift
/// try MemoryBudget.check(bytes: MemoryBudget.doubles(n, n), for: "t-SNE (exact): the n×n affinity matrix")
/// MemoryBudget.limit = try MemoryBudget.parse("16G")
/// ```
public enum MemoryBudget {
    /// The environment variable that overrides the default limit.
    public static let environmentVariable = "NABLA_MEMORY_LIMIT"
    /// The command-line option that overrides it, named in messages.
    public static let optionName = "--memory-limit"

    /// `min(8 GiB, half of physical memory)`: room for the rest of the system and for a second copy that
    /// many computations make while they run.
    public static var defaultLimit: Int {
        let eight = 8 << 30
        return physicalMemory.map { min(eight, $0 / 2) } ?? eight
    }

    /// The machine's physical memory in bytes, when the system says.
    public static var physicalMemory: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0 && pageSize > 0 else { return nil }
        let bytes = pages.multipliedReportingOverflow(by: pageSize)
        return bytes.overflow ? nil : bytes.partialValue
    }

    // The explicit setting, guarded by a lock because tests and loaders may read it from several threads.
    private static let lock = Lock()
    nonisolated(unsafe) private static var explicitLimit: Int?

    /// The limit in bytes now in force. Setting it overrides the environment variable and the default;
    /// setting `nil` goes back to them.
    public static var limit: Int {
        get {
            if let explicit = lock.withLock({ explicitLimit }) { return explicit }
            if let text = getenv(environmentVariable).map({ String(cString: $0) }), let parsed = try? parse(text) { return parsed }
            return defaultLimit
        }
        set { lock.withLock { explicitLimit = newValue } }
    }

    /// Goes back to the environment variable or the default.
    public static func reset() { lock.withLock { explicitLimit = nil } }

    static let machineSource = "all of this machine's physical memory, whatever the limit"

    /// Where the limit in force comes from, for messages.
    static var limitSource: String {
        if lock.withLock({ explicitLimit }) != nil { return "set by \(optionName)" }
        if let text = getenv(environmentVariable).map({ String(cString: $0) }), (try? parse(text)) != nil {
            return "from \(environmentVariable)=\(text)"
        }
        return "the default, min(8 GiB, half the physical memory)"
    }

    /// Parses a size: a byte count, or a number with a unit K, M, G or T (powers of 1024; `KB`, `KiB`
    /// and lower case are accepted too), e.g. `16G`, `512M`, `1.5GiB`. Throws a `DataError` naming the text.
    public static func parse(_ text: String) throws -> Int {
        let trimmed = text.trimmingWhitespace().uppercased()
        var digits = Substring(trimmed), scale = 1.0
        for (suffix, power) in [("TIB", 4), ("GIB", 3), ("MIB", 2), ("KIB", 1), ("TB", 4), ("GB", 3), ("MB", 2), ("KB", 1),
                                ("T", 4), ("G", 3), ("M", 2), ("K", 1), ("B", 0)] where digits.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            scale = Double(1 << (10 * power))
            break
        }
        let number = Double(String(digits).trimmingWhitespace())
        guard let number, number.isFinite, number > 0, number * scale < 9.0e18 else {
            throw DataError(.invalidRequest, "memory limit '\(text)' is not a size; write a positive number of bytes or one with a unit, e.g. 512M, 16G")
        }
        return Int(number * scale)
    }

    /// Throws `MemoryLimitError` when `bytes` exceed the limit. `what` names the request for the message,
    /// e.g. "agglomerative clustering: the 60000×60000 distance matrix".
    /// Whatever the limit, a request larger than the machine's physical memory is refused too: it could
    /// only fail (Swift stops the process when an allocation fails) or swap without end.
    /// `remedy`, when given, replaces the general advice ("use less data or a cheaper setting") with the
    /// one that fits the request, e.g. "lower batch_size (at most about 4000 fits)".
    public static func check(bytes: Int, for what: String, remedy: String? = nil) throws {
        let limit = self.limit
        if bytes > limit { throw MemoryLimitError(request: what, estimate: bytes, limit: limit, source: limitSource, remedy: remedy) }
        if let physical = physicalMemory, bytes > physical {
            throw MemoryLimitError(request: what, estimate: bytes, limit: physical, source: machineSource, remedy: remedy)
        }
    }

    /// The bytes of `counts` multiplied together elements of `elementBytes` each, saturating at `Int.max`
    /// instead of overflowing (a request that large is refused all the same).
    public static func bytes(_ counts: Int..., elementBytes: Int) -> Int {
        var total = max(elementBytes, 0)
        for count in counts {
            let product = total.multipliedReportingOverflow(by: max(count, 0))
            if product.overflow { return .max }
            total = product.partialValue
        }
        return total
    }

    /// The bytes of a `Double` array with `counts` multiplied together elements.
    public static func doubles(_ counts: Int...) -> Int {
        counts.reduce(8) { total, count in
            let product = total.multipliedReportingOverflow(by: max(count, 0))
            return product.overflow || total == .max ? .max : product.partialValue
        }
    }

    /// A byte count for people, in binary units as the limit is given: `512 bytes`, `1.5 MiB`, `26.8 GiB`.
    public static func describe(_ bytes: Int) -> String {
        if bytes == .max { return "more than 8 EiB (the count overflows)" }
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(bytes) bytes" }
        let rounded = (value * 10).rounded() / 10
        return (rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)) + " " + units[unit]
    }
}

/// A request refused by `MemoryBudget` before any memory was spent on it.
public struct MemoryLimitError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What was asked for, e.g. "t-SNE (exact): the 60000×60000 affinity matrix".
    public let request: String
    /// The estimated bytes.
    public let estimate: Int
    /// The limit in force.
    public let limit: Int
    /// Where the limit came from (the option, the environment variable or the default).
    public let source: String
    /// What to change instead of the general advice, when the request knows (e.g. "lower batch_size").
    public let remedy: String?

    public init(request: String, estimate: Int, limit: Int, source: String, remedy: String? = nil) {
        self.request = request
        self.estimate = estimate
        self.limit = limit
        self.source = source
        self.remedy = remedy
    }

    public var description: String {
        let head = "\(request) needs about \(MemoryBudget.describe(estimate)), more than the memory limit of \(MemoryBudget.describe(limit)) (\(source)); "
        let change = remedy ?? "use less data (e.g. --limit) or a cheaper setting"
        if source == MemoryBudget.machineSource { return head + (remedy ?? "use less data (e.g. --limit) or a cheaper setting (for t-SNE, Barnes–Hut instead of --exact)") }
        return head + change + ", or raise the limit with \(MemoryBudget.optionName) or the environment variable \(MemoryBudget.environmentVariable) (e.g. 32G) if the machine has the memory"
    }
}

/// A mutex for the few shared settings.
final class Lock: @unchecked Sendable {
    // Allocated, not stored inline: a pthread mutex must not move, and Swift may move stored properties.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit { pthread_mutex_destroy(mutex); mutex.deallocate() }
    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines (Foundation-free).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
