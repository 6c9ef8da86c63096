import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes `data` to `url` through a temporary file in the same folder and a rename, so a reader (a
/// browser refreshing report.html while training writes it) sees the old file or the new one, never a
/// half-written one. rename(2) replaces the target atomically within one file system.
func writeAtomically(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
    do {
        try data.write(to: temporary)
    } catch {
        throw FileWriteError(path: url.path, problem: "cannot write a temporary file in \(folder.path) (\(error.localizedDescription))")
    }
    guard rename(temporary.path, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw FileWriteError(path: url.path, problem: "cannot move the finished file into place (\(reason))")
    }
}

/// Writing a file failed; says which file and why.
public struct FileWriteError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}
