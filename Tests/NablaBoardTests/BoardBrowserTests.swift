import Foundation
import Testing
@testable import NablaBoard

// The board in a real browser: headless Chromium (Debian package `chromium`), driven through the
// DevTools protocol, opens the board, sees the runs, opens a running run and its charts, sees lines
// appended to metrics.jsonl drawn within 2 s, a notice for a malformed line, and two runs overlaid in
// the compare view. Skipped where Chromium is not installed.
// NABLA_BOARD_GALLERY=/some/folder keeps screenshots of the run page and the compare view there.
// The board runs as `nabla board` in a process of its own and the test never awaits (see BoardProcess).

@Suite struct BoardBrowserTests {
    @Test(.enabled(if: DevToolsBrowser.executable != nil, "chromium is not installed (apt-get install chromium)"),
          .enabled(if: nablaExecutable != nil, "the nabla executable is not built beside the tests (swift build first)"))
    func boardFollowsARunningRunAndComparesTwo() throws {
        let root = try makeRunsFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try writeRun(root, "done", lr: 0.1, lines: 5, finished: true)
        let running = try writeRun(root, "live", lr: 0.01, lines: 3, finished: false)
        let lock = HeldLock(running)
        defer { lock.release() }
        let gallery = ProcessInfo.processInfo.environment["NABLA_BOARD_GALLERY"].map { URL(fileURLWithPath: $0) }
        try withBoard([root]) { board in
            let port = board.port
            let browser = try DevToolsBrowser(executable: DevToolsBrowser.executable!)
            defer { browser.close() }
            try browser.call("Page.navigate", ["url": "http://127.0.0.1:\(port)/"])
            #expect(try browser.wait(for: "document.querySelectorAll('#runs tr.run').length", toBe: "2") != nil, "the run list shows both runs")
            #expect(try browser.evaluate("document.querySelector('#runs').textContent.includes('running')") == "true")

            // Open the running run from the list, as a person would.
            try browser.evaluate("document.querySelector('#runs tr.run[data-id=\"0/live\"] a').click()")
            let points = "(document.querySelector('svg.chart[data-metric=\"train_loss\"]') || {dataset: {}}).dataset.points"
            #expect(try browser.wait(for: points, toBe: "\"3\"") != nil, "the chart draws the 3 lines written so far")
            #expect(try browser.evaluate("document.querySelector('svg.chart[data-metric=\"train_loss\"] path.series').getAttribute('d').split('L').length") == "3")
            #expect(try browser.evaluate("document.getElementById('status').textContent") == "\"running\"")

            // Lines appended to metrics.jsonl appear within 2 s.
            try append(#"{"epoch": 4, "train_loss": 0.2, "val_accuracy": 0.7}"# + "\n" + #"{"epoch": 5, "train_loss": 0.15, "val_accuracy": 0.72}"# + "\n",
                       to: running.appendingPathComponent("metrics.jsonl"))
            let seconds = try browser.wait(for: points, toBe: "\"5\"", timeout: 2)
            #expect(seconds != nil, "appended lines were drawn within 2 s")
            print("board: appended lines drawn after \(seconds.map { String(format: "%.2f s", $0) } ?? "more than 2 s")")

            // A malformed line: a notice, and the chart stays.
            try append("{\"epoch\": 6, \"train_loss\": \n", to: running.appendingPathComponent("metrics.jsonl"))
            #expect(try browser.wait(for: "document.querySelectorAll('#notices .notice').length", toBe: "1") != nil, "a notice for the malformed line")
            #expect(try browser.evaluate("document.querySelector('#notices').textContent.includes('line 6')") == "true")
            #expect(try browser.evaluate(points) == "\"5\"")
            if let gallery { try browser.screenshot(to: gallery.appendingPathComponent("board-run.png")) }

            // Compare: both runs' curves on one chart, and the differing setting highlighted.
            try browser.evaluate("location.hash = '#/'")
            #expect(try browser.wait(for: "document.querySelectorAll('input.pick').length", toBe: "2") != nil)
            let clicked = try browser.evaluate("(() => { document.querySelectorAll('input.pick').forEach((box) => box.click()); const n = document.querySelectorAll('input.pick:checked').length; document.getElementById('compare').click(); return n + ' ' + location.hash; })()")
            let curves = "[...document.querySelectorAll('svg.chart[data-metric=\"train_loss\"] path.series')].filter((p) => p.getAttribute('d').length > 10).length"
            let overlaid = try browser.wait(for: curves, toBe: "2")
            let shown = try browser.evaluate("location.hash + ' ' + [...document.querySelectorAll('svg.chart')].map((s) => s.dataset.metric + ':' + [...s.querySelectorAll('path.series')].map((p) => p.getAttribute('d').length)).join(' ')")
            #expect(overlaid != nil, "two curves overlaid: \(shown) after \(clicked)")
            #expect(try browser.evaluate("[...document.querySelectorAll('#runs th.differs')].map((th) => th.dataset.key).join(',')") == "\"s:lab,s:settings.epochs,s:settings.lr\"")
            if let gallery { try browser.screenshot(to: gallery.appendingPathComponent("board-compare.png")) }
        }
    }
}
