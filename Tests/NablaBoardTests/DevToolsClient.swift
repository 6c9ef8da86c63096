import Foundation
@testable import NablaBoard

/// Headless Chromium driven through its DevTools protocol over a plain WebSocket (a few frames' worth
/// of RFC 6455, written here so that the test needs nothing beyond Debian's `chromium`).
final class DevToolsBrowser {
    let process = Process()
    let profile: URL
    private var socket: Int32 = -1
    private var nextID = 0

    /// The Chromium executable on PATH, if any.
    static let executable: String? = {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") { return "\(folder)/\(name)" }
        }
        return nil
    }()

    init(executable: String) throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-board-chromium-\(UUID().uuidString)")
        process.executableURL = URL(fileURLWithPath: executable)
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--remote-debugging-port=0", "--window-size=1280,900", "--user-data-dir=\(profile.path)", "about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Chromium writes the port it chose into the profile's DevToolsActivePort.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let deadline = Date().addingTimeInterval(60)   // a loaded machine starts it slowly
        var port = 0
        while Date() < deadline, process.isRunning {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let first = text.split(separator: "\n").first, let number = Int(first) {
                port = number
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard port > 0 else { close(); throw BoardError("chromium did not open its DevTools port") }
        // The first page target (about:blank).
        var pagePath: String?
        while pagePath == nil && Date() < deadline {
            let list = try Self.httpGet(port: port, path: "/json/list")
            if let targets = try? JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]],
               let page = targets.first(where: { $0["type"] as? String == "page" }),
               let url = page["webSocketDebuggerUrl"] as? String, let range = url.range(of: "/devtools/") {
                pagePath = String(url[range.lowerBound...])
            } else { Thread.sleep(forTimeInterval: 0.1) }
        }
        guard let pagePath else { close(); throw BoardError("chromium has no page target") }
        socket = try connectLoopback(port: port, readTimeout: timeval(tv_sec: 1, tv_usec: 0))
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try sendAll(socket, Array("GET \(pagePath) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        var head = [UInt8]()
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            head.append(try readExactly(1)[0])
        }
        guard String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { close(); throw BoardError("no WebSocket upgrade") }
    }

    func close() {
        if socket >= 0 { Glibc.close(socket); socket = -1 }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: profile)
    }

    /// Sends one DevTools command and returns its result.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        nextID += 1
        let id = nextID
        let message = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
        try sendFrame([UInt8](message))
        while true {
            let data = try readMessage()
            guard let reply = try JSONSerialization.jsonObject(with: data) as? [String: Any], reply["id"] as? Int == id else { continue }
            if let error = reply["error"] { throw BoardError("\(method) failed: \(error)") }
            return reply["result"] as? [String: Any] ?? [:]
        }
    }

    /// The value of a JavaScript expression in the page (as JSON text), or the exception's text.
    func evaluate(_ expression: String) throws -> String {
        let result = try call("Runtime.evaluate", ["expression": "JSON.stringify(\(expression))", "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] { return "exception: \(exception)" }
        return ((result["result"] as? [String: Any])?["value"] as? String) ?? "undefined"
    }

    /// Polls `expression` until it gives `expected` (as JSON text); returns the seconds it took, or nil.
    func wait(for expression: String, toBe expected: String, timeout: TimeInterval = 30) throws -> TimeInterval? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if try evaluate(expression) == expected { return Date().timeIntervalSince(start) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    func screenshot(to url: URL) throws {
        let result = try call("Page.captureScreenshot", ["format": "png"])
        if let text = result["data"] as? String, let data = Data(base64Encoded: text) { try data.write(to: url) }
    }

    // MARK: WebSocket frames (client frames are masked; the server's are not)

    private func sendFrame(_ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x81]
        if payload.count < 126 { frame.append(0x80 | UInt8(payload.count)) }
        else if payload.count < 65_536 { frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)] }
        else { frame.append(0x80 | 127); frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xff) } }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try sendAll(socket, frame)
    }

    private func readMessage() throws -> Data {
        var message = Data()
        while true {
            let header = try readExactly(2)
            var length = Int(header[1] & 0x7f)
            if length == 126 { length = try readExactly(2).reduce(0) { $0 << 8 | Int($1) } }
            else if length == 127 { length = try readExactly(8).reduce(0) { $0 << 8 | Int($1) } }
            let payload = try readExactly(length)
            let opcode = header[0] & 0x0f
            if opcode == 0x8 { throw BoardError("chromium closed the DevTools connection") }
            if opcode == 0x1 || opcode == 0x0 { message.append(contentsOf: payload) }
            if header[0] & 0x80 != 0 && (opcode == 0x1 || opcode == 0x0) { return message }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var have = 0
        let deadline = Date().addingTimeInterval(30)
        while have < count {
            let got = bytes.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + have, count - have, 0) }
            if got > 0 { have += got; continue }
            if got == 0 || Date() > deadline || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                throw BoardError("DevTools connection ended")
            }
        }
        return bytes
    }

    static func httpGet(port: Int, path: String) throws -> String {
        let socket = try connectLoopback(port: port, readTimeout: timeval(tv_sec: 1, tv_usec: 0))
        defer { Glibc.close(socket) }
        try sendAll(socket, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8))
        var received = [UInt8](), buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        return text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    }
}
