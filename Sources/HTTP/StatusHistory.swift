import Bytes

/// The figures at the top of /factory/etc, picked from the metrics by name: one definition for the
/// page's figures and for the samples its charts draw.
struct KeyFigures {
    var uptimeSeconds: UInt64 = 0
    var requests: UInt64 = 0
    var connections: UInt64 = 0
    var heapInUse: UInt64 = 0
    var heapPeak: UInt64 = 0
    /// Responses 500-599.
    var serverErrors: UInt64 = 0
    /// Requests refused before any handler: unparseable, too slow, outside the service domain.
    var refused: UInt64 = 0
    /// Lines, segments and frames dropped at a limit.
    var dropped: UInt64 = 0

    static let refusedNames = ["http.parse_errors", "http.request_timeouts", "http.forbidden_by_domain"]
    static let droppedNames = ["log.lines_dropped", "tcp.backlog_full", "tcp.syn_dropped_connection_limit",
                               "tcp.syn_dropped_memory_limit", "tcp.syn_dropped_memory_pressure", "syslog.dropped",
                               "eth.tx_buffer_unavailable", "arp.queue_full"]

    init(_ all: Metrics) {
        // Each name is made bytes once, not once per metric compared (that was thousands of
        // allocations a second, on a pass of the main loop that also serves requests).
        func value(_ name: String) -> UInt64 {
            let key = Array(name.utf8)
            return all.all.first { $0.name == key && $0.label == nil }?.value ?? 0
        }
        uptimeSeconds = value("uptime_seconds")
        requests = value("http.requests_received")
        connections = value("tcp.connections_open")
        heapInUse = value("memory.heap_in_use_bytes")
        heapPeak = value("memory.heap_peak_bytes")
        let responses = Array("http.requests".utf8)
        for m in all.all where m.name == responses && m.label?.value.utf8.first == UInt8(ascii: "5") {
            serverErrors += m.value
        }
        for name in KeyFigures.refusedNames { refused += value(name) }
        for name in KeyFigures.droppedNames { dropped += value(name) }
    }

    /// Everything that went wrong, for the errors-and-drops chart.
    var problems: UInt64 { serverErrors + refused + dropped }
}

/// The charts of /factory/etc: the key figures sampled into a `SecondRing` once a second, by the first
/// pass of the main loop in each second (`HTTPServer.sampleHistory`) or the status page itself. Never on
/// a timer of its own: an idle appliance is not woken to sample (see SecondRing for why the seconds it
/// slept through are still right).
public struct StatusHistory {
    /// Seconds kept and drawn: the last five minutes.
    public static let seconds = 300

    /// The sampled series, in ring order. `perSecond`: a counter, drawn as its increase per second.
    static let charts: [(title: String, perSecond: Bool, unit: UInt64)] = [
        ("requests / s", true, 1), ("connections open", false, 1), ("heap in use, KiB", false, 1024),
        ("errors and drops / s", true, 1)]

    public private(set) var ring = SecondRing(capacity: StatusHistory.seconds, series: StatusHistory.charts.count)

    public init() {}

    mutating func record(_ figures: KeyFigures, at now: Instant) {
        ring.record([figures.requests, figures.connections, figures.heapInUse, figures.problems], at: now)
    }

    /// Chart `index`'s points, oldest first: increases per second for counters, values for gauges.
    func points(_ index: Int) -> [UInt64] {
        let unit = StatusHistory.charts[index].unit
        return StatusHistory.charts[index].perSecond ? ring.increases(index) : ring.series(index).map { $0 / unit }
    }
}

extension HTTPServer {
    /// Samples the key figures if the second before `now`'s has no sample yet (a comparison when it
    /// has). The main loop calls it at the start of every pass, before any work (see SecondRing).
    public func sampleHistory(now: Instant) {
        guard now >= history.ring.nextDue else { return }
        var all = Metrics()
        for s in statusSections() { all.append(s.metrics) }
        history.record(KeyFigures(all), at: now)
    }
}
