import Foundation

/// The folders a board serves, and the one place that turns a request's path into a file inside them.
///
/// A request names a file as `ROOT/RELATIVE/PATH`, where ROOT is the index of a folder given on the
/// command line. Anything that could leave the folders is refused before the file system is touched:
/// `..` and `.` components, percent-encoded separators or dots left after one decoding (`%252e`),
/// backslashes, NUL bytes, empty components (which is how an absolute path arrives: `0//etc/passwd`)
/// and hidden files (`.lock`, the atomic writes' `.NAME.tmp-XXXXXX`). What passes is resolved with
/// `realpath`, so a symbolic link pointing outside its folder is refused too.
public struct BoardPaths: Sendable {
    /// The folders as given, and their real paths (symbolic links resolved).
    public let roots: [URL]
    let realRoots: [String]
    /// Longer request targets are refused outright (TensorBoard and most servers stop at 8 KiB; a
    /// board's own URLs stay under 300 characters).
    public static let maximumTargetLength = 2048

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        /// 400: the path is malformed or tries to leave the folders.
        case badRequest(String)
        /// 404: no such file inside the folders (or one that resolves outside them).
        case notFound(String)

        public var description: String {
            switch self {
            case .badRequest(let why): return "400 " + why
            case .notFound(let why): return "404 " + why
            }
        }
    }

    public init(roots: [URL]) throws {
        var real: [String] = []
        for root in roots {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw BoardError("\(root.path) is not a folder; name folders that hold run folders (e.g. runs)")
            }
            guard let resolved = Self.realPath(root.path) else { throw BoardError("cannot resolve the folder \(root.path)") }
            real.append(resolved)
        }
        self.roots = roots
        self.realRoots = real
    }

    /// Splits a percent-encoded `ROOT/RELATIVE/PATH` (no leading slash) into a root index and checked
    /// components, without touching the file system.
    public static func components(_ encoded: String) throws -> (root: Int, parts: [String]) {
        guard encoded.utf8.count <= maximumTargetLength else { throw Refusal.badRequest("path longer than \(maximumTargetLength) bytes") }
        guard let decoded = encoded.removingPercentEncoding else { throw Refusal.badRequest("malformed percent-encoding") }
        if decoded.contains("\0") || decoded.contains("\\") { throw Refusal.badRequest("NUL or backslash in the path") }
        let lower = decoded.lowercased()
        if lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00") {
            throw Refusal.badRequest("doubly encoded dot or separator")
        }
        let parts = decoded.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let root = Int(first), String(root) == first else {
            throw Refusal.notFound("no folder index at the start of the path")
        }
        let rest = Array(parts.dropFirst())
        for part in rest {
            if part.isEmpty { throw Refusal.badRequest("empty component (absolute path or //)") }
            if part == ".." || part == "." { throw Refusal.badRequest("dot component") }
            if part.hasPrefix(".") { throw Refusal.notFound("hidden file") }
        }
        return (root, rest)
    }

    /// The real path of the file or folder that `encoded` names, guaranteed inside one of the roots.
    public func resolve(_ encoded: String, folder: Bool = false) throws -> URL {
        let (root, parts) = try Self.components(encoded)
        guard root >= 0 && root < realRoots.count else { throw Refusal.notFound("no folder \(root)") }
        let base = realRoots[root]
        let joined = parts.isEmpty ? base : base + "/" + parts.joined(separator: "/")
        guard let real = Self.realPath(joined) else { throw Refusal.notFound("no such file") }
        guard real == base || real.hasPrefix(base == "/" ? "/" : base + "/") else {
            throw Refusal.notFound("resolves outside the served folders")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: real, isDirectory: &isFolder), isFolder.boolValue == folder else {
            throw Refusal.notFound(folder ? "not a folder" : "a folder, not a file")
        }
        return URL(fileURLWithPath: real)
    }

    /// `ROOT/relative/path` of a real path inside root `index` (the inverse of `resolve`).
    func identifier(root index: Int, real: String) -> String {
        let base = realRoots[index]
        let relative = real == base ? "" : String(real.dropFirst(base.count + 1))
        return relative.isEmpty ? String(index) : "\(index)/\(relative)"
    }

    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// A problem with the board's arguments, said in words.
public struct BoardError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
