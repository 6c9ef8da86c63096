import Foundation
import Hummingbird
import NIOCore

/// `nabla board`'s web server: a read-only dashboard of the run folders under `folders`.
///
/// ```swift
/// let board = try BoardServer(folders: [URL(fileURLWithPath: "runs")], port: 6006)
/// try await board.run { port in print("http://127.0.0.1:\(port)/") }   // until the task is cancelled
/// ```
/// It listens on 127.0.0.1 unless told otherwise, so nobody else on the network can read the runs.
public struct BoardServer: Sendable {
    public let paths: BoardPaths
    public var host: String
    /// 0 picks a free port (reported to `run`'s `onStart`).
    public var port: Int
    /// Where refusals are logged (standard error by default).
    public var log: @Sendable (String) -> Void
    /// How often an open event stream checks its metrics.jsonl for new lines.
    public var tailInterval: Duration = .milliseconds(200)

    public init(folders: [URL], host: String = "127.0.0.1", port: Int = 6006,
                log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws {
        guard !folders.isEmpty else { throw BoardError("name at least one folder of runs") }
        guard (0...65_535).contains(port) else { throw BoardError("--port \(port) is not a port number (0 to 65535; 0 picks a free one)") }
        paths = try BoardPaths(roots: folders)
        self.host = host
        self.port = port
        self.log = log
    }

    /// Serves until the calling task is cancelled; `onStart` gets the port it listens on.
    public func run(onStart: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let responder = BoardResponder(paths: paths, log: log, tailInterval: tailInterval)
        let app = Application(responder: responder,
                              configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "nabla-board"),
                              onServerRunning: { channel in await onStart(channel.localAddress?.port ?? 0) })
        try await app.run()
    }
}
