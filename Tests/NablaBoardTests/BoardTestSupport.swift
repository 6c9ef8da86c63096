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

/// The `nabla` executable beside the test bundle (`swift test` builds it with the tests), if present.
let nablaExecutable: URL? = {
    let candidate = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("nabla")
    return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
}()

/// `nabla board FOLDERS --port 0` in a process of its own, for one test.
///
/// The board's tests run the server as a child process and talk to it with blocking sockets from the
/// test's own thread, never awaiting anything: swift-testing runs the tests as tasks on a cooperative
/// pool with one thread per core, and while other suites' long CPU-bound tests hold those threads, a
/// server or client that needs the pool gets no turn (on two cores, every request of an in-process
/// server went unanswered). A child process is scheduled by the kernel like any other, and it is the
/// server exactly as users start it, refusal log on standard error included.
final class BoardProcess {
    let process = Process()
    private(set) var port = 0
    private let folder: URL
    private var stopped = false
    /// How long `nabla board` may take to listen (a debug build on a loaded machine).
    static let startLimit: TimeInterval = 60

    init(_ folders: [URL]) throws {
        guard let executable = nablaExecutable else { throw BoardError("the nabla executable is not built beside the tests (swift build first)") }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-board-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["stdout", "stderr"] { FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: nil) }
        process.executableURL = executable
        process.arguments = ["board"] + folders.map(\.path) + ["--port", "0"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: folder.appendingPathComponent("stdout"))
        process.standardError = try FileHandle(forWritingTo: folder.appendingPathComponent("stderr"))
        try process.run()
        // It prints "… at http://127.0.0.1:PORT/ …" once it listens.
        let deadline = Date().addingTimeInterval(Self.startLimit)
        while port == 0 {
            let said = (try? String(contentsOf: folder.appendingPathComponent("stdout"), encoding: .utf8)) ?? ""
            if let range = said.range(of: "http://127.0.0.1:") {
                port = Int(said[range.upperBound...].prefix { $0.isNumber }) ?? 0
                if port > 0 { break }
            }
            if !process.isRunning {
                let status = process.terminationStatus
                defer { stop() }
                throw BoardError("nabla board exited with status \(status) before it listened: \(log)")
            }
            if Date() > deadline {
                defer { stop() }
                throw BoardError("nabla board did not listen within \(Int(Self.startLimit)) s: \(said) \(log)")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// What it wrote on standard error so far (its refusals).
    var log: String { (try? String(contentsOf: folder.appendingPathComponent("stderr"), encoding: .utf8)) ?? "" }

    /// The process's peak resident memory so far, in bytes (VmHWM of /proc/PID/status).
    var peakResidentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "").map { $0 * 1024 }
    }

    /// Stops it as Ctrl-C does (SIGTERM), and kills it if it has not ended within 10 s.
    func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }

    deinit { stop() }
}

/// Runs `nabla board` on `folders` for `body`, and stops it whatever happens.
func withBoard<T>(_ folders: [URL], _ body: (BoardProcess) throws -> T) throws -> T {
    let board = try BoardProcess(folders)
    defer { board.stop() }
    return try body(board)
}

/// A socket connected to 127.0.0.1:`port`, whose reads give up after `readTimeout` seconds of quiet.
func connectLoopback(port: Int, readTimeout: timeval = timeval(tv_sec: 0, tv_usec: 100_000)) throws -> Int32 {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { close(socket); throw BoardError("cannot connect to 127.0.0.1:\(port) (errno \(errno))") }
    var wait = readTimeout
    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    return socket
}

func sendAll(_ socket: Int32, _ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count {
        let count = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
        guard count > 0 else { throw BoardError("send failed (errno \(errno))") }
        sent += count
    }
}

/// A plain, blocking HTTP/1.1 client over a socket, so that request targets go out exactly as
/// written (no client-side normalisation of `..`), and nothing waits on the concurrency pool.
struct RawHTTP {
    let port: Int

    struct Reply {
        var status: Int
        var head: String
        var body: Data
        /// Bytes of body received, also when `keepBody` was false.
        var bodyBytes: Int
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends `target` and reads until the server closes, `until` holds on the latest bytes received (the
    /// last chunk read and the 4 KiB before it), or `timeout`; throws, naming the request, when no
    /// reply head came. `whileOpen` runs once the head has arrived.
    func get(_ target: String, method: String = "GET", timeout: TimeInterval = 30, keepBody: Bool = true,
             until: ((String) -> Bool)? = nil, whileOpen: (() throws -> Void)? = nil) throws -> Reply {
        let shown = "\(method) \(target.prefix(80))\(target.count > 80 ? "…" : "")"
        let socket = try connectLoopback(port: port)
        defer { close(socket) }
        try sendAll(socket, Array("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        var received = Data(), head: String?, bodyBytes = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { break }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                break
            }
            let window = received.suffix(4096) + buffer[0..<count]
            received.append(contentsOf: buffer[0..<count])
            if head != nil {
                bodyBytes += count
            } else if let split = received.range(of: Data("\r\n\r\n".utf8)) {
                head = String(decoding: received[..<split.lowerBound], as: UTF8.self)
                received = Data(received[split.upperBound...])
                bodyBytes = received.count
                try whileOpen?()
            }
            if head != nil && !keepBody && received.count > 65_536 { received = Data(received.suffix(4096)) }
            if let until, until(String(decoding: window, as: UTF8.self)) { break }
        }
        guard let head else {
            throw BoardError("\(shown): no reply from the board on port \(port) within \(Int(timeout)) s (\(received.count) bytes)")
        }
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Reply(status: status, head: head, body: keepBody ? received : Data(), bodyBytes: keepBody ? received.count : bodyBytes)
    }
}
