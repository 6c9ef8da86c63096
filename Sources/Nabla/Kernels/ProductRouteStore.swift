import CNablaBLAS
import Foundation

/// The product routes this machine has measured, kept in a file between processes.
///
/// Routes are chosen by timing (`ProductRouting`), and two routes round differently, so without a
/// memory a seeded training run could take another route in its next process (the machine busier, a
/// timing a little different) and end a few bits apart: runs would not repeat, and a run resumed in a
/// new process would not match the uninterrupted one. With the store, the first process to meet a
/// shape class measures it and writes the decision down; every later process on the machine reads
/// it, so it computes every product as that first one did. (FFTW keeps its "wisdom" for the same
/// reason.)
///
/// The file is `$NABLA_PRODUCT_ROUTES` when set (`off` keeps decisions in memory only), else
/// `$XDG_CACHE_HOME/nabla/` or `~/.cache/nabla/`, named by a fingerprint of what the decisions depend
/// on: the processor, its core count, the kernel OpenBLAS runs and whether Nabla's kernel can run.
/// A machine with another fingerprint gets another file. Deleting the file only makes the next
/// process measure again.
enum ProductRouteStore {
    /// Bumped whenever a route's arithmetic changes, so old decisions are measured again.
    static let formatVersion = 1

    /// What the decisions depend on, one line.
    static let fingerprint: String = {
        let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown processor"
        let openBLASCore = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return "nabla product routes v\(formatVersion); \(model); \(Parallelism.detectedCores) cores; "
            + "OpenBLAS \(openBLASCore); Nabla kernel \(ProductRouting.nablaKernelAvailable ? "yes" : "no")"
    }()

    /// The file for this machine, or nil when the store is off.
    static let path: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment["NABLA_PRODUCT_ROUTES"], !chosen.isEmpty {
            return chosen == "off" ? nil : chosen
        }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].flatMap { $0.isEmpty ? nil : $0 + "/.cache" }
        guard let cache else { return nil }
        return cache + "/nabla/product-routes-" + String(fnv1a(fingerprint), radix: 16) + ".txt"
    }()

    /// The decisions in `path` (none when it is missing, unreadable, or written for another fingerprint).
    static func load(from path: String, fingerprint: String = fingerprint) -> [Int: ProductRoute] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        return parse(text, fingerprint: fingerprint)
    }

    /// The decisions of a file's text: its first line is the fingerprint, then `shapeClass route` lines.
    /// Lines it cannot read are skipped (the class is measured again), never trusted.
    static func parse(_ text: String, fingerprint: String) -> [Int: ProductRoute] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first.map(String.init) == fingerprint else { return [:] }
        var decisions: [Int: ProductRoute] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let key = Int(fields[0]), let route = ProductRoute(rawValue: String(fields[1])) else { continue }
            decisions[key] = route
        }
        return decisions
    }

    /// The text of a file holding `decisions`, in key order so equal decisions make equal files.
    static func text(_ decisions: [Int: ProductRoute], fingerprint: String) -> String {
        ([fingerprint] + decisions.keys.sorted().map { "\($0) \(decisions[$0]!.rawValue)" }).joined(separator: "\n") + "\n"
    }

    /// Adds `key → route` to the file at `path` unless it already holds that class (then another process
    /// decided it first, and later processes should follow that one), writing a new file and renaming it
    /// over the old so a reader never sees half a file. Failing to write only costs a later measurement.
    static func record(_ key: Int, _ route: ProductRoute, at path: String, fingerprint: String = fingerprint) {
        var decisions = load(from: path, fingerprint: fingerprint)
        guard decisions[key] == nil else { return }
        decisions[key] = route
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(text(decisions, fingerprint: fingerprint).utf8).write(to: url, options: .atomic)
    }

    /// 64-bit FNV-1a of `text`'s bytes: a short, stable name for the fingerprint.
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}
