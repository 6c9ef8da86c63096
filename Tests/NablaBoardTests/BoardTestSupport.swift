import Foundation
@testable import NablaBoard

/// A folder of run folders for one test, removed by the caller.
func makeRunsFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-board-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Writes a run folder: config.json, metrics.jsonl with `lines` rows, and summary.json when `finished`.
func writeRun(_ root: URL, _ name: String, lr: Double, lines: Int, finished: Bool, extra: [String] = []) throws -> URL {
    let folder = root.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try #"{"lab": "\#(name)-lab", "settings": {"lr": \#(lr), "epochs": \#(lines)}}"#.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    let rows = (0..<lines).map { #"{"epoch": \#($0 + 1), "train_loss": \#(1.0 / Double($0 + 1)), "val_accuracy": \#(0.5 + 0.05 * Double($0))}"# }
    try (rows.joined(separator: "\n") + (rows.isEmpty ? "" : "\n")).write(to: folder.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
    if finished {
        try #"{"test_accuracy": 0.9, "test_loss": NaN}"#.write(to: folder.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
    }
    for name in extra { try Data([1, 2, 3]).write(to: folder.appendingPathComponent(name)) }
    return folder
}

/// Appends text to a file (as a training run appends metrics).
func append(_ text: String, to file: URL) throws {
    let handle = try FileHandle(forWritingTo: file)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
    try handle.close()
}

/// Holds a run folder's .lock as a training run does (flock), until `release`.
final class HeldLock {
    let descriptor: Int32
    init(_ folder: URL) {
        descriptor = open(folder.appendingPathComponent(".lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        flock(descriptor, LOCK_EX | LOCK_NB)
    }
    func release() { flock(descriptor, LOCK_UN); close(descriptor) }
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) { lock.lock(); storage.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// Runs a board on a free port of 127.0.0.1 for `body`, then stops it and waits until it has stopped.
func withBoard<T: Sendable>(_ folders: [URL], log: LogLines = LogLines(), _ body: @Sendable (Int) async throws -> T) async throws -> T {
    var server = try BoardServer(folders: folders, port: 0, log: { log.append($0) })
    server.tailInterval = .milliseconds(50)
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let board = server
    let task = Task { try await board.run { port in continuation.yield(port) } }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw BoardError("the board did not start") }
    do {
        let result = try await body(port)
        task.cancel()
        _ = try? await task.value
        return result
    } catch {
        task.cancel()
        _ = try? await task.value
        throw error
    }
}

/// A plain HTTP/1.1 client over a socket, so that request targets go out exactly as written (no
/// client-side normalisation of `..`). Runs off the concurrency pool.
struct RawHTTP {
    let port: Int

    struct Reply {
        var status: Int
        var head: String
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends `target` and reads until the server closes, `until` holds on the text so far, or `timeout`.
    func get(_ target: String, method: String = "GET", timeout: TimeInterval = 5, until: (@Sendable (String) -> Bool)? = nil,
             whileOpen: (@Sendable () throws -> Void)? = nil) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.blockingGet(target, method: method, timeout: timeout, until: until, whileOpen: whileOpen) })
            }
        }
    }

    func connectSocket() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(socket); throw BoardError("cannot connect to port \(port)") }
        var wait = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    private func blockingGet(_ target: String, method: String, timeout: TimeInterval, until: ((String) -> Bool)?,
                             whileOpen: (() throws -> Void)?) throws -> Reply {
        let socket = try connectSocket()
        defer { close(socket) }
        let request = Array("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(timeout)
        var calledWhileOpen = false
        while Date() < deadline {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { break }
            if count > 0 { received.append(contentsOf: buffer[0..<count]) }
            let text = String(decoding: received, as: UTF8.self)
            if let whileOpen, !calledWhileOpen, text.contains("\r\n\r\n") { calledWhileOpen = true; try whileOpen() }
            if let until, until(text) { break }
            if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK { break }
        }
        guard let split = received.range(of: Data("\r\n\r\n".utf8)) else {
            return Reply(status: 0, head: String(decoding: received, as: UTF8.self), body: Data())
        }
        let head = String(decoding: received[..<split.lowerBound], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Reply(status: status, head: head, body: Data(received[split.upperBound...]))
    }
}
