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
    /// Set by the table on insert: now + its duration.
    var expires: Instant = .never
    /// When this record last sent an ACK (at most one per `invalidAckInterval`).
    var lastAck: Instant? = nil
}

/// A bounded TIME-WAIT table: full means the oldest entry, the one nearest expiry, is evicted (and
/// counted).
///
/// Entries are found by key in a dictionary and kept in order of expiry in a queue beside it, so that
/// eviction and expiry take the front instead of scanning every entry: under a stream of `Connection:
/// close` requests the table is always full and every close evicts, and a scan of the 256 entries was a
/// twentieth of each connection's instructions. The table sets every expiry itself, now + `duration`
/// (a restart too), so records are only ever appended. The queue may hold stale records (an entry removed,
/// restarted or replaced since); they are skipped when they reach the front, and dropped when they
/// outnumber the entries, so a peer repeating its FIN cannot grow the queue.
struct TimeWaitTable {
    let capacity: Int
    let duration: Interval
    private(set) var entries: [ConnectionKey: TimeWaitEntry] = [:]
    /// (key, expiry) in order of expiry from `head` on; a record is live while its entry expires then.
    private var order: [(key: ConnectionKey, expires: Instant)] = []
    private var head = 0
    /// Records queued, live and stale: what compaction keeps within a bound.
    var queuedRecords: Int { order.count - head }

    init(capacity: Int, duration: Interval) { self.capacity = capacity; self.duration = duration }

    var count: Int { entries.count }

    /// No entry expires before this: the front record's expiry, which is exact unless that record is
    /// stale (then early, which costs one `expire` pass that drops it).
    var nextExpiry: Instant { head < order.count ? order[head].expires : .never }

    subscript(key: ConnectionKey) -> TimeWaitEntry? { entries[key] }

    /// Adds an entry that expires at `now` + `duration`; returns true when another had to be evicted to
    /// make room. A full table evicts without first asking whether `entry`'s key is already in it (a
    /// key leaves TIME-WAIT before it can enter again, so it is not): two hash lookups a close, where
    /// asking first and then evicting had taken four.
    mutating func insert(_ entry: TimeWaitEntry, now: Instant) -> Bool {
        guard capacity > 0 else { return false }
        let evicted = entries.count >= capacity && removeOldest()
        var entry = entry
        entry.expires = now + duration
        entries[entry.key] = entry
        enqueue(entry.key, expires: entry.expires)
        return evicted
    }

    mutating func remove(_ key: ConnectionKey) { entries[key] = nil }

    /// RFC 9293: a retransmitted FIN restarts the 2 MSL wait.
    mutating func restart(_ key: ConnectionKey, now: Instant) {
        guard let expires = entries[key]?.expires, expires != now + duration else { return }
        entries[key]?.expires = now + duration
        enqueue(key, expires: now + duration)
    }

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
        while head < order.count && order[head].expires <= now {
            let record = order[head]
            head += 1
            removeIfLive(record)
        }
        compact()
    }

    /// Removes the entry `record` is the live record of, in one lookup; false when it is stale (its
    /// entry gone, or restarted since: then it stays).
    @discardableResult
    private mutating func removeIfLive(_ record: (key: ConnectionKey, expires: Instant)) -> Bool {
        guard let entry = entries.removeValue(forKey: record.key) else { return false }
        if entry.expires == record.expires { return true }
        entries[record.key] = entry
        return false
    }

    private func isLive(_ record: (key: ConnectionKey, expires: Instant)) -> Bool {
        entries[record.key]?.expires == record.expires
    }

    /// Takes records off the front until a live one, and removes its entry: the oldest. False: no entries.
    private mutating func removeOldest() -> Bool {
        while head < order.count {
            let record = order[head]
            head += 1
            if removeIfLive(record) { return true }
        }
        return false
    }

    private mutating func enqueue(_ key: ConnectionKey, expires: Instant) {
        order.append((key, expires))
        compact()
    }

    /// Once stale records outnumber the entries, keeps only the live records, in order; once the
    /// consumed front is most of the array, drops it (no lookups: under a stream of closes the table
    /// is full, each close consumes one record, and sorting out the live ones then too had cost a
    /// lookup a close). Both amortised over the appends and removals that made the rest.
    private mutating func compact() {
        let queued = order.count - head
        if queued > 2 * entries.count + 16 {
            var kept = 0
            for i in head..<order.count where isLive(order[i]) {
                order[kept] = order[i]
                kept += 1
            }
            order.removeLast(order.count - kept)
            head = 0
        } else if head > 16 && head > queued {
            order.removeFirst(head)
            head = 0
        }
    }
}
