import Foundation
import NablaData

/// A part of a run's report that a lab adds: a title, a sentence or two, and its content — figures
/// (line charts with several series, image grids with captions, heat maps, scatter plots of embeddings
/// coloured by class, any `Figure`), tables, text, or an animation.
///
/// ```swift
/// let curves = ReportSection.lineChart("Loss by optimiser", xLabel: "step", yLabel: "loss",
///                                      series: [.init(name: "SGD", x: steps, y: sgd), .init(name: "Adam", x: steps, y: adam)])
/// let table = ReportSection(title: "Final losses", content: .table(headers: ["optimiser", "loss"], rows: [["SGD", "0.31"]]))
/// ```
public struct ReportSection {
    public enum Content {
        /// Figures shown side by side, each with its alternative text.
        case figures([(figure: any Figure, description: String)])
        case table(headers: [String], rows: [[String]])
        case text(String)
        /// Frames of an animation, shown `frameSeconds` apart.
        case animation(frames: [Canvas], frameSeconds: Double, description: String)
    }

    public var title: String
    /// A sentence or two under the title: what the figure shows and what to look for.
    public var caption: String?
    public var content: Content

    public init(title: String, caption: String? = nil, content: Content) {
        self.title = title
        self.caption = caption
        self.content = content
    }

    /// One figure.
    public static func figure(_ title: String, _ figure: any Figure, caption: String? = nil) -> ReportSection {
        ReportSection(title: title, caption: caption, content: .figures([(figure, title)]))
    }

    /// A line chart with one line per series.
    public static func lineChart(_ title: String, xLabel: String, yLabel: String, series: [LineChart.Series],
                                 logarithmic: Bool = false, caption: String? = nil) -> ReportSection {
        figure(title, LineChart(width: 600, height: 380, title: title, xLabel: xLabel, yLabel: yLabel,
                                yScale: logarithmic ? .logarithmic : .linear, series: series), caption: caption)
    }

    /// Images in a grid, each with its caption lines (highlighted captions are drawn in red).
    public static func imageGrid(_ title: String, images: [Canvas], captions: [ImageCaption] = [], columns: Int? = nil,
                                 upscale: Int = 1, caption: String? = nil) -> ReportSection {
        figure(title, ImageGrid(images: images, captions: captions, columns: columns, upscale: upscale, title: title), caption: caption)
    }

    /// Values as coloured cells.
    public static func heatMap(_ title: String, values: [[Double]], xLabel: String = "", yLabel: String = "",
                               rowLabels: [String] = [], columnLabels: [String] = [], caption: String? = nil) -> ReportSection {
        figure(title, HeatMap(title: title, xLabel: xLabel, yLabel: yLabel, values: values, rowLabels: rowLabels,
                              columnLabels: columnLabels), caption: caption)
    }

    /// Two-dimensional points (an embedding) coloured by class.
    public static func scatter(_ title: String, x: [Double], y: [Double], classes: [Int]? = nil, classNames: [String] = [],
                               xLabel: String = "", yLabel: String = "", caption: String? = nil) -> ReportSection {
        figure(title, ScatterPlot(title: title, xLabel: xLabel, yLabel: yLabel, x: x, y: y, classes: classes,
                                  classNames: classNames), caption: caption)
    }

    public static func table(_ title: String, headers: [String], rows: [[String]], caption: String? = nil) -> ReportSection {
        ReportSection(title: title, caption: caption, content: .table(headers: headers, rows: rows))
    }

    public static func text(_ title: String, _ text: String) -> ReportSection {
        ReportSection(title: title, content: .text(text))
    }

    public static func animation(_ title: String, frames: [Canvas], frameSeconds: Double = 0.2, caption: String? = nil) -> ReportSection {
        ReportSection(title: title, caption: caption, content: .animation(frames: frames, frameSeconds: frameSeconds, description: title))
    }

    /// The first figure of the section (what a tour index shows as a lab's headline), if it has one.
    public var firstFigure: (any Figure)? {
        if case .figures(let figures) = content { return figures.first?.figure }
        return nil
    }

    /// Appends the section to `page`; its pictures are also written into `folder` as
    /// `<stem>-<n>.png` (linked from the page for a full-size look) when `folder` is given.
    func render(into page: inout HTMLPage, folder: URL?, stem: String, scale: Int) throws {
        page.heading(title, level: 2)
        if let caption { page.paragraph(caption) }
        switch content {
        case .figures(let figures):
            page.openRow()
            for (index, entry) in figures.enumerated() {
                let data = try entry.figure.pngData(scale: scale)
                let name = "\(stem)-\(index + 1).png"
                if let folder { try writeFileAtomically([UInt8](data), to: folder.appendingPathComponent(name).path) }
                page.image(png: data, width: entry.figure.width, height: entry.figure.height, alt: entry.description,
                           link: folder == nil ? nil : name)
            }
            page.closeRow()
        case .table(let headers, let rows):
            let numeric = Set(headers.indices.filter { column in rows.allSatisfy { $0.indices.contains(column) && Double($0[column]) != nil } })
            page.table(headers: headers, rows: rows, numericColumns: numeric)
        case .text(let text):
            for paragraph in text.components(separatedBy: "\n\n") { page.paragraph(paragraph) }
        case .animation(let frames, let frameSeconds, let description):
            // An animated PNG: browsers play it, and a viewer without APNG support shows the first frame.
            guard let first = frames.first else {
                page.missing("The animation has no frames.")
                return
            }
            let data = try AnimatedPNG(frames: frames, delay: frameSeconds).data()
            let name = "\(stem)-animation.png"
            if let folder { try writeFileAtomically([UInt8](data), to: folder.appendingPathComponent(name).path) }
            page.image(png: data, width: Double(first.width), height: Double(first.height), alt: description,
                       link: folder == nil ? nil : name,
                       caption: "\(frames.count) frame\(frames.count == 1 ? "" : "s"), \(String(format: "%g", frameSeconds)) s apart")
        }
    }
}
