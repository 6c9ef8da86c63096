import Foundation

/// Reads metrics.jsonl from a byte offset onwards, a bounded chunk at a time, returning whole lines
/// only: the board tails a file that is still being written without ever holding it whole (a 100 MB
/// file is sent in chunks of `chunkBytes`).
///
/// RunFolderWriter rewrites metrics.jsonl whole and atomically after every epoch, with the earlier lines
/// unchanged, so a reader that reopens the path and continues from its offset sees an append-only file;
/// a file that became shorter was started again (`--overwrite`), and the reader says so (`reset`).
struct MetricsTail {
    enum Chunk: Equatable {
        /// Complete lines (each ending in a newline) from `offset` to `end`.
        case lines(Data, offset: Int, end: Int)
        /// The file is shorter than the offset: read it again from 0.
        case reset
        /// Nothing new (or no file yet).
        case none
    }

    let path: String
    private(set) var offset: Int
    static let chunkBytes = 256 * 1024

    init(path: String, offset: Int = 0) {
        self.path = path
        self.offset = max(0, offset)
    }

    mutating func next(maxBytes: Int = MetricsTail.chunkBytes) -> Chunk {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)  // a link could point outside the folders
        guard descriptor >= 0 else { return .none }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .none }
        let size = Int(info.st_size)
        if size < offset {
            offset = 0
            return .reset
        }
        guard size > offset else { return .none }
        // A line longer than the chunk is read whole (it is rare: one JSON object of metrics).
        var want = min(size - offset, maxBytes)
        while true {
            var buffer = Data(count: want)
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, want, off_t(offset)) }
            guard count > 0 else { return .none }
            buffer.count = count
            if let lastNewline = buffer.lastIndex(of: 10) {
                let start = offset
                buffer.count = lastNewline + 1
                offset += lastNewline + 1
                return .lines(buffer, offset: start, end: offset)
            }
            // No newline yet: a line still being written, or one longer than the chunk.
            if offset + count >= size { return .none }
            want = min(size - offset, want * 2)
        }
    }
}

enum MetricsLines {
    /// Python's json module writes NaN, Infinity and -Infinity, which JSONSerialization refuses: they
    /// become null outside strings, so a diverged run still lists.
    static func finiteJSON(_ data: Data) -> Data {
        guard data.contains(78) || data.contains(73) else { return data }  // "N", "I"
        var out = Data(capacity: data.count)
        var inString = false, escaped = false
        let bytes = [UInt8](data)
        let tokens = [Array("-Infinity".utf8), Array("Infinity".utf8), Array("NaN".utf8)]
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == 92 { escaped = true } else if byte == 34 { inString = false }
                out.append(byte)
                index += 1
                continue
            }
            if byte == 34 { inString = true }
            if let token = tokens.first(where: { bytes.count - index >= $0.count && bytes[index..<index + $0.count].elementsEqual($0) }) {
                out.append(contentsOf: Array("null".utf8))
                index += token.count
                continue
            }
            out.append(byte)
            index += 1
        }
        return out
    }
}
