import Bytes
import Net
import HTTP

/// Remote syslog (`syslog=ADDR[:PORT]`): every log line, access-log lines included, as an RFC 5424
/// message in its own UDP datagram (RFC 5426) to the collector. Lines are formatted when logged (their
/// own timestamp) into a bounded queue and sent in batches from the main loop; a full queue drops the
/// new line (counted), a collector that never answers ARP costs the ARP layer's counted drops. Nothing
/// waits for the network inside request handling.
///
///   <PRI>1 2026-12-03T10:20:30.123456Z 192.100.200.100 appliance - access - 10.0.0.2 - - [...] "GET / ..." 200 12
///
/// PRI: facility local0 (16) * 8 + severity (error 3, warn 4, info 6, debug 7). HOSTNAME: the
/// appliance's IPv4 address ("-" while it has none). APP-NAME "appliance"; MSGID "access" for access-log
/// lines, "system" for everything else; no PROCID, no structured data.
public final class SyslogSender<NIC: NetworkInterface> {
    public static var defaultPort: UInt16 { 514 }
    /// local0: facilities 16-23 are the ones left to local use.
    public static var facility: UInt8 { 16 }
    /// Messages waiting at most; more are dropped and counted.
    public static var maximumQueued: Int { 512 }
    /// Datagrams sent per main-loop pass at most.
    public static var batchPerPoll: Int { 32 }
    /// Longest message text sent (RFC 5426 receivers must take 480 bytes and should take 2048).
    public static var maximumMessageBytes: Int { 1024 }

    public let collector: Endpoint
    private let socket: UDPSocket
    private var queue: [[UInt8]] = []
    private var head = 0
    public private(set) var sent: UInt64 = 0
    public private(set) var dropped: UInt64 = 0
    public private(set) var sendFailures: UInt64 = 0

    /// The local port datagrams leave from.
    public static var sourcePort: UInt16 { 514 }

    public init(interface: Interface<NIC>, collector: Endpoint) throws(UDPSocketTable.BindError) {
        self.collector = collector
        socket = try interface.bindUDP(port: SyslogSender.sourcePort)
    }

    public var hasBacklog: Bool { head < queue.count }

    public func enqueue(_ message: [UInt8]) {
        guard queue.count - head < SyslogSender.maximumQueued else { dropped += 1; return }
        queue.append(message)
    }

    public func poll(interface: Interface<NIC>, now: Instant) {
        var budget = SyslogSender.batchPerPoll
        while budget > 0, head < queue.count {
            budget -= 1
            let result = queue[head].withByteView { interface.sendUDP(from: socket, to: collector, payload: $0, now: now) }
            if result == .sent || result == .queuedForARP { sent += 1 } else { sendFailures += 1 }
            head += 1
        }
        if head == queue.count { queue.removeAll(keepingCapacity: true); head = 0 }
    }

    public var metrics: Metrics {
        var m = Metrics()
        m.counter("syslog.sent", sent, help: "Syslog datagrams sent")
        m.counter("syslog.dropped", dropped, help: "Log lines not sent to syslog: the queue was full")
        m.counter("syslog.send_failures", sendFailures, help: "Syslog datagrams the interface could not send")
        return m
    }
}

/// RFC 5424 formatting, apart from any socket so every level and edge is tested hosted.
public enum Syslog5424 {
    public static func severity(_ level: BootConfig.LogLevel) -> UInt8 {
        switch level {
        case .error: return 3
        case .warn: return 4
        case .info: return 6
        case .debug: return 7
        }
    }

    /// One message. `unixMicroseconds`: the wall-clock time of the line; `host`: HOSTNAME, "-" if empty.
    public static func format(level: BootConfig.LogLevel, access: Bool, unixMicroseconds: UInt64, host: [UInt8],
                              message: [UInt8], facility: UInt8 = 16, maximumMessageBytes: Int = 1024) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(80 + Swift.min(message.count, maximumMessageBytes))
        out.put(UInt8(ascii: "<"))
        out.putDecimal(UInt64(facility) * 8 + UInt64(severity(level)))
        out.put(">1 ")
        let seconds = unixMicroseconds / 1_000_000
        let (y, mo, d) = CivilDate.fromDays(Int64(seconds / 86_400))
        let s = seconds % 86_400
        out.putDecimal(UInt64(y), width: 4, pad: UInt8(ascii: "0")); out.put(UInt8(ascii: "-"))
        out.putDecimal(UInt64(mo), width: 2, pad: UInt8(ascii: "0")); out.put(UInt8(ascii: "-"))
        out.putDecimal(UInt64(d), width: 2, pad: UInt8(ascii: "0")); out.put(UInt8(ascii: "T"))
        out.putDecimal(s / 3600, width: 2, pad: UInt8(ascii: "0")); out.put(UInt8(ascii: ":"))
        out.putDecimal(s / 60 % 60, width: 2, pad: UInt8(ascii: "0")); out.put(UInt8(ascii: ":"))
        out.putDecimal(s % 60, width: 2, pad: UInt8(ascii: "0")); out.put(UInt8(ascii: "."))
        out.putDecimal(unixMicroseconds % 1_000_000, width: 6, pad: UInt8(ascii: "0")); out.put("Z ")
        if host.isEmpty { out.put(UInt8(ascii: "-")) } else { out += host.prefix(255) }
        out.put(access ? " appliance - access - " : " appliance - system - ")
        out += message.prefix(maximumMessageBytes)
        return out
    }
}
