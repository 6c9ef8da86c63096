import ArgumentParser
import Dispatch
import Foundation
import NablaBoard

/// `nabla board [RUNS_DIR …]`: serves a live dashboard of the run folders under the given folders.
struct BoardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board",
        abstract: "Serve a live dashboard of run folders (runs, lab runs, the tour) in the browser.",
        discussion: """
        Lists every run folder under RUNS_DIR (default: runs) with its lab or recipe, start time, status \
        (running, finished, interrupted: read from the folder's files), headline metrics and settings. A run's \
        page draws every metric of metrics.jsonl and follows new lines as they are written; select runs to \
        overlay their curves and compare their settings. Read-only, and it serves only files inside the \
        given folders. Stop it with Ctrl-C.
        """
    )

    @Argument(help: ArgumentHelp("Folders holding run folders.", valueName: "RUNS_DIR"))
    var folders: [String] = []

    @Option(help: "The port to listen on (0 picks a free one).")
    var port: Int = 6006

    @Option(help: "The address to listen on; 127.0.0.1 keeps the board to this machine. 0.0.0.0 opens it to the network.")
    var host: String = "127.0.0.1"

    func run() throws {
        let paths = (folders.isEmpty ? ["runs"] : folders).map { URL(fileURLWithPath: $0) }
        let board: BoardServer
        do {
            board = try BoardServer(folders: paths, host: host, port: port)
        } catch {
            throw failure("nabla board: \(error)")
        }
        let started = Date()
        let task = Task {
            try await board.run { port in
                let seconds = Date().timeIntervalSince(started)
                print("nabla board: serving \(paths.map(\.path).joined(separator: ", ")) at http://\(host):\(port)/ "
                      + "(started in \(String(format: "%.2f", seconds)) s; Ctrl-C stops it)")
                fflush(stdout)
            }
        }
        // Ctrl-C and SIGTERM cancel the server, which closes its event streams and returns.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        let finished = DispatchSemaphore(value: 0)
        let outcome = OutcomeBox()
        Task {
            do { try await task.value } catch { outcome.error = error }
            finished.signal()
        }
        finished.wait()
        sources.forEach { $0.cancel() }
        if let error = outcome.error, !(error is CancellationError) { throw failure("nabla board: \(error)") }
    }
}

private final class OutcomeBox: @unchecked Sendable {
    var error: Error?
}
