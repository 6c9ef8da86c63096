/// board.js, version 1: the board's whole client, hand-written, with no library.
///
/// Charts are hand-written SVG rather than a vendored charting library: the board must work offline and
/// be reviewed line by line, and what it draws (a few line series per metric, smoothing, a log axis,
/// step or wall-clock x) takes about 120 lines here, against hundreds of kilobytes of a library.
/// Smoothing is TensorBoard's: an exponential moving average, debiased for its first points.
enum BoardScript {
    static let source = #"""
    "use strict";
    // nabla board script, version 1
    const app = document.getElementById("app");
    const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
    const view = { smoothing: 0, log: false, xAxis: "step", sortKey: "started", sortDown: true, filter: "" };
    let listing = { runs: [], pages: [], roots: [] };
    let streams = [];
    let redrawTimer = null;

    function el(tag, attrs, ...children) {
      const node = tag.startsWith("svg:") ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
      for (const [key, value] of Object.entries(attrs || {})) {
        if (key.startsWith("on")) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
      }
      for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child.nodeType ? child : String(child));
      return node;
    }
    function show(...nodes) { app.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined)); }
    const idPath = (id) => id.split("/").map(encodeURIComponent).join("/");
    const fmt = (v) => typeof v !== "number" ? String(v) : !isFinite(v) ? String(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : +v.toPrecision(4) + "";

    async function loadRuns() {
      const response = await fetch("/api/runs");
      listing = await response.json();
    }

    function closeStreams() { for (const s of streams) s.source.close(); streams = []; }

    let routeSerial = 0;
    async function route() {
      // Only the newest navigation draws: an older one still waiting for the run list is dropped.
      const serial = ++routeSerial;
      closeStreams();
      await loadRuns();
      if (serial !== routeSerial) return;
      const hash = decodeURIComponent(location.hash.slice(1));
      if (hash.startsWith("/run/")) showRuns([hash.slice(5)], false);
      else if (hash.startsWith("/compare/")) showRuns(hash.slice(9).split(","), true);
      else showList();
    }
    window.addEventListener("hashchange", route);

    // ---- run list and the settings/metrics table ----
    function columnsOf(runs) {
      const settings = new Set(), metrics = new Set();
      for (const run of runs) { Object.keys(run.settings).forEach((k) => settings.add(k)); Object.keys(run.headline).forEach((k) => metrics.add(k)); }
      const differs = new Set([...settings].filter((k) => new Set(runs.map((r) => r.settings[k])).size > 1));
      return { settings: [...settings].sort(), metrics: [...metrics].sort(), differs };
    }

    function runTable(runs, selectable) {
      const { settings, metrics, differs } = columnsOf(runs);
      const cell = (run, key) => key === "run" ? run.title + " (" + run.folder + ")" : key === "status" ? run.status : key === "started" ? (run.started || "")
        : key.startsWith("s:") ? (run.settings[key.slice(2)] ?? "") : (run.headline[key.slice(2)] ?? "");
      const keys = ["run", "status", "started", ...metrics.map((k) => "m:" + k), ...settings.map((k) => "s:" + k)];
      const words = view.filter.toLowerCase().split(/\s+/).filter(Boolean);
      let rows = runs.filter((run) => words.every((w) => keys.some((k) => String(cell(run, k)).toLowerCase().includes(w))));
      rows.sort((a, b) => {
        const x = cell(a, view.sortKey), y = cell(b, view.sortKey);
        const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
        return view.sortDown ? -order : order;
      });
      const head = el("tr", {}, selectable ? el("th", {}, "") : null, keys.map((k) => el("th", {
        class: k.startsWith("s:") && differs.has(k.slice(2)) ? "differs" : "", "data-key": k,
        title: k.startsWith("s:") && differs.has(k.slice(2)) ? "differs between runs" : "",
        onclick: () => { view.sortDown = view.sortKey === k ? !view.sortDown : true; view.sortKey = k; /^#\/(run|compare)\//.test(location.hash) ? route() : showList(); },
      }, k.replace(/^[sm]:/, "") + (view.sortKey === k ? (view.sortDown ? " ▾" : " ▴") : ""))));
      const body = rows.map((run) => el("tr", { class: "run", "data-id": run.id }, selectable ? el("td", {}, el("input", { type: "checkbox", class: "pick", value: run.id })) : null,
        keys.map((k) => {
          const value = cell(run, k);
          const td = el("td", { class: (k.startsWith("s:") && differs.has(k.slice(2)) ? "differs " : "") + (k === "status" ? "status-" + value : "") },
            k === "run" ? el("a", { href: "#/run/" + encodeURIComponent(run.id) }, value) : fmt(value));
          return td;
        })));
      return el("table", { id: "runs" }, head, body);
    }

    function showList() {
      const filter = el("input", { id: "filter", placeholder: "filter (words in any column)", value: view.filter, size: 40 });
      filter.addEventListener("input", () => { view.filter = filter.value; const table = document.getElementById("runs"); table.replaceWith(runTable(listing.runs, true)); });
      const compare = el("button", { id: "compare", onclick: () => {
        const ids = [...document.querySelectorAll("input.pick:checked")].map((box) => box.value);
        if (ids.length) location.hash = "#/compare/" + ids.map(encodeURIComponent).join(",");
      } }, "Compare selected");
      show(el("h1", {}, listing.runs.length + " runs in " + listing.roots.join(", ")),
        el("div", { class: "toolbar" }, filter, compare),
        runTable(listing.runs, true),
        listing.pages.length ? el("h2", {}, "Pages") : null,
        listing.pages.map((p) => el("div", {}, el("a", { href: "/files/" + idPath(p.id) }, p.title + "/index.html"))));
    }

    // ---- one run, or several overlaid ----
    function showRuns(ids, comparing) {
      const runs = ids.map((id) => listing.runs.find((r) => r.id === id)).filter(Boolean);
      if (!runs.length) { show(el("p", { class: "notice" }, "No run " + ids.join(", ") + " under the board's folders."), el("a", { href: "#/" }, "All runs")); return; }
      const controls = el("div", { class: "toolbar" },
        el("label", {}, "smoothing ", el("input", { id: "smoothing", type: "range", min: 0, max: 0.99, step: 0.01, value: view.smoothing, oninput: (e) => { view.smoothing = +e.target.value; redraw(); } })),
        el("label", {}, el("input", Object.assign({ id: "log", type: "checkbox", onchange: (e) => { view.log = e.target.checked; redraw(); } }, view.log ? { checked: "" } : {})), " log scale"),
        el("label", {}, "x ", el("select", { id: "x-axis", onchange: (e) => { view.xAxis = e.target.value; redraw(); } },
          ["step", "wall clock"].map((v) => el("option", Object.assign({ value: v }, view.xAxis === v ? { selected: "" } : {}), v)))));
      const run = runs[0];
      const title = comparing ? el("h1", {}, "Compare " + runs.length + " runs")
        : el("h1", {}, run.title + " ", el("small", {}, run.folder), " — ", el("span", { id: "status", class: "status-" + run.status }, run.status));
      const media = comparing ? null : el("div", { class: "media" }, run.media.map((name) => {
        const url = "/files/" + idPath(run.id) + "/" + encodeURIComponent(name);
        return name.endsWith(".html") ? el("figure", {}, el("a", { href: url, class: name === "report.html" ? "report" : "" }, name === "report.html" ? "Report" : name))
          : el("figure", {}, el("img", { src: url, alt: name }), el("figcaption", {}, name));
      }));
      show(title, el("div", { id: "notices" }), controls, el("div", { id: "legend", class: "legend" }), el("div", { id: "charts", class: "charts" }),
        media && run.media.length ? [el("h2", {}, "Media"), media] : null,
        el("h2", {}, comparing ? "Settings and final metrics (differing settings highlighted)" : "Settings and metrics"), runTable(runs, false));
      runs.forEach((r, index) => openStream(r, index, comparing));
    }

    function openStream(run, index, comparing) {
      const entry = { run, index, rows: [], label: comparing ? run.title + " (" + run.folder + ")" : "", source: new EventSource("/api/events/" + idPath(run.id)) };
      streams.push(entry);
      entry.source.addEventListener("metrics", (event) => {
        const lines = event.data.split("\n");
        const first = +lines.shift();
        lines.forEach((text, k) => {
          if (!text.trim()) return;
          let row = null;
          try { row = JSON.parse(text.replace(/(-?Infinity|NaN)(?=\s*[,}\]])/g, "null")); } catch (error) { row = null; }
          if (row === null || typeof row !== "object" || Array.isArray(row)) {
            notice("metrics.jsonl of " + run.folder + ", line " + (first + k + 1) + ", is not a JSON object and was skipped: " + text.slice(0, 80));
          } else entry.rows.push(row);
        });
        scheduleRedraw();
      });
      entry.source.addEventListener("reset", () => { entry.rows = []; scheduleRedraw(); });
      entry.source.addEventListener("status", (event) => {
        run.status = event.data;
        const status = document.getElementById("status");
        if (status && !comparing) { status.textContent = event.data; status.className = "status-" + event.data; }
      });
    }

    function notice(text) {
      const box = document.getElementById("notices");
      if (box && box.children.length < 20) box.append(el("div", { class: "notice" }, text));
    }
    function scheduleRedraw() { if (!redrawTimer) redrawTimer = setTimeout(() => { redrawTimer = null; redraw(); }, 100); }

    // ---- charts ----
    const xKeys = new Set(["epoch", "step", "stage", "time", "wall_time", "timestamp"]);

    function seriesOf(entry) {
      // x: "step" (or epoch, or the line number); wall clock: wall_time/time, or the running sum of "seconds".
      const byMetric = new Map();
      let clock = 0;
      entry.rows.forEach((row, i) => {
        clock += typeof row.seconds === "number" ? row.seconds : 0;
        const x = view.xAxis === "wall clock" ? (row.wall_time ?? row.time ?? clock) : (row.step ?? row.epoch ?? i + 1);
        for (const [key, value] of Object.entries(row)) {
          if (xKeys.has(key) || typeof value !== "number") continue;
          const name = [entry.label, row.stage].filter(Boolean).join(" · ");
          if (!byMetric.has(key)) byMetric.set(key, new Map());
          const series = byMetric.get(key);
          if (!series.has(name)) series.set(name, { color: palette[(entry.index + series.size) % palette.length], points: [] });
          series.get(name).points.push([x, value]);
        }
      });
      return byMetric;
    }

    function smooth(points) {
      const w = view.smoothing;
      if (w <= 0) return points;
      let last = 0, n = 0;
      return points.map(([x, y]) => { if (!isFinite(y)) return [x, y]; n += 1; last = last * w + (1 - w) * y; return [x, last / (1 - Math.pow(w, n))]; });
    }

    function redraw() {
      const charts = document.getElementById("charts");
      if (!charts) return;
      const metrics = new Map();
      for (const entry of streams) for (const [key, series] of seriesOf(entry)) {
        if (!metrics.has(key)) metrics.set(key, []);
        for (const [name, s] of series) metrics.get(key).push(Object.assign({ name }, s));
      }
      const legend = document.getElementById("legend");
      const names = new Map();
      for (const list of metrics.values()) for (const s of list) if (s.name) names.set(s.name, s.color);
      legend.replaceChildren(...[...names].map(([name, color]) => el("span", {}, el("span", { class: "swatch", style: "background:" + color }), name)));
      charts.replaceChildren(...[...metrics.keys()].sort().map((key) => chart(key, metrics.get(key))));
    }

    function chart(title, series) {
      const W = 420, H = 230, left = 56, right = 12, top = 22, bottom = 30;
      const ty = (y) => view.log ? Math.log10(y) : y;
      const usable = ([x, y]) => isFinite(x) && isFinite(y) && (!view.log || y > 0);
      const all = series.flatMap((s) => s.points.filter(usable));
      const svg = el("svg:svg", { class: "chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`, "data-metric": title, "data-points": all.length });
      svg.append(el("svg:text", { x: left, y: 15, class: "title" }, title + (view.log ? " (log)" : "")));
      if (!all.length) { svg.append(el("svg:text", { x: left, y: H / 2 }, "no finite values yet")); return svg; }
      // Loops, not Math.min(...): a long run has more points than a call's arguments may be.
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const [x, y] of all) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, ty(y)); y1 = Math.max(y1, ty(y)); }
      if (x0 === x1) { x0 -= 1; x1 += 1; }
      if (y0 === y1) { y0 -= 1; y1 += 1; }
      const px = (x) => left + (x - x0) / (x1 - x0) * (W - left - right);
      const py = (y) => H - bottom - (ty(y) - y0) / (y1 - y0) * (H - top - bottom);
      for (let k = 0; k <= 4; k++) {
        const yv = y0 + (y1 - y0) * k / 4, yp = H - bottom - (H - top - bottom) * k / 4;
        svg.append(el("svg:line", { class: "grid", x1: left, x2: W - right, y1: yp, y2: yp }),
          el("svg:text", { x: left - 4, y: yp + 3, "text-anchor": "end" }, fmt(view.log ? Math.pow(10, yv) : yv)));
        const xv = x0 + (x1 - x0) * k / 4;
        svg.append(el("svg:text", { x: px(xv), y: H - bottom + 14, "text-anchor": "middle" }, fmt(xv)));
      }
      svg.append(el("svg:line", { class: "axis", x1: left, x2: left, y1: top, y2: H - bottom }), el("svg:line", { class: "axis", x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }),
        el("svg:text", { x: W - right, y: H - 3, "text-anchor": "end" }, view.xAxis === "wall clock" ? "seconds" : "step"));
      // At most about 1,500 points per path (a 420-pixel chart shows no more); the last point always.
      const thin = (points) => points.length <= 1500 ? points : points.filter((p, k) => k % Math.ceil(points.length / 1500) === 0 || k === points.length - 1);
      const pathOf = (points) => thin(points.filter(usable)).map(([x, y], k) => (k ? "L" : "M") + px(x).toFixed(1) + "," + py(y).toFixed(1)).join("");
      for (const s of series) {
        if (view.smoothing > 0) svg.append(el("svg:path", { class: "raw", stroke: s.color, d: pathOf(s.points) }));
        svg.append(el("svg:path", { class: "series", stroke: s.color, d: pathOf(smooth(s.points)), "data-name": s.name }, el("svg:title", {}, s.name || title)));
      }
      return svg;
    }

    route();

    """#
}
