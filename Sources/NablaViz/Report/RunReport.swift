import Foundation
import NablaData

/// Writes the report of the training run in `runFolder` (see `RunFolder` for the files it reads):
/// report.html, plus loss.png, accuracy.png, confusion.png and samples.png for whichever parts the
/// folder has data for. Returns the URL of report.html.
///
/// The one call `nabla train` makes at the end of a run. It throws only when the folder does not exist
/// or a file cannot be written; missing or broken run files are described in the report instead.
///
/// ```swift
/// let report = try writeRunReport(runFolder: URL(fileURLWithPath: "runs/mlp-fashion"))
/// print("report: \(report.path)")
/// ```
@discardableResult
public func writeRunReport(runFolder: URL) throws -> URL {
    try RunReport(runFolder: runFolder).write()
}

/// The HTML report of one training run: summary, loss and accuracy curves, confusion matrix, test
/// images with predicted and true labels (wrong ones in red), the metrics table and the configuration.
public struct RunReport {
    public let folder: RunFolder
    /// Charts are drawn at this many pixels per CSS pixel, so text stays sharp on high-density screens.
    public var pixelScale = 2
    /// At most this many test images go into the grid.
    public var maximumSamples = 64
    /// A lab's own sections, shown after the summary. When empty, the sections a previous `write()`
    /// saved in report-sections.html are shown, so `nabla report` on a lab's folder keeps them.
    public var sections: [ReportSection] = []
    /// Saved fragment of the lab's sections (HTML with embedded images).
    public static let sectionsFile = "report-sections.html"

    /// Reads the run folder; throws `RunReportError.folderMissing` when it is not a folder.
    public init(runFolder: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runFolder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunReportError.folderMissing(runFolder.path)
        }
        folder = RunFolder(url: runFolder)
    }

    /// One picture of the report: the figure, the file it is saved as, and its alternative text.
    struct Picture {
        let figure: any Figure
        let fileName: String
        let description: String
        /// Shown under the picture: what it leaves out, say.
        var note: String? = nil
    }

    // MARK: Figures

    /// The metric that the curves use as x: "epoch" when it increases line by line, else "step", else
    /// the line number.
    func horizontalKey(_ rows: [[JSONMember]]) -> String? {
        func values(_ key: String) -> [Double]? {
            let found = rows.compactMap { row in row.first { $0.key == key }?.value.number }
            return found.count == rows.count ? found : nil
        }
        if let epochs = values("epoch"), zip(epochs, epochs.dropFirst()).allSatisfy({ $0 < $1 }) { return "epoch" }
        if values("step") != nil { return "step" }
        if values("epoch") != nil { return "epoch" }
        return nil
    }

    /// The keys of `rows` in order of first appearance.
    func columns(_ rows: [[JSONMember]]) -> [String] {
        var seen = Set<String>(), keys: [String] = []
        for row in rows {
            for member in row where seen.insert(member.key).inserted { keys.append(member.key) }
        }
        return keys
    }

    /// The most stages whose curves are drawn apart (two keys each: a legend of about twenty lines).
    static let maximumStages = 10

    /// A line chart of every metric key accepted by `selects`, or why there is none.
    func curves(title: String, yLabel: String, fileName: String, selects: (String) -> Bool, kind: String) -> Result<Picture, RunFileError> {
        guard case .success(let rows) = folder.metrics else {
            return .failure(RunFileError(file: RunFolder.metricsFile, problem: "is missing or empty, so no \(kind) curve can be drawn"))
        }
        // A run that trained several times names each training's rows with a `stage`; its epochs count
        // from 1 in each stage, so each stage gets its own lines, by epoch — up to `maximumStages`
        // stages, beyond which one line per key runs over the records in order.
        var stages: [String] = []
        for row in rows {
            if let stage = row.first(where: { $0.key == "stage" })?.value.string, !stages.contains(stage) { stages.append(stage) }
        }
        let byStage = !stages.isEmpty && stages.count <= Self.maximumStages
        let xKey = stages.isEmpty ? horizontalKey(rows) : byStage ? "epoch" : nil
        let keys = columns(rows).filter { $0 != xKey && $0 != "stage" && selects($0) }
        guard !keys.isEmpty else {
            return .failure(RunFileError(file: RunFolder.metricsFile, problem: "has no \(kind) metrics (no key ending in \"\(kind)\")"))
        }
        let groups: [(name: String?, rows: [(index: Int, row: [JSONMember])])] = byStage
            ? stages.map { stage in (stage, rows.enumerated().filter { $0.element.first { $0.key == "stage" }?.value.string == stage }.map { ($0.offset, $0.element) }) }
            : [(nil, rows.enumerated().map { ($0.offset, $0.element) })]
        let series = groups.flatMap { group in
            keys.compactMap { key -> LineChart.Series? in
                var xs: [Double] = [], ys: [Double] = []
                for (index, row) in group.rows {
                    guard let value = row.first(where: { $0.key == key })?.value.number else { continue }
                    let x = xKey.flatMap { name in row.first { $0.key == name }?.value.number } ?? Double(index + 1)
                    xs.append(x)
                    ys.append(value)
                }
                if group.name != nil && xs.isEmpty { return nil }
                return LineChart.Series(name: group.name.map { "\($0) \(key)" } ?? key, x: xs, y: ys)
            }
        }
        // Losses often fall by orders of magnitude; a log axis keeps the late epochs readable.
        let all = series.flatMap(\.y).filter(\.isFinite)
        let useLog = kind == "loss" && !all.isEmpty && all.allSatisfy { $0 > 0 } && (all.max()! / all.min()!) >= 20
        // 600 wide: two charts fit side by side in a 1280-pixel window.
        let chart = LineChart(width: 600, height: 380, title: useLog ? "\(title) (log scale)" : title, xLabel: xKey ?? "record (line of metrics.jsonl)",
                              yLabel: yLabel, yScale: useLog ? .logarithmic : .linear, series: series)
        // A diverged run writes NaN; the chart cannot draw it, so say so rather than hide it.
        let nonFinite = series.compactMap { line -> String? in
            let count = line.y.filter { !$0.isFinite }.count
            return count == 0 ? nil : "\(line.name) is NaN or infinite in \(count) record\(count == 1 ? "" : "s")"
        }
        return .success(Picture(figure: chart, fileName: fileName, description: "\(title): \(keys.joined(separator: ", ")) by \(xKey ?? "record")",
                                note: nonFinite.isEmpty ? nil : nonFinite.joined(separator: "; ") + " (not drawn)."))
    }

    var lossPicture: Result<Picture, RunFileError> {
        curves(title: "Loss", yLabel: "loss", fileName: "loss.png", selects: { $0.hasSuffix("loss") }, kind: "loss")
    }

    var accuracyPicture: Result<Picture, RunFileError> {
        curves(title: "Accuracy", yLabel: "accuracy", fileName: "accuracy.png", selects: { $0.hasSuffix("accuracy") }, kind: "accuracy")
    }

    var confusionPicture: Result<Picture, RunFileError> {
        folder.confusion.map { matrix in
            var titled = matrix
            if matrix.accuracy.isFinite { titled.title = "Confusion matrix (accuracy \(formatPercent(matrix.accuracy)))" }
            return Picture(figure: titled, fileName: "confusion.png", description: "Confusion matrix of \(matrix.counts.count) classes")
        }
    }

    var samplesPicture: Result<Picture, RunFileError> {
        folder.samples.map { samples in
            let (count, channels, height, width) = (samples.shape[0], samples.shape[1], samples.shape[2], samples.shape[3])
            let shown = min(count, maximumSamples)
            let images = Canvas.images(values: Array(samples.values.prefix(shown * channels * height * width)),
                                       shape: [shown, channels, height, width], valueRange: 0...1)
            let labelled = min(shown, samples.predicted.count, samples.truth.count)
            let captions: [ImageCaption] = labelled < shown ? [] : (0..<shown).map { index in
                let predicted = samples.predicted[index], truth = samples.truth[index]
                return ImageCaption(["pred \(samples.className(predicted))", "true \(samples.className(truth))"],
                                    isHighlighted: predicted != truth)
            }
            // Small images (28×28) are scaled up to about 84 pixels so digits and clothes are recognisable.
            let upscale = max(1, 84 / max(width, height))
            let grid = ImageGrid(images: images, captions: captions, columns: min(8, shown), upscale: upscale)
            return Picture(figure: grid, fileName: "samples.png", description: "\(shown) test images with predicted and true labels")
        }
    }

    // MARK: Writing

    /// Writes report.html and the chart PNGs into the run folder; returns report.html's URL.
    @discardableResult
    public func write() throws -> URL {
        var pngs: [String: Data] = [:]
        for case .success(let picture) in [lossPicture, accuracyPicture, confusionPicture, samplesPicture] {
            let data = try picture.figure.pngData(scale: pixelScale)
            try writeFileAtomically([UInt8](data), to: folder.url.appendingPathComponent(picture.fileName).path)
            pngs[picture.fileName] = data
        }
        var sectionsFragment: String?
        if !sections.isEmpty {
            var fragment = HTMLPage(title: "")
            for (index, section) in sections.enumerated() {
                try section.render(into: &fragment, folder: folder.url, stem: "section-\(index + 1)", scale: pixelScale)
            }
            try writeFileAtomically(fragment.fragment, to: folder.url.appendingPathComponent(Self.sectionsFile).path)
            sectionsFragment = fragment.fragment
        }
        let reportURL = folder.url.appendingPathComponent(RunFolder.reportFile)
        try writeFileAtomically(html(pngs: pngs, sectionsFragment: sectionsFragment), to: reportURL.path)
        return reportURL
    }

    /// The report page. `pngs` holds already-rendered pictures by file name (rendered here when absent).
    public func html(pngs: [String: Data] = [:]) -> String { html(pngs: pngs, sectionsFragment: nil) }

    func html(pngs: [String: Data], sectionsFragment: String?) -> String {
        let name = folder.url.standardizedFileURL.lastPathComponent
        var page = HTMLPage(title: "Run report: \(name)")
        page.heading("Training run: \(name)", level: 1)
        page.paragraph(folder.url.standardizedFileURL.path, className: "path")

        // A lab that is not a classifier (regression, optimizers, a graph embedding) never writes a
        // confusion matrix or test images, so their absence is only a problem for classifier runs.
        let classifierFiles = folder.isClassifierRun ? [folder.confusion.failureText, folder.samples.failureText] : []
        let problems = ([folder.config.failureText, folder.metrics.failureText, folder.summary.failureText] + classifierFiles).compactMap { $0 }
        if !problems.isEmpty {
            page.paragraph("Not everything could be shown:")
            page.list(problems.map { $0 + "." }, className: "notes")
        }

        page.heading("Summary", id: "summary")
        switch folder.summary {
        case .success(let members): page.table(headers: [], rows: members.map { [$0.key, $0.value.displayText] }, numericColumns: [1], className: "summary")
        case .failure(let error): page.missing("No final figures were recorded (\(error)).")
        }

        if let sectionsFragment {
            page.raw(sectionsFragment)
        } else if !sections.isEmpty {
            for (index, section) in sections.enumerated() {
                // Rendering only fails for a figure that cannot be encoded; say so in place.
                do { try section.render(into: &page, folder: nil, stem: "section-\(index + 1)", scale: pixelScale) }
                catch { page.missing("The section '\(section.title)' could not be drawn: \(error).") }
            }
        } else if let saved = try? String(contentsOf: folder.url.appendingPathComponent(Self.sectionsFile), encoding: .utf8) {
            page.raw(saved)
        }

        page.heading("Training curves", id: "curves")
        if case .failure = folder.metrics {
            page.missing("No metrics were recorded (metrics.jsonl is missing or empty), so there are no loss or accuracy curves.")
        } else {
            page.openRow()
            for picture in [lossPicture, accuracyPicture] {
                switch picture {
                case .success(let picture): addImage(picture, to: &page, pngs: pngs)
                case .failure(let error): page.missing("No curve: \(error).")
                }
            }
            page.closeRow()
        }

        page.heading("Confusion matrix", id: "confusion")
        switch confusionPicture {
        case .success(let picture): addImage(picture, to: &page, pngs: pngs)
        case .failure(let error): page.missing("No confusion matrix was recorded (\(error)).")
        }

        page.heading("Test samples", id: "samples")
        switch (samplesPicture, folder.samples) {
        case (.success(let picture), .success(let samples)):
            let shown = min(samples.shape[0], maximumSamples)
            let labelled = min(shown, samples.predicted.count, samples.truth.count)
            if labelled == shown {
                let wrong = (0..<shown).filter { samples.predicted[$0] != samples.truth[$0] }.count
                page.paragraph("\(shown) of \(samples.shape[0]) test images; \(wrong) of the \(shown) shown are predicted wrongly (red caption and frame).")
            }
            if let warning = samples.warning { page.missing("\(warning).") }
            addImage(picture, to: &page, pngs: pngs)
        case (.failure(let error), _), (_, .failure(let error)):
            page.missing("No test images were recorded (\(error)).")
        }

        page.heading("Metrics", id: "metrics")
        switch folder.metrics {
        case .success(let rows):
            let keys = columns(rows)
            let cells = rows.map { row in keys.map { key in row.first { $0.key == key }?.value.displayText ?? "" } }
            let numeric = Set(keys.indices.filter { index in rows.allSatisfy { row in row.first { $0.key == keys[index] }.map { $0.value.number != nil } ?? true } })
            page.table(headers: keys, rows: cells, numericColumns: numeric)
        case .failure(let error):
            page.missing("No metrics were recorded (metrics.jsonl is missing or empty: \(error)).")
        }
        if !folder.metricsWarnings.isEmpty {
            page.paragraph("Some lines of metrics.jsonl were skipped:")
            page.list(folder.metricsWarnings, className: "notes")
        }

        page.heading("Configuration", id: "configuration")
        switch folder.config {
        case .success(let members): page.table(headers: ["setting", "value"], rows: flatten(members), className: "summary")
        case .failure(let error): page.missing("No configuration was recorded (\(error)).")
        }
        page.paragraph("Generated by Nabla's `nabla report`.", className: "path")
        return page.text
    }

    private func addImage(_ picture: Picture, to page: inout HTMLPage, pngs: [String: Data]) {
        // A picture already written beside the report links to that file, for a full-size look.
        if let data = pngs[picture.fileName] {
            page.image(png: data, width: picture.figure.width, height: picture.figure.height, alt: picture.description,
                       link: picture.fileName, caption: picture.note)
        } else if let data = try? picture.figure.pngData(scale: pixelScale) {
            page.image(png: data, width: picture.figure.width, height: picture.figure.height, alt: picture.description, caption: picture.note)
        } else {
            page.missing("\(picture.fileName) could not be drawn.")
        }
    }

    /// Nested objects become dotted keys (optimizer.lr) so the table stays two columns.
    private func flatten(_ members: [JSONMember], prefix: String = "") -> [[String]] {
        members.flatMap { member -> [[String]] in
            let key = prefix.isEmpty ? member.key : "\(prefix).\(member.key)"
            if let nested = member.value.members, !nested.isEmpty { return flatten(nested, prefix: key) }
            return [[key, member.value.displayText]]
        }
    }
}

/// Why a report could not be written at all.
public enum RunReportError: Error, CustomStringConvertible {
    case folderMissing(String)

    public var description: String {
        switch self {
        case .folderMissing(let path): "run folder \(path) does not exist or is not a folder"
        }
    }
}

extension Result where Failure == RunFileError {
    var failureText: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}

func formatPercent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }
