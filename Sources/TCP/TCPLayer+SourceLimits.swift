import Bytes

/// Per-source limits (issue 16; a source is an IPv4 address or an IPv6 /64, `sourceKey`): while the table is contended, one address may hold at most
/// `maximumConnectionsPerSource` connections, at most `maximumHalfOpenPerSource` of them half-open, and
/// open new ones at `newConnectionsPerSourcePerSecond` (`SourceRateLimiter`). Counted at creation,
/// establishment and end; checked before a SYN or a cookie's ACK makes a connection (the rate on SYNs
/// only: a cookie's ACK answers a SYN that was counted).
extension TCPLayer {
    /// The source a per-source limit counts: an IPv4 address itself, an IPv6 address its /64. An IPv6
    /// host is handed a whole /64 (SLAAC's 64-bit interface identifiers, RFC 4291 2.5.1) and may send
    /// from any address in it at no cost, so per-address counts would give one attacker 2^64 shares;
    /// the /64 is what it cannot multiply cheaply. Every per-source table is keyed by this (one copy,
    /// not inlined at each of its seven uses: -Osize).
    @inline(never)
    static func sourceKey(_ address: IPAddress) -> IPAddress {
        address.isIPv4 ? address : IPAddress(IPv6Address(high: address.bits.high, low: 0))
    }

    /// Half the table or half the buffer budget in use, or memory pressure: from here on every address
    /// is held to its share, so room stays for others before any limit is reached.
    var isContended: Bool {
        connectionCount * 2 >= configuration.maximumConnections || memoryInUse * 2 >= configuration.maximumMemory
            || memoryPressure()
    }

    /// True (and counted) when `source` already holds its share of a contended table; `halfOpen`: the
    /// new connection would be half-open (a SYN; a cookie's ACK makes an established one).
    func refusedForSource(_ address: IPAddress, halfOpen: Bool) -> Bool {
        guard isContended else { return false }
        let source = TCPLayer.sourceKey(address)
        let count = sources[source] ?? SourceCount()
        if count.connections >= configuration.maximumConnectionsPerSource {
            counters.synDroppedSourceLimit += 1
            return true
        }
        if halfOpen && count.halfOpen >= configuration.maximumHalfOpenPerSource {
            counters.synDroppedSourceHalfOpenLimit += 1
            return true
        }
        return false
    }

    /// True (and counted) when a SYN from `source` to `listener` is over the address's rate of new
    /// connections while that is enforced: the table is contended, or a SYN met a full backlog within
    /// `sourceRateWindow` (connections arrive faster than they are served; a busy client alone, within
    /// the backlog, never causes that). Every SYN takes a token, enforced or not, so an address that
    /// has been opening connections fast has none left when enforcement begins.
    func synOverRate(_ source: IPAddress, listener: Listener, now: Instant) -> Bool {
        if listener.isFull { lastBacklogOverflow = now }
        let admitted = sourceRates.admits(TCPLayer.sourceKey(source), now: now)
        let enforced = isContended || lastBacklogOverflow.map { now.since($0) < configuration.sourceRateWindow } ?? false
        guard enforced && !admitted else { return false }
        counters.synDroppedSourceRate += 1
        return true
    }

    /// Adds to the counts of `address`'s source: connections made (+1) or given back (-1), passive ones
    /// entering (+1) or leaving (-1) SYN-RECEIVED. One hash lookup (the table's entry is changed in
    /// place, and dropped when both reach zero): a connection's life counts three times, where two tables
    /// with a read and a write each had cost it seven lookups.
    func countSource(_ address: IPAddress, connections: Int = 0, halfOpen: Int = 0) {
        TCPLayer.add(connections: connections, halfOpen: halfOpen, to: &sources[TCPLayer.sourceKey(address)])
    }

    private static func add(connections: Int, halfOpen: Int, to entry: inout SourceCount?) {
        var count = entry ?? SourceCount()
        count.connections += connections
        count.halfOpen += halfOpen
        entry = count.connections > 0 || count.halfOpen > 0 ? count : nil
    }

    /// Connections `address`'s source holds now, and how many of them are half-open.
    func connections(from address: IPAddress) -> Int { sources[TCPLayer.sourceKey(address)]?.connections ?? 0 }
    func halfOpen(from address: IPAddress) -> Int { sources[TCPLayer.sourceKey(address)]?.halfOpen ?? 0 }
}

/// What one source holds (see `TCPLayer.sources`).
struct SourceCount {
    var connections = 0
    var halfOpen = 0
}
