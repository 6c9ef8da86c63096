#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `bytes` to `path` so that readers see either the old file or the complete new one, never a
/// partial write, even if the process or machine dies midway.
///
/// The bytes go to a temporary file in the same folder (a rename is only atomic within one file system),
/// which is flushed to disk with `fsync` and then renamed over `path`; the folder is synced too so the
/// rename itself survives a crash. On any failure the temporary file is removed and `DataError`
/// (`.writeFailed`) names the path and the system's reason. The new file gets mode 0644.
///
/// ```swift
/// try writeFileAtomically(Array("epoch,loss\n1,0.52\n".utf8), to: "runs/metrics.csv")
/// ```
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    try bytes.withUnsafeBytes { try writeFileAtomically(contentsOf: $0, to: path) }
}

/// Writes a string's UTF-8 bytes atomically; see `writeFileAtomically(_:to:)`.
public func writeFileAtomically(_ text: String, to path: String) throws {
    try writeFileAtomically(Array(text.utf8), to: path)
}

/// Writes the bytes of a raw buffer atomically (no copy into an array); see `writeFileAtomically(_:to:)`.
public func writeFileAtomically(contentsOf bytes: UnsafeRawBufferPointer, to path: String) throws {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !name.isEmpty else {
        throw DataError(.writeFailed, file: path, "the path names a folder, not a file")
    }
    func failure(_ action: String, _ code: Int32) -> DataError {
        DataError(.writeFailed, file: path, "\(action): \(systemMessage(code))")
    }

    // A hidden name with a random suffix, so that concurrent writers never share a temporary file.
    var template = Array(joinPath(folder, ".\(name).tmp-XXXXXX").utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard descriptor >= 0 else { throw failure("cannot create a temporary file in \(folder)", errno) }
    let temporaryPath = String(cString: template)
    var renamed = false
    defer { if !renamed { unlink(temporaryPath) } }
    var closed = false
    defer { if !closed { close(descriptor) } }

    var written = 0
    while written < bytes.count {
        let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
        if result < 0 {
            if errno == EINTR { continue }
            throw failure("cannot write", errno)
        }
        written += result
    }
    // mkstemp makes the file private (0600); data files are meant to be shared like any other output.
    guard fchmod(descriptor, 0o644) == 0 else { throw failure("cannot set permissions", errno) }
    guard fsync(descriptor) == 0 else { throw failure("cannot flush to disk", errno) }
    closed = true
    guard close(descriptor) == 0 else { throw failure("cannot close", errno) }
    guard rename(temporaryPath, path) == 0 else { throw failure("cannot rename the temporary file into place", errno) }
    renamed = true

    // Best effort: without syncing the folder a crash could forget the rename; failing here loses nothing
    // that is already written, so it is not an error.
    let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if folderDescriptor >= 0 {
        _ = fsync(folderDescriptor)
        close(folderDescriptor)
    }
}
