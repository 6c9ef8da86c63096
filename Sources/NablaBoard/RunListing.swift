import Foundation

/// What the board's run list shows of one run folder, read from its files (the format is documented on
/// `RunFolder` in NablaViz; the board reads only what it lists, so that it builds without NablaViz).
public struct RunEntry: Codable, Sendable {
    /// `ROOT/relative/path`, the run's address in the board's URLs.
    public var id: String
    /// The lab or recipe (config.json's "lab" or "recipe"), or the folder's name.
    public var title: String
    /// The folder, relative to the folder given on the command line.
    public var folder: String
    /// When config.json was written (the run's start), ISO 8601; metrics.jsonl's last change.
    public var started: String?
    public var updated: String?
    /// "running" (its .lock is held by a process), "finished" (summary.json written), "interrupted"
    /// (neither) or "empty" (no metrics yet and not running).
    public var status: String
    /// summary.json's numbers, or the last line of metrics.jsonl while there is no summary.
    public var headline: [String: Double]
    /// config.json flattened to dotted keys, values as JSON text.
    public var settings: [String: String]
    /// Images, animations and pages in the folder (report.html first when there is one).
    public var media: [String]
    public var metricsBytes: Int
}

/// A page that is not a run (the tour's index.html).
public struct PageEntry: Codable, Sendable {
    public var id: String
    public var title: String
}

public struct RunListing: Codable, Sendable {
    public var roots: [String]
    public var runs: [RunEntry]
    public var pages: [PageEntry]

    static let runMarkers = ["config.json", "metrics.jsonl", "summary.json"]
    static let mediaExtensions: Set<String> = ["png", "gif", "svg", "jpg", "jpeg", "webp", "apng", "html"]
    /// Folders are searched this deep under each given folder (runs/tour/LAB is depth 2).
    static let maximumDepth = 4

    /// Lists every run folder under `paths`' folders. Symbolic links are not followed while searching.
    public init(paths: BoardPaths) {
        roots = paths.roots.map(\.path)
        runs = []
        pages = []
        let locked = Self.lockedInodes()
        for (index, real) in paths.realRoots.enumerated() {
            var queue: [(String, Int)] = [(real, 0)]
            while let (folder, depth) = queue.popLast() {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
                let id = paths.identifier(root: index, real: folder)
                if names.contains(where: Self.runMarkers.contains) {
                    runs.append(Self.entry(folder: folder, id: id, names: names, locked: locked, rootName: paths.roots[index].lastPathComponent))
                    continue
                }
                if names.contains("index.html") { pages.append(PageEntry(id: id + "/index.html", title: id)) }
                guard depth < Self.maximumDepth else { continue }
                for name in names.reversed() where !name.hasPrefix(".") {
                    let child = folder + "/" + name
                    var info = stat()
                    guard lstat(child, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
                    queue.append((child, depth + 1))
                }
            }
        }
        runs.sort { ($0.started ?? "", $0.id) > ($1.started ?? "", $1.id) }
    }

    static func entry(folder: String, id: String, names: [String], locked: Set<UInt64>, rootName: String) -> RunEntry {
        let config = readObject(folder + "/config.json") ?? [:]
        let summary = readObject(folder + "/summary.json")
        var headline: [String: Double] = [:]
        for (key, value) in summary ?? lastMetricsLine(folder + "/metrics.jsonl") ?? [:] {
            if let number = value as? NSNumber, !(value is Bool) { headline[key] = number.doubleValue }
        }
        var settings: [String: String] = [:]
        flatten(config, prefix: "", into: &settings)
        let status = Self.status(folder: folder, locked: locked)
        var media = names.filter { Self.mediaExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") && $0 != "report-sections.html" }
        if let report = media.firstIndex(of: "report.html") { media.insert(media.remove(at: report), at: 0) }
        let relative = id.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) ?? rootName
        let title = (config["lab"] as? String) ?? (config["recipe"] as? String) ?? (relative as NSString).lastPathComponent
        return RunEntry(id: id, title: title, folder: relative,
                        started: modified(folder + "/config.json") ?? modified(folder), updated: modified(folder + "/metrics.jsonl"),
                        status: status, headline: headline, settings: settings, media: media,
                        metricsBytes: size(folder + "/metrics.jsonl") ?? 0)
    }

    /// running, finished, interrupted or empty (see `RunEntry.status`).
    static func status(folder: String, locked: Set<UInt64>? = nil) -> String {
        if let lock = inode(folder + "/.lock"), (locked ?? lockedInodes()).contains(lock) { return "running" }
        if size(folder + "/summary.json") != nil { return "finished" }
        return size(folder + "/metrics.jsonl") != nil ? "interrupted" : "empty"
    }

    static func readObject(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: MetricsLines.finiteJSON(data))) as? [String: Any]
    }

    /// The last complete line of metrics.jsonl, reading only the file's last 64 KiB.
    static func lastMetricsLine(_ path: String) -> [String: Any]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: end > 65_536 ? end - 65_536 : 0)
        guard let tail = try? handle.readToEnd() else { return nil }
        for line in tail.split(separator: 10).reversed() {
            if let object = (try? JSONSerialization.jsonObject(with: MetricsLines.finiteJSON(Data(line)))) as? [String: Any] { return object }
        }
        return nil
    }

    static func flatten(_ object: [String: Any], prefix: String, into settings: inout [String: String]) {
        for (key, value) in object {
            let name = prefix + key
            if let nested = value as? [String: Any] {
                flatten(nested, prefix: name + ".", into: &settings)
            } else if let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed]),
                      let text = String(data: data, encoding: .utf8) {
                settings[name] = String(text.dropFirst().dropLast())
            }
        }
    }

    /// Inodes of files that hold a BSD (flock) lock now, from /proc/locks: a run's writer holds its
    /// .lock for as long as it runs, and the kernel drops the lock when the process dies, so this tells
    /// a running run from an interrupted one without touching the lock.
    static func lockedInodes() -> Set<UInt64> {
        guard let text = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return [] }
        var inodes = Set<UInt64>()
        for line in text.split(separator: "\n") where line.contains("FLOCK") {
            // "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF"
            for field in line.split(separator: " ") where field.filter({ $0 == ":" }).count == 2 {
                if let last = field.split(separator: ":").last, let inode = UInt64(last) { inodes.insert(inode) }
            }
        }
        return inodes
    }

    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    static func modified(_ path: String) -> String? {
        guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return nil }
        return ISO8601DateFormatter().string(from: date)
    }
}
