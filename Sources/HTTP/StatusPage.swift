import Bytes

/// /factory/etc for a person: the key figures first (uptime, requests, open connections, heap, errors,
/// drops), then every section's counters in a table. Browsers ask for HTML (`Accept` names text/html);
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

    func etcHTML() -> HTTPResponse {
        let sections = statusSections()
        var all = Metrics()
        for s in sections { all.append(s.metrics) }
        func value(_ name: String) -> UInt64 { all.all.first { $0.name == Array(name.utf8) && $0.label == nil }?.value ?? 0 }
        var serverErrors: UInt64 = 0
        for m in all.all where m.name == Array("http.requests".utf8) && m.label?.value.utf8.first == UInt8(ascii: "5") {
            serverErrors += m.value
        }
        let refused = value("http.parse_errors") + value("http.request_timeouts") + value("http.forbidden_by_domain")
        let dropped = value("log.lines_dropped") + value("tcp.backlog_full") + value("tcp.syn_dropped_connection_limit")
            + value("tcp.syn_dropped_memory_limit") + value("tcp.syn_dropped_memory_pressure") + value("syslog.dropped")
            + value("eth.tx_buffer_unavailable") + value("arp.queue_full")
        let name = HTML.escape(configuration.serverName)
        var page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(name) status</title>\n"
        page += "<meta http-equiv=\"refresh\" content=\"5\">\n<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
        page += ".figs{display:flex;flex-wrap:wrap;gap:.8em}.fig{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;min-width:8em}"
        page += ".fig b{display:block;font-size:1.7em}.bad b{color:#b00}table{border-collapse:collapse}"
        page += "td{padding:1px 10px;font-family:monospace}td.v{text-align:right}tr:nth-child(odd){background:#f4f4f4}</style>\n"
        page += "</head><body><h1>\(name)</h1>\n<div class=\"figs\">\n"
        func figure(_ label: String, _ text: String, bad: Bool = false) {
            page += "<div class=\"fig\(bad ? " bad" : "")\"><b>\(text)</b>\(label)</div>\n"
        }
        figure("uptime", "\(value("uptime_seconds")) s")
        figure("requests served", "\(value("http.requests_received"))")
        figure("connections open", "\(value("tcp.connections_open"))")
        figure("heap in use / peak", "\(value("memory.heap_in_use_bytes") / 1024) / \(value("memory.heap_peak_bytes") / 1024) KiB")
        figure("5xx responses", "\(serverErrors)", bad: serverErrors > 0)
        figure("requests refused", "\(refused)", bad: refused > 0)
        figure("drops (log, TCP, ARP, NIC)", "\(dropped)", bad: dropped > 0)
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
