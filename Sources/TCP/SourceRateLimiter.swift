import Bytes

/// New connections per remote address (issue 16), as token buckets in a small fixed table: caps on the
/// connections an address holds do not bound how fast it opens them, and an attacker whose requests are
/// answered and closed at once (405 at the head) reconnects as fast as the CPU answers, taking it from
/// everyone else. So while the table is contended or the backlog overflows (`TCPLayer.synOverRate`),
/// each address may open `newConnectionsPerSourcePerSecond` a second after a burst of
/// `newConnectionBurstPerSource`; a SYN beyond that is dropped silently before any cookie or slot is
/// spent, and the client's SYN retransmission tries again later.
///
/// The table has `ways`-entry sets chosen by a keyed hash of the address (an attacker cannot aim its
/// addresses at one set to push others out); an address not in its set takes the place of the entry
/// whose bucket is fullest, since forgetting a full bucket changes nothing: it would start full again.
struct SourceRateLimiter {
    private struct Entry {
        var address: IPAddress
        var bucket: TokenBucket
    }
    private var entries: [Entry?]
    private let hash: SipHash24
    private let burst: Int
    private let refillInterval: Interval

    /// Entries per set: an address looks at only these, and they share out its set's places.
    static let ways = 4

    init(configuration: TCPConfiguration, hash: SipHash24) {
        let sets = max(1, configuration.sourceRateTableSize / SourceRateLimiter.ways)
        entries = Array(repeating: nil, count: sets * SourceRateLimiter.ways)
        self.hash = hash
        burst = max(1, configuration.newConnectionBurstPerSource)
        refillInterval = Interval(nanoseconds: 1_000_000_000 / UInt64(max(1, configuration.newConnectionsPerSourcePerSecond)))
    }

    /// Takes one of `source`'s tokens at `now`; false when it has none left.
    mutating func admits(_ source: IPAddress, now: Instant) -> Bool {
        let first = set(of: source) * SourceRateLimiter.ways
        var place = first
        var fullest = -1
        for index in first..<first + SourceRateLimiter.ways {
            guard var entry = entries[index] else {
                if fullest < burst { place = index; fullest = burst }
                continue
            }
            if entry.address == source {
                let taken = entry.bucket.take(now: now)
                entries[index] = entry
                return taken
            }
            let tokens = entry.bucket.available(now: now)
            entries[index] = entry
            if tokens > fullest { place = index; fullest = tokens }
        }
        var bucket = TokenBucket(capacity: burst, refillInterval: refillInterval, now: now)
        let taken = bucket.take(now: now)
        entries[place] = Entry(address: source, bucket: bucket)
        return taken
    }

    private func set(of address: IPAddress) -> Int {
        // The whole address, of either family, on the stack: this runs for every SYN.
        let h = withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { raw in
            let view = MutableByteView(raw)
            address.bits.write(to: view, at: 0)
            return hash.hash(view.readOnly)
        }
        return Int(h % UInt64(entries.count / SourceRateLimiter.ways))
    }
}
