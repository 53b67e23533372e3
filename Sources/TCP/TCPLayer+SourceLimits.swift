import Bytes

/// Per-source-address limits (issue 16): while the table is contended, one address may hold at most
/// `maximumConnectionsPerSource` connections, at most `maximumHalfOpenPerSource` of them half-open, and
/// open new ones at `newConnectionsPerSourcePerSecond` (`SourceRateLimiter`). Counted at creation,
/// establishment and end; checked before a SYN or a cookie's ACK makes a connection (the rate on SYNs
/// only: a cookie's ACK answers a SYN that was counted).
extension TCPLayer {
    /// Half the table or half the buffer budget in use, or memory pressure: from here on every address
    /// is held to its share, so room stays for others before any limit is reached.
    var isContended: Bool {
        connectionCount * 2 >= configuration.maximumConnections || memoryInUse * 2 >= configuration.maximumMemory
            || memoryPressure()
    }

    /// True (and counted) when `source` already holds its share of a contended table; `halfOpen`: the
    /// new connection would be half-open (a SYN; a cookie's ACK makes an established one).
    func refusedForSource(_ source: IPAddress, halfOpen: Bool) -> Bool {
        guard isContended else { return false }
        if connectionsBySource[source, default: 0] >= configuration.maximumConnectionsPerSource {
            counters.synDroppedSourceLimit += 1
            return true
        }
        if halfOpen && halfOpenBySource[source, default: 0] >= configuration.maximumHalfOpenPerSource {
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
        let admitted = sourceRates.admits(source, now: now)
        let enforced = isContended || lastBacklogOverflow.map { now.since($0) < configuration.sourceRateWindow } ?? false
        guard enforced && !admitted else { return false }
        counters.synDroppedSourceRate += 1
        return true
    }

    /// A passive connection from `source` entered (+1) or left (-1) SYN-RECEIVED.
    func countHalfOpen(_ source: IPAddress, _ delta: Int) {
        let count = halfOpenBySource[source, default: 0] + delta
        halfOpenBySource[source] = count > 0 ? count : nil
    }
}
