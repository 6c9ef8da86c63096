import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// Answers the board's requests; read-only (GET and HEAD only).
///
/// ```
/// /                    the board (run list, run pages, compare view: one page, routed by its #hash)
/// /board.js /board.css its script and style
/// /api/runs            every run folder under the given folders (RunListing, JSON)
/// /api/events/ID       server-sent events: metrics.jsonl from ?from=OFFSET:LINE (or Last-Event-ID) on,
///                      then each new line as it is written, and the run's status when it changes
/// /files/ID/NAME       a file inside the given folders (reports, images), streamed in 64 KiB chunks
/// ```
/// Every refusal (400 or 404) is logged with its reason.
struct BoardResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let paths: BoardPaths
    let log: @Sendable (String) -> Void
    /// How often an open event stream looks at its metrics.jsonl (one stat call; no folder scans).
    let tailInterval: Duration

    func respond(to request: Request, context: Context) async throws -> Response {
        let target = request.uri.string
        guard request.method == .get || request.method == .head else {
            return refuse(.methodNotAllowed, request, "read-only board: only GET and HEAD")
        }
        guard target.utf8.count <= BoardPaths.maximumTargetLength else {
            return refuse(.badRequest, request, "request target longer than \(BoardPaths.maximumTargetLength) bytes")
        }
        let path = request.uri.path
        do {
            let response: Response
            switch path {
            case "/", "/index.html": response = text(BoardPage.html, type: "text/html; charset=utf-8")
            case "/board.js": response = text(BoardScript.source, type: "text/javascript; charset=utf-8")
            case "/board.css": response = text(BoardPage.css, type: "text/css; charset=utf-8")
            case "/api/runs": response = try runs()
            case _ where path.hasPrefix("/api/events/"):
                response = try events(id: String(path.dropFirst("/api/events/".count)), request: request)
            case _ where path.hasPrefix("/files/"):
                response = try file(String(path.dropFirst("/files/".count)))
            default:
                throw BoardPaths.Refusal.notFound("no such page")
            }
            guard request.method == .head else { return response }
            return Response(status: response.status, headers: response.headers, body: ResponseBody())
        } catch let refusal as BoardPaths.Refusal {
            switch refusal {
            case .badRequest(let why): return refuse(.badRequest, request, why)
            case .notFound(let why): return refuse(.notFound, request, why)
            }
        }
    }

    private func refuse(_ status: HTTPResponse.Status, _ request: Request, _ why: String) -> Response {
        let shown = request.uri.string.count > 200 ? String(request.uri.string.prefix(200)) + "…" : request.uri.string
        log("nabla board: refused \(request.method) \(shown): \(status.code) \(why)")
        var response = text("\(status.code) \(status.reasonPhrase): \(why)\n", type: "text/plain; charset=utf-8")
        response.status = status
        return response
    }

    private func text(_ body: String, type: String) -> Response {
        var headers = Self.commonHeaders
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// No external URL can load (the board works offline, and a report cannot call out either).
    static let commonHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        .cacheControl: "no-store",
    ]

    private func runs() throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = try encoder.encode(RunListing(paths: paths))
        return text(String(decoding: data, as: UTF8.self), type: "application/json")
    }

    static let contentTypes = ["html": "text/html; charset=utf-8", "png": "image/png", "gif": "image/gif", "svg": "image/svg+xml",
                               "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "apng": "image/apng",
                               "json": "application/json", "jsonl": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8",
                               "txt": "text/plain; charset=utf-8", "md": "text/plain; charset=utf-8"]

    private func file(_ encoded: String) throws -> Response {
        let url = try paths.resolve(encoded)
        let type = Self.contentTypes[url.pathExtension.lowercased()] ?? "application/octet-stream"
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw BoardPaths.Refusal.notFound("cannot read") }
        let size = Int(info.st_size)
        var headers = Self.commonHeaders
        headers[.contentType] = type
        let path = url.path
        let body = ResponseBody(contentLength: size) { writer in
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw BoardPaths.Refusal.notFound("cannot open") }
            defer { close(descriptor) }
            var offset = 0
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while offset < size {
                let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, min($0.count, size - offset), off_t(offset)) }
                guard count > 0 else { break }
                try await writer.write(ByteBuffer(bytes: buffer[0..<count]))
                offset += count
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private func events(id: String, request: Request) throws -> Response {
        let folder = try paths.resolve(id, folder: true)
        let resume = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["from"].map(String.init) ?? "0:0"
        let numbers = resume.split(separator: ":").compactMap { Int($0) }
        let start = numbers.count == 2 ? (offset: numbers[0], line: numbers[1]) : (offset: 0, line: 0)
        var headers = Self.commonHeaders
        headers[.contentType] = "text/event-stream"
        let interval = tailInterval
        let body = ResponseBody { writer in
            var tail = MetricsTail(path: folder.path + "/metrics.jsonl", offset: start.offset)
            var line = start.line
            var status = ""
            var quiet = Duration.zero
            var sinceStatus = Duration.seconds(10)
            while !Task.isCancelled {
                var message = "", more = false
                switch tail.next() {
                case .lines(let data, _, let end):
                    let event = Self.metricsEvent(data, firstLine: line, end: end)
                    try await writer.write(event.bytes)
                    line += event.lines
                    quiet = .zero
                    more = true
                case .reset:
                    line = 0
                    message = "event: reset\nid: 0:0\ndata: metrics.jsonl was started again\n\n"
                case .none:
                    break
                }
                if sinceStatus >= .seconds(1) {
                    sinceStatus = .zero
                    let now = RunListing.status(folder: folder.path)
                    if now != status {
                        status = now
                        message += "event: status\ndata: \(now)\n\n"
                    }
                }
                if message.isEmpty && quiet >= .seconds(15) { message = ": still here\n\n" }
                if !message.isEmpty {
                    try await writer.write(ByteBuffer(string: message))
                    quiet = .zero
                }
                if more { continue }
                try await Task.sleep(for: interval)
                quiet += interval
                sinceStatus += interval
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// One `metrics` event: `data: FIRST_LINE_NUMBER`, then one `data:` field per line of `data` (whole
    /// lines, carriage returns dropped), written straight into one buffer so that a 256 KiB chunk costs
    /// one allocation of about its size (the peak memory of a 100 MB stream stays near the idle server's).
    static func metricsEvent(_ data: Data, firstLine: Int, end: Int) -> (bytes: ByteBuffer, lines: Int) {
        var buffer = ByteBuffer()
        var lines = 0
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            // The next `byte` in start..<stop (memchr: a debug build scans 100 MB in well under a second).
            func find(_ byte: UInt8, _ start: Int, _ stop: Int) -> Int {
                memchr(base + start, Int32(byte), stop - start).map { UnsafeRawPointer($0) - base } ?? stop
            }
            var start = 0
            while start < raw.count { start = find(10, start, raw.count) + 1; if start <= raw.count { lines += 1 } }
            buffer.reserveCapacity(raw.count + 7 * lines + 64)
            buffer.writeString("event: metrics\nid: \(end):\(firstLine + lines)\ndata: \(firstLine)\n")
            start = 0
            while start < raw.count {
                let newline = find(10, start, raw.count)
                guard newline < raw.count else { break }
                buffer.writeStaticString("data: ")
                // A carriage return would end the field early in the event stream: it is left out.
                var piece = start
                while piece < newline {
                    let stop = find(13, piece, newline)
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[piece..<stop]))
                    piece = stop + 1
                }
                buffer.writeStaticString("\n")
                start = newline + 1
            }
        }
        buffer.writeStaticString("\n")
        return (buffer, lines)
    }
}
