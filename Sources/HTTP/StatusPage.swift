import Bytes

/// /factory/etc for a person: the key figures first (uptime, requests, open connections, heap, errors,
/// drops), charts of the last minutes (`StatusHistory`, drawn as inline SVG), then every section's
/// counters in a table. Browsers ask for HTML (`Accept` names text/html);
/// everything else — curl, scripts, `Accept: text/plain`, `?format=text` — gets the text form, so the
/// tools that read `name value` lines keep working. No external resources: one self-contained page.
extension HTTPServer {
    func wantsHTMLStatus(_ request: HTTPRequest) -> Bool {
        if HTTPServer.find(Array("format=text".utf8), in: request.query) { return false }
        guard let accept = request.headers.first("Accept") else { return false }
        let lower = accept.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        return HTTPServer.find(Array("text/html".utf8), in: lower)
    }

    /// The sections as /factory/etc lists them: the server's own, then each provider's.
    func statusSections() -> [(title: String, metrics: Metrics)] {
        [("http", statusMetrics())] + statusProviders.map { ($0.title, $0.metrics()) }
    }

    func etcHTML(now: Instant) -> HTTPResponse {
        sampleHistory(now: now)
        let sections = statusSections()
        var all = Metrics()
        for s in sections { all.append(s.metrics) }
        let key = KeyFigures(all)
        let name = HTML.escape(configuration.serverName)
        var page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(name) status</title>\n"
        page += "<link rel=\"icon\" href=\"data:,\">\n"     // no favicon request: the page loads nothing else
        page += "<meta http-equiv=\"refresh\" content=\"5\">\n<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
        page += ".figs{display:flex;flex-wrap:wrap;gap:.8em}.fig,figure{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;min-width:8em}"
        page += ".fig b{display:block;font-size:1.7em}.bad b{color:#b00}table{border-collapse:collapse}figure{margin:0}"
        page += "svg.chart{display:block;width:18em;height:4em;background:#f8f8f8}"
        page += "polyline{fill:none;stroke:#06c;stroke-width:1.5;vector-effect:non-scaling-stroke}"
        page += "td{padding:1px 10px;font-family:monospace}td.v{text-align:right}tr:nth-child(odd){background:#f4f4f4}</style>\n"
        page += "</head><body><h1>\(name)</h1>\n<div class=\"figs\">\n"
        // One out-of-line body writes every figure into a byte sink: an interpolated text per call
        // site cost the image a few hundred bytes each.
        @inline(never)
        func figure(_ label: StaticString, _ value: UInt64, over second: UInt64? = nil, unit: StaticString = "",
                    warnAboveZero: Bool = false) -> String {
            String { s in
                s.put("<div class=\"fig"); if warnAboveZero && value > 0 { s.put(" bad") }
                s.put("\"><b>"); s.putDecimal(value)
                if let second { s.put(" / "); s.putDecimal(second) }
                s.put(unit); s.put("</b>"); s.put(label); s.put("</div>\n")
            }
        }
        page += figure("uptime", key.uptimeSeconds, unit: " s")
        page += figure("requests / s now", history.points(0).last ?? 0)
        page += figure("requests served", key.requests)
        page += figure("connections open", key.connections)
        page += figure("heap in use / peak", key.heapInUse / 1024, over: key.heapPeak / 1024, unit: " KiB")
        page += figure("5xx responses", key.serverErrors, warnAboveZero: true)
        page += figure("requests refused", key.refused, warnAboveZero: true)
        page += figure("drops (log, TCP, ARP, NIC)", key.dropped, warnAboveZero: true)
        page += "</div>\n<h2>Last \(StatusHistory.seconds / 60) minutes</h2>\n<div class=\"figs\">\n"
        for (i, chart) in StatusHistory.charts.enumerated() {
            let points = history.points(i)
            page += "<figure><figcaption>\(chart.title): now \(points.last ?? 0), peak \(points.max() ?? 0)</figcaption>"
            page += String(decoding: SVGChart.render(points, slots: StatusHistory.seconds, label: chart.title), as: UTF8.self)
            page += "</figure>\n"
        }
        page += "</div>\n"
        for s in sections {
            page += "<h2>\(HTML.escape(s.title))</h2>\n"
            for note in s.metrics.notes { page += "<p>\(HTML.escape(note))</p>\n" }
            page += "<table>\n"
            for line in s.metrics.lines.dropFirst(s.metrics.notes.count) {
                let parts = line.utf8.split(separator: UInt8(ascii: " "), maxSplits: 1)
                guard parts.count == 2 else { continue }
                page += "<tr><td>\(HTML.escape(String(decoding: parts[0], as: UTF8.self)))</td>"
                page += "<td class=\"v\">\(String(decoding: parts[1], as: UTF8.self))</td></tr>\n"
            }
            page += "</table>\n"
        }
        page += "<p><a href=\"/factory/etc?format=text\">text</a> · <a href=\"/factory/metrics\">metrics</a> · "
        page += "<a href=\"/factory/log\">log</a> · <a href=\"/factory/help\">help</a></p>\n</body></html>\n"
        var r = HTTPResponse(contentType: "text/html; charset=utf-8", text: page)
        r.headers.add("Cache-Control", "no-store")
        r.headers.add("Vary", "Accept")
        return r
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return true }
        }
        return false
    }
}
