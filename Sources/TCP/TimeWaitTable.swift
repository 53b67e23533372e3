import Bytes

/// Connections in TIME-WAIT, kept as small records rather than full TCBs (their buffers are freed at
/// once): enough to re-ACK a retransmitted FIN and to keep the 4-tuple out of use for the quiet time.
struct TimeWaitEntry {
    var key: ConnectionKey
    /// Our SND.NXT and RCV.NXT at the end, for the ACKs we may still owe.
    var seq: SequenceNumber
    var rcvNxt: SequenceNumber
    var timestampsEnabled: Bool
    var timestampOffset: UInt32
    var tsRecent: UInt32
    var expires: Instant
    /// When this record last sent an ACK (at most one per `invalidAckInterval`).
    var lastAck: Instant? = nil
}

/// A bounded TIME-WAIT table: full means the entry nearest expiry is evicted (and counted).
struct TimeWaitTable {
    let capacity: Int
    let duration: Interval
    private(set) var entries: [ConnectionKey: TimeWaitEntry] = [:]
    /// No entry expires before this. Kept on insert and made exact by `expire`, so the main loop's
    /// deadline question costs nothing; removals and restarts only leave it early, which costs one
    /// extra `expire` pass at worst.
    private(set) var nextExpiry = Instant.never

    init(capacity: Int, duration: Interval) { self.capacity = capacity; self.duration = duration }

    var count: Int { entries.count }

    subscript(key: ConnectionKey) -> TimeWaitEntry? { entries[key] }

    /// Adds an entry; returns true when another had to be evicted to make room.
    mutating func insert(_ entry: TimeWaitEntry) -> Bool {
        var evicted = false
        if entries[entry.key] == nil && entries.count >= capacity {
            if let victim = entries.values.min(by: { $0.expires < $1.expires }) {
                entries[victim.key] = nil
                evicted = true
            }
        }
        guard capacity > 0 else { return evicted }
        entries[entry.key] = entry
        nextExpiry = min(nextExpiry, entry.expires)
        return evicted
    }

    mutating func remove(_ key: ConnectionKey) { entries[key] = nil }

    /// RFC 9293: a retransmitted FIN restarts the 2 MSL wait.
    mutating func restart(_ key: ConnectionKey, now: Instant) { entries[key]?.expires = now + duration }

    /// Notes an ACK about to leave for `key`; false when one left within `interval` (it is not sent):
    /// a TIME-WAIT record must not become an ACK reflector for a peer or a spoofer.
    mutating func mayAcknowledge(_ key: ConnectionKey, now: Instant, interval: Interval) -> Bool {
        guard let entry = entries[key] else { return false }
        if let last = entry.lastAck, now.since(last) < interval { return false }
        entries[key]?.lastAck = now
        return true
    }

    mutating func removeAll(where predicate: (TimeWaitEntry) -> Bool) {
        for entry in entries.values where predicate(entry) { entries[entry.key] = nil }
    }

    mutating func expire(now: Instant) {
        removeAll { $0.expires <= now }
        nextExpiry = entries.values.reduce(Instant.never) { min($0, $1.expires) }
    }
}
