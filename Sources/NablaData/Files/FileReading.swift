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
    /// The file's bytes, unchanged. Throws `DataError` (`.notFound`, `.unreadable`) naming the path.
    public static func bytes(at path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw openError(path, code: errno) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw readError(path, code: errno) }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw DataError(.unreadable, file: path, "is a folder, not a file")
        }
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

    private static func openError(_ path: String, code: Int32) -> DataError {
        if code == ENOENT { return DataError(.notFound, file: path, "no such file") }
        return readError(path, code: code)
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
