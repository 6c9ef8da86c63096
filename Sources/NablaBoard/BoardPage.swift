/// The board's one HTML page and its style sheet. The page is a shell: board.js draws the run list,
/// a run's page and the compare view into #app, routed by the URL's #hash.
enum BoardPage {
    static let html = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>nabla board</title>
    <link rel="stylesheet" href="/board.css">
    </head>
    <body>
    <header><a href="#/" class="brand">∇ nabla board</a> <span id="live"></span></header>
    <main id="app"><p>Loading runs…</p></main>
    <script src="/board.js"></script>
    </body>
    </html>

    """

    static let css = """
    body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
    header { background: #1d2330; color: #fff; padding: 8px 16px; }
    header a { color: #fff; text-decoration: none; font-weight: 600; }
    main { padding: 12px 16px; }
    h1 { font-size: 20px; margin: 4px 0 8px; } h2 { font-size: 16px; margin: 16px 0 6px; }
    table { border-collapse: collapse; background: #fff; font-size: 13px; }
    th, td { border: 1px solid #d8dce3; padding: 3px 6px; text-align: left; white-space: nowrap; }
    th { background: #eef0f4; cursor: pointer; user-select: none; }
    th.differs, td.differs { background: #fff3c4; }
    .status-running { color: #0a7d32; font-weight: 600; } .status-interrupted { color: #b3261e; }
    .status-finished { color: #35507a; } .status-empty { color: #888; }
    .toolbar { margin: 8px 0; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
    .charts { display: flex; flex-wrap: wrap; gap: 10px; }
    svg.chart { background: #fff; border: 1px solid #d8dce3; }
    svg.chart text { font-size: 10px; fill: #444; } svg.chart .title { font-size: 12px; font-weight: 600; fill: #1d2330; }
    svg.chart .axis { stroke: #999; } svg.chart .grid { stroke: #eee; }
    svg.chart path.series { fill: none; stroke-width: 1.6; } svg.chart path.raw { fill: none; stroke-width: 1; opacity: 0.25; }
    .notice { background: #fdecea; border: 1px solid #f5c2bd; padding: 4px 8px; margin: 4px 0; }
    .media { display: flex; flex-wrap: wrap; gap: 10px; } .media figure { margin: 0; background: #fff; padding: 6px; border: 1px solid #d8dce3; }
    .media img { max-width: 360px; max-height: 300px; display: block; image-rendering: pixelated; }
    .legend span { margin-right: 10px; } .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 3px; }

    """
}
