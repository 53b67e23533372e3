import Bytes

/// The built-in pages after the Daylight toolkit: /factory/etc (live status), /factory/help,
/// /factory/health (for load balancers), /factory/log (the console's recent lines, when the appliance
/// provides them), /factory/image (the logo), and the welcome page served at "/" when no document root is attached. A route on
/// the same path overrides a page; the loop callback (`onLoop`) may override, deny or hand back a page
/// per request; `configuration.factoryPages = false` denies them (they then fall through to the
/// document root like any path).
extension HTTPServer {
    static let factoryEtc: [UInt8] = Array("/factory/etc".utf8)
    static let factoryHelp: [UInt8] = Array("/factory/help".utf8)
    static let factoryHealth: [UInt8] = Array("/factory/health".utf8)
    static let factoryLog: [UInt8] = Array("/factory/log".utf8)
    static let factoryMetrics: [UInt8] = Array("/factory/metrics".utf8)
    static let factoryImage: [UInt8] = Array("/factory/image".utf8)
    /// The appliance's logo (Daylight's /factory/image), 64x64 SVG: a white swift on an orange tile.
    static let logo: [UInt8] = Array(("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" width=\"64\" height=\"64\">"
        + "<rect width=\"64\" height=\"64\" rx=\"12\" fill=\"#f05138\"/><path fill=\"#fff\" d=\"M12 40c11 9 27 9 38-1"
        + "-7 2-15-1-23-8 6 3 11 3 13 1C32 28 25 21 20 14c4 7 10 13 15 16-7-3-13-8-19-14 5 9 11 15 18 19-8 2-15 0-22-5z\"/></svg>\n").utf8)

    func factoryPage(_ request: HTTPRequest, now: Instant) -> (() -> HTTPResponse)? {
        let path = request.path
        if path == HTTPServer.factoryEtc {
            return wantsHTMLStatus(request) ? { self.etcHTML(now: now) } : { self.etcPage() }
        }
        if path == HTTPServer.factoryHelp { return { self.helpPage() } }
        if path == HTTPServer.factoryHealth { return { self.healthPage() } }
        if path == HTTPServer.factoryMetrics { return { self.metricsPage() } }
        if path == HTTPServer.factoryImage {
            return { HTTPResponse(headers: HTTPHeaders([("Content-Type", "image/svg+xml"), ("Cache-Control", "max-age=86400")]),
                                  body: .bytes(HTTPServer.logo)) }
        }
        if path == HTTPServer.factoryLog, let recentLog { return { HTTPServer.plain(recentLog()) } }
        return nil
    }

    /// `200 ok` while serving, `503 draining` once the appliance is going away, so a load balancer
    /// stops sending before connections are refused.
    private func healthPage() -> HTTPResponse {
        switch health {
        case .serving: return HTTPServer.plain(Array("ok\n".utf8))
        case .draining:
            var r = HTTPServer.plain(Array("draining\n".utf8))
            r.status = .serviceUnavailable
            return r
        }
    }

    /// Every metric of every section in the Prometheus text format, names prefixed `appliance_`.
    private func metricsPage() -> HTTPResponse {
        var all = statusMetrics()
        for (_, metrics) in statusProviders { all.append(metrics()) }
        return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4"),
                                                              ("Cache-Control", "no-store")]),
                            body: .bytes(all.prometheus(prefix: "appliance_")))
    }

    /// Live text, never cached.
    private static func plain(_ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"),
                                                        ("Cache-Control", "no-store")]),
                     body: .bytes(body))
    }

    private func etcPage() -> HTTPResponse {
        let text = String { s in   // a byte sink: interpolated, this page cost the image 1.8 KB more
            s.putText(configuration.serverName); s.put(" status\n")
            for (title, metrics) in statusSections() {
                s.put("\n["); s.putText(title); s.put("]\n")
                for l in metrics.lines { s.put("  "); s.putText(l); s.put("\n") }
            }
        }
        var r = HTTPResponse(contentType: "text/plain; charset=utf-8", text: text)
        r.headers.add("Cache-Control", "no-store")
        return r
    }

    private func helpPage() -> HTTPResponse {
        // Written into a byte sink: the same text built by String interpolation and concatenation
        // cost the image about 3.9 KB more.
        let text = String { s in
            s.putText(configuration.serverName); s.put(" help\n\n")
            s.put("This appliance serves HTTP/1.1 on port "); s.putDecimal(UInt64(configuration.port)); s.put(".\n")
            s.put(fileSystem == nil ? "No document root is attached: / shows a welcome page.\n"
                                    : "Files come from the attached read-only document root (index.html for directories).\n")
            s.put("\nBuilt-in pages:\n  /factory/etc     live status, charts of the last minutes, counters (HTML for browsers; ?format=text)\n  /factory/help    this page\n")
            s.put("  /factory/health 200 while serving, 503 while draining (not access-logged)\n")
            s.put("  /factory/metrics every counter, Prometheus text format 0.0.4\n  /factory/image  the logo (SVG)\n")
            if recentLog != nil { s.put("  /factory/log    the console's most recent lines\n") }
            if !router.routes.isEmpty {
                s.put("\nApplication routes:\n")
                for r in router.routes {
                    s.put("  "); s.putText(r.method.name); s.put(" "); s.putText(String(decoding: r.path, as: UTF8.self))
                    if r.match == .prefix { s.put(" (and below)") }
                    if r.auth != nil { s.put(" [login]") }
                    s.put("\n")
                }
            }
            s.put("\nConfiguration (kernel command line):\n")
            s.put("  http.domain=any | PREFIX[,PREFIX...] (A.B.C.D/N, X:X::/N)   clients served (now: ")
            s.putText(configuration.domain.text); s.put(")\n")
            s.put("  http.dotfiles=allow | deny                  paths with a segment starting with \".\" (now: ")
            s.put(configuration.serveDotFiles ? "allow" : "deny, 404"); s.put(")\n")
            for l in helpText { s.putText(l); s.put("\n") }
        }
        return HTTPResponse(contentType: "text/plain; charset=utf-8", text: text)
    }

    func welcomePage() -> HTTPResponse {
        let name = HTML.escape(configuration.serverName)
        let page = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(name)</title></head>
            <body><h1>It works.</h1>
            <p>\(name) is running: a unikernel serving HTTP from its own TCP/IP stack.</p>
            <p>No document root is attached. See <a href="/factory/help">/factory/help</a> and
            <a href="/factory/etc">/factory/etc</a>.</p>
            </body></html>

            """
        return HTTPResponse(contentType: "text/html; charset=utf-8", text: page)
    }

    /// The server's own section of /factory/etc and /factory/metrics: its configuration as notes, then
    /// its counters.
    public func statusMetrics() -> Metrics {
        var m = Metrics()
        let c2 = configuration, l = configuration.limits
        // Written into byte sinks: these three lines as String interpolations cost the image about 4 KB.
        let attached = fileSystem != nil
        m.note(String { s in
            s.put("config: port "); s.putDecimal(UInt64(c2.port))
            s.put(", domain "); s.putText(c2.domain.text)
            s.put(", factory pages "); s.put(c2.factoryPages ? "on" : "off")
            s.put(", dotfiles "); s.put(c2.serveDotFiles ? "served" : "404")
            s.put(", document root "); s.put(attached ? "attached" : "none")
        })
        m.note(String { s in
            s.put("limits: request line "); s.putInteger(l.maxRequestLine)
            s.put(", header bytes "); s.putInteger(l.maxHeaderBytes)
            s.put(", fields "); s.putInteger(l.maxHeaderCount)
            s.put(", body "); s.putInteger(l.maxBodyBytes)
            s.put(", requests/connection "); s.putInteger(c2.maxRequestsPerConnection)
        })
        m.note(String { s in
            s.put("timeouts (ms): keep-alive "); s.putDecimal(c2.keepAliveTimeout.milliseconds)
            s.put(", request "); s.putDecimal(c2.requestHeadRate.initial.milliseconds)
            s.put(", content "); s.putDecimal(c2.requestBodyRate.initial.milliseconds)
            s.put(", response "); s.putDecimal(c2.sendRate.initial.milliseconds)
            s.put(", each +1 s per "); s.putDecimal(c2.sendRate.bytesPerSecond); s.put(" B")
        })
        m.gauge("http.content_budget_bytes", UInt64(bodyBudget.limit), help: "Bytes of request content all connections may hold at once")
        m.gauge("http.content_bytes_in_use", UInt64(bodyBudget.inUse))
        m.gauge("http.content_bytes_peak", UInt64(bodyBudget.peak))
        m.append(counters.metrics)
        return m
    }
}
