import Foundation

/// A self-contained HTML page built piece by piece: every piece of text is escaped on the way in,
/// images are embedded as base64 data URIs, and the style sheet is inline, so the file opens anywhere
/// (a browser offline, an e-mail attachment) with nothing else beside it.
struct HTMLPage {
    let title: String
    private var body: [String] = []

    init(title: String) { self.title = title }

    mutating func heading(_ text: String, level: Int = 2, id: String? = nil) {
        let identifier = id.map { " id=\"\(escapeHTML($0))\"" } ?? ""
        body.append("<h\(level)\(identifier)>\(escapeHTML(text))</h\(level)>")
    }

    mutating func paragraph(_ text: String, className: String? = nil) {
        let classAttribute = className.map { " class=\"\($0)\"" } ?? ""
        body.append("<p\(classAttribute)>\(escapeHTML(text))</p>")
    }

    /// A plainly visible note that something is missing or could not be read.
    mutating func missing(_ text: String) { paragraph(text, className: "missing") }

    mutating func list(_ items: [String], className: String? = nil) {
        let classAttribute = className.map { " class=\"\($0)\"" } ?? ""
        body.append("<ul\(classAttribute)>" + items.map { "<li>\(escapeHTML($0))</li>" }.joined() + "</ul>")
    }

    /// A table; `numericColumns` are right-aligned so digits line up.
    mutating func table(headers: [String], rows: [[String]], numericColumns: Set<Int> = [], className: String = "data") {
        var html = "<div class=\"table-scroll\"><table class=\"\(className)\">"
        if !headers.isEmpty {
            html += "<thead><tr>" + headers.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr></thead>"
        }
        html += "<tbody>"
        for row in rows {
            html += "<tr>" + row.enumerated().map { index, cell in
                numericColumns.contains(index) ? "<td class=\"number\">\(escapeHTML(cell))</td>" : "<td>\(escapeHTML(cell))</td>"
            }.joined() + "</tr>"
        }
        body.append(html + "</tbody></table></div>")
    }

    /// A PNG shown at `width` × `height` CSS pixels (the PNG itself may be denser, for sharp text on
    /// high-resolution screens). `link`, a file beside the page, makes the image a link to it for a
    /// full-size look; the page still shows the embedded copy, so it works when moved alone.
    mutating func image(png: Data, width: Double, height: Double, alt: String, link: String? = nil, caption: String? = nil) {
        var html = "<figure><img src=\"data:image/png;base64,\(png.base64EncodedString())\" width=\"\(Int(width.rounded()))\" height=\"\(Int(height.rounded()))\" alt=\"\(escapeHTML(alt))\">"
        if let link { html = html.replacingOccurrences(of: "<figure><img", with: "<figure><a href=\"\(escapeHTML(link))\" title=\"full size\"><img") + "</a>" }
        if let caption { html += "<figcaption>\(escapeHTML(caption))</figcaption>" }
        body.append(html + "</figure>")
    }

    /// HTML already escaped and assembled (a fragment saved beside a report).
    mutating func raw(_ html: String) { body.append(html) }

    /// The body's pieces without the page around them.
    var fragment: String { body.joined(separator: "\n") }

    mutating func openSection(_ className: String = "section") { body.append("<section class=\"\(className)\">") }
    mutating func closeSection() { body.append("</section>") }
    mutating func openRow() { body.append("<div class=\"figures\">") }
    mutating func closeRow() { body.append("</div>") }

    var text: String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeHTML(title))</title>
        <style>
        body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 1360px; padding: 0 16px; color: #222; }
        h1 { font-size: 26px; margin-bottom: 4px; }
        h2 { font-size: 20px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
        .path { color: #666; font-family: monospace; margin-top: 0; }
        .missing { background: #fff4e0; border-left: 4px solid #e8a33d; padding: 8px 12px; color: #6b4300; }
        .notes { background: #fff4e0; border-left: 4px solid #e8a33d; padding: 8px 12px 8px 32px; color: #6b4300; }
        .figures { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
        figure { margin: 0; }
        figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { color: #555; font-size: 14px; margin-top: 4px; }
        .table-scroll { overflow: auto; max-height: 480px; border: 1px solid #ddd; display: inline-block; max-width: 100%; }
        table { border-collapse: collapse; font-size: 14px; }
        th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
        th { background: #f5f5f5; position: sticky; top: 0; }
        td.number { text-align: right; font-variant-numeric: tabular-nums; }
        table.summary td:first-child { font-weight: 600; }
        .pass { color: #1a7f37; font-weight: 600; }
        .miss { color: #c62828; font-weight: 600; }
        </style>
        </head>
        <body>
        \(body.joined(separator: "\n"))
        </body>
        </html>

        """
    }
}

/// `text` safe as HTML element content and inside double- or single-quoted attributes.
func escapeHTML(_ text: String) -> String { escapeXML(text) }
