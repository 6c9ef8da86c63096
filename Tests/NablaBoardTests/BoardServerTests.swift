import Foundation
import Testing
@testable import NablaBoard

// The board's server over a real socket on a free port of 127.0.0.1: the run list and its statuses,
// files, the safety rules (each refusal answered 400/404 and logged), and the live metrics stream.
// Every test stops its server before it returns.

@Suite struct BoardServerTests {
    @Test func listsRunsWithStatusHeadlineAndSettings() async throws {
        let root = try makeRunsFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try writeRun(root, "finished", lr: 0.1, lines: 3, finished: true, extra: ["loss.png", "report.html"])
        let running = try writeRun(root, "tour/running", lr: 0.01, lines: 2, finished: false)
        _ = try writeRun(root, "interrupted", lr: 0.01, lines: 1, finished: false)
        try "<html></html>".write(to: root.appendingPathComponent("tour/index.html"), atomically: true, encoding: .utf8)
        let lock = HeldLock(running)
        defer { lock.release() }
        let reply = try await withBoard([root]) { port in try await RawHTTP(port: port).get("/api/runs") }
        #expect(reply.status == 200)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let listing = try decoder.decode(RunListing.self, from: Self.unchunked(reply))
        let byFolder = Dictionary(uniqueKeysWithValues: listing.runs.map { ($0.folder, $0) })
        #expect(byFolder["finished"]?.status == "finished")
        #expect(byFolder["tour/running"]?.status == "running")
        #expect(byFolder["interrupted"]?.status == "interrupted")
        #expect(byFolder["finished"]?.title == "finished-lab")
        #expect(byFolder["finished"]?.headline["test_accuracy"] == 0.9)
        #expect(byFolder["tour/running"]?.headline["train_loss"] == 0.5, "no summary yet: the last metrics line")
        #expect(byFolder["finished"]?.settings["settings.lr"] == "0.1")
        #expect(byFolder["finished"]?.media == ["report.html", "loss.png"])
        #expect(listing.pages.map(\.id) == ["0/tour/index.html"])
    }

    @Test func listsTwoHundredRunsQuickly() throws {
        let root = try makeRunsFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        for index in 0..<200 { _ = try writeRun(root, String(format: "run-%03d", index), lr: 0.001 * Double(index), lines: 20, finished: index % 2 == 0) }
        let start = Date()
        let listing = RunListing(paths: try BoardPaths(roots: [root]))
        let seconds = Date().timeIntervalSince(start)
        #expect(listing.runs.count == 200)
        #expect(listing.runs.filter { $0.status == "finished" }.count == 100)
        // The bar is 1 s for start-up in a release build; a debug build on a loaded machine gets slack.
        #expect(seconds < 5, "listing 200 runs took \(seconds) s")
        print("listing 200 run folders took \(String(format: "%.3f", seconds)) s")
    }

    @Test func servesPageScriptAndFilesWithNoExternalURL() async throws {
        let root = try makeRunsFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try writeRun(root, "run a", lr: 0.1, lines: 3, finished: true, extra: ["loss.png"])
        try await withBoard([root]) { port in
            let http = RawHTTP(port: port)
            let page = try await http.get("/")
            #expect(page.status == 200 && page.text.contains("/board.js"))
            let script = try await http.get("/board.js")
            #expect(script.status == 200 && script.text.contains("EventSource"))
            for reply in [page, script] {
                // The SVG namespace is a name, not an address the page loads.
                let text = reply.text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
                #expect(!text.contains("http://") && !text.contains("https://") && !text.contains("//cdn"), "offline: no external URL")
                #expect(reply.head.lowercased().contains("content-security-policy: default-src 'self'"))
            }
            let image = try await http.get("/files/0/run%20a/loss.png")
            #expect(image.status == 200 && image.body == Data([1, 2, 3]))
            #expect(image.head.lowercased().contains("content-type: image/png"))
        }
    }

    @Test func refusesEveryWayOutOfTheFoldersAndLogsIt() async throws {
        let outside = try makeRunsFolder(), root = try makeRunsFolder()
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: outside) }
        try "secret".write(to: outside.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        let run = try writeRun(root, "run", lr: 0.1, lines: 1, finished: false)
        try FileManager.default.createSymbolicLink(atPath: run.appendingPathComponent("escape.txt").path, withDestinationPath: outside.appendingPathComponent("secret.txt").path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("linked").path, withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: run.appendingPathComponent("inside.json").path, withDestinationPath: run.appendingPathComponent("config.json").path)
        let log = LogLines()
        let cases: [(target: String, method: String, statuses: Set<Int>)] = [
            ("/files/0/../\(outside.lastPathComponent)/secret.txt", "GET", [400, 404]),
            ("/files/0/run/../../\(outside.lastPathComponent)/secret.txt", "GET", [400, 404]),
            ("/files/0/%2e%2e/\(outside.lastPathComponent)/secret.txt", "GET", [400]),
            ("/files/0/%2E%2E%2F\(outside.lastPathComponent)%2Fsecret.txt", "GET", [400]),
            ("/files/0/%252e%252e/\(outside.lastPathComponent)/secret.txt", "GET", [400]),
            ("/files/0/..%5c\(outside.lastPathComponent)%5csecret.txt", "GET", [400]),
            ("/files/0/" + outside.path + "/secret.txt", "GET", [400]),
            ("/files/0/run/escape.txt", "GET", [404]),
            ("/files/0/linked/secret.txt", "GET", [404]),
            ("/files/0/run/.lock", "GET", [404]),
            ("/files/0/run", "GET", [404]),
            ("/files/1/run/config.json", "GET", [404]),
            ("/api/events/0/linked", "GET", [404]),
            ("/files/0/run/config.json?" + String(repeating: "a", count: 5000), "GET", [400, 414, 431]),
            ("/files/0/run/config.json", "POST", [405]),
        ]
        try await withBoard([root], log: log) { port in
            let http = RawHTTP(port: port)
            for (target, method, statuses) in cases {
                let reply = try await http.get(target, method: method)
                #expect(statuses.contains(reply.status), "\(method) \(target.prefix(80)) answered \(reply.status)")
                #expect(!reply.text.contains("secret"), "\(target.prefix(80)) leaked the file")
            }
            // A link that stays inside the folders is served.
            let inside = try await http.get("/files/0/run/inside.json")
            #expect(inside.status == 200 && inside.text.contains("settings"))
        }
        let logged = log.lines.filter { $0.contains("refused") }
        #expect(logged.count >= cases.count - 1, "each refusal is logged: \(logged)")
    }

    @Test func streamsMetricsAndFollowsAppendedLines() async throws {
        let root = try makeRunsFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try writeRun(root, "run", lr: 0.1, lines: 2, finished: false)
        let metrics = run.appendingPathComponent("metrics.jsonl")
        let reply = try await withBoard([root]) { port in
            try await RawHTTP(port: port).get("/api/events/0/run", timeout: 5, until: { $0.contains("\"epoch\": 4") }, whileOpen: {
                Thread.sleep(forTimeInterval: 0.2)
                try append(#"{"epoch": 3, "train_loss": 0.3}"# + "\nnot json\n" + #"{"epoch": 4, "train_loss": 0.25}"# + "\n", to: metrics)
            })
        }
        #expect(reply.head.lowercased().contains("content-type: text/event-stream"))
        #expect(reply.text.contains("event: metrics"))
        #expect(reply.text.contains("data: {\"epoch\": 1"))
        #expect(reply.text.contains("data: not json"), "a malformed line is passed on for the page's notice")
        #expect(reply.text.contains("data: {\"epoch\": 4, \"train_loss\": 0.25}"))
        #expect(reply.text.contains("event: status\r\ndata: interrupted") || reply.text.contains("event: status\ndata: interrupted"))
    }

    @Test func tailReadsWholeLinesInBoundedChunksAndNoticesARestart() throws {
        let root = try makeRunsFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("metrics.jsonl")
        try "{\"a\": 1}\n{\"a\": 2}\n{\"a\"".write(to: file, atomically: true, encoding: .utf8)
        var tail = MetricsTail(path: file.path)
        #expect(tail.next(maxBytes: 12) == .lines(Data("{\"a\": 1}\n".utf8), offset: 0, end: 9))
        #expect(tail.next() == .lines(Data("{\"a\": 2}\n".utf8), offset: 9, end: 18))
        #expect(tail.next() == .none, "a half-written line waits")
        try append(": 3}\n", to: file)
        #expect(tail.next() == .lines(Data("{\"a\": 3}\n".utf8), offset: 18, end: 27))
        try "{\"a\": 9}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(tail.next() == .reset)
        #expect(tail.next() == .lines(Data("{\"a\": 9}\n".utf8), offset: 0, end: 9))
    }

    @Test func nonFiniteNumbersBecomeNullOutsideStrings() {
        let data = MetricsLines.finiteJSON(Data(#"{"loss": NaN, "b": -Infinity, "c": Infinity, "name": "NaN Infinity"}"#.utf8))
        #expect(String(decoding: data, as: UTF8.self) == #"{"loss": null, "b": null, "c": null, "name": "NaN Infinity"}"#)
    }

    @Test func pathComponentsRefuseDotsEncodingsAndAbsolutePaths() throws {
        for bad in ["0/../x", "0/a/./b", "0//etc/passwd", "0/%2e%2e/x", "0/%252e%252e/x", "0/a%00b", "0/a\\b", "0/" + String(repeating: "a", count: 3000)] {
            #expect(throws: BoardPaths.Refusal.self, "\(bad.prefix(40))") { try BoardPaths.components(bad) }
        }
        #expect(throws: BoardPaths.Refusal.self) { try BoardPaths.components("x/run") }
        #expect(throws: BoardPaths.Refusal.self) { try BoardPaths.components("0/run/.lock") }
        #expect(try BoardPaths.components("0/run%20a/loss.png").parts == ["run a", "loss.png"])
    }

    /// The body of a chunked reply, de-chunked.
    static func unchunked(_ reply: RawHTTP.Reply) -> Data {
        guard reply.head.lowercased().contains("transfer-encoding: chunked") else { return reply.body }
        var out = Data(), rest = reply.body[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            out.append(rest[lineEnd.upperBound..<lineEnd.upperBound + size])
            rest = rest[(lineEnd.upperBound + size + 2)...]
        }
        return out
    }
}
