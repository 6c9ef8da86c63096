#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads files whole, the way every format reader in NablaData wants them.
///
/// ```swift
/// let raw = try FileReading.bytes(at: "labels.csv")                 // exactly the file's bytes
/// let data = try FileReading.decompressedBytes(at: "train-labels-idx1-ubyte.gz")  // gunzipped if gzip
/// ```
public enum FileReading {
    /// The file's bytes, unchanged. Throws `DataError` (`.notFound`, `.unreadable`) naming the path, and
    /// `MemoryLimitError` for a file larger than `MemoryBudget.limit`. Only regular files are read: a FIFO,
    /// device or socket in place of a data file is refused before it is opened (opening a FIFO waits for
    /// a writer forever; /dev/zero never ends).
    public static func bytes(at path: String) throws -> [UInt8] {
        try checkRegularFile(path)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw openError(path, code: errno) }
        // Non-blocking only guarded the open against a FIFO swapped in after the check; reads of a
        // regular file block as usual.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw readError(path, code: errno) }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw DataError(.unreadable, file: path, "is a folder, not a file")
        }
        // Checked again on the open file: the path may have been swapped between the two looks.
        if (status.st_mode & S_IFMT) != S_IFREG { throw DataError(.unreadable, file: path, "is \(fileKind(status.st_mode)), not a regular file") }
        try MemoryBudget.check(bytes: Int(status.st_size), for: "reading \(path)")
        // The size from fstat is the allocation the file justifies; special files report 0 and are read
        // in growing chunks instead.
        var result = [UInt8](repeating: 0, count: max(Int(status.st_size), 0))
        var filled = 0
        while true {
            if filled == result.count { result.append(contentsOf: repeatElement(0, count: max(result.count, 1 << 16))) }
            let got = result.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                if errno == EISDIR { throw DataError(.unreadable, file: path, "is a folder, not a file") }
                throw readError(path, code: errno)
            }
            if got == 0 { break }
            filled += got
        }
        result.removeLast(result.count - filled)
        return result
    }

    /// The file's bytes, gunzipped when they start with the gzip magic number (1f 8b), so callers read
    /// `name.gz` and `name` alike. A corrupt or truncated gzip stream throws `.corrupt` / `.truncated`.
    public static func decompressedBytes(at path: String, maximumBytes: Int = Gzip.defaultMaximumBytes) throws -> [UInt8] {
        let raw = try bytes(at: path)
        return Gzip.isCompressed(raw) ? try Gzip.decompress(raw, name: path, maximumBytes: maximumBytes) : raw
    }

    /// Whether something exists at `path` (file or folder).
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// Whether `path` is an existing folder.
    public static func isFolder(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// Throws unless `path` names a regular file (following symbolic links): a folder, FIFO, device or
    /// socket is refused by name, a loop of symbolic links or a dangling one is said as such.
    public static func checkRegularFile(_ path: String) throws {
        if path.isEmpty { throw DataError(.notFound, file: "\"\"", "the file name is empty; give the path of a data file") }
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            var linkStatus = stat()
            if code == ENOENT && lstat(path, &linkStatus) == 0 && (linkStatus.st_mode & S_IFMT) == S_IFLNK {
                throw DataError(.notFound, file: path, "is a symbolic link to a file that does not exist (a dangling link); fix or remove the link")
            }
            throw openError(path, code: code)
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw DataError(.unreadable, file: path, "is a folder, not a file")
        default: throw DataError(.unreadable, file: path, "is \(fileKind(status.st_mode)), not a regular file; save the data to a file and give its path")
        }
    }

    private static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a folder"
        default: "not a regular file"
        }
    }

    private static func openError(_ path: String, code: Int32) -> DataError {
        switch code {
        case ENOENT: return DataError(.notFound, file: path, "no such file")
        case ELOOP: return DataError(.unreadable, file: path, "is a symbolic link loop (the links point at each other); fix the links or give the real file")
        case ENOTDIR: return DataError(.notFound, file: path, "a part of the path is a file, not a folder")
        case ENAMETOOLONG: return DataError(.unreadable, file: path, "the path is too long")
        case EACCES: return DataError(.unreadable, file: path, "permission denied; make the file readable (chmod) or copy it somewhere you can read")
        default: return readError(path, code: code)
        }
    }

    private static func readError(_ path: String, code: Int32) -> DataError {
        DataError(.unreadable, file: path, "cannot read: \(systemMessage(code))")
    }
}

/// The C library's text for an `errno` value, e.g. "Permission denied".
func systemMessage(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// Joins a folder and a file name with one slash.
func joinPath(_ folder: String, _ name: String) -> String {
    folder.hasSuffix("/") ? folder + name : folder + "/" + name
}
