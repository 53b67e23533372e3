import Bytes

/// Resolved neighbours: IPv4 address -> MAC, each entry valid for `entryLifetime` after it was last
/// confirmed. Bounded: when full, expired entries go first, then the one closest to expiry. A small
/// array, scanned linearly, keeps iteration order deterministic and memory fixed.
public struct ARPCache {
    public static let capacity = 32
    /// How long an answer is trusted before the neighbour is asked again (Linux's reachable time is
    /// 15-45 s, BSD's 20 min; a minute keeps a moved address from black-holing traffic for long).
    public static let entryLifetime = Interval.seconds(60)
    /// An entry in use this close to expiry is re-asked while still used, so a busy flow never stalls
    /// behind a fresh resolution when the entry lapses.
    public static let refreshWindow = Interval.seconds(5)

    /// One neighbour, readable for a console `arp` listing.
    public struct Entry {
        public internal(set) var address: IPv4Address
        public internal(set) var mac: MACAddress
        public internal(set) var expires: Instant
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public var count: Int { entries.count }

    /// The MAC for `address`, or nil when it is unknown or its entry has expired.
    public func lookup(_ address: IPv4Address, now: Instant) -> MACAddress? {
        for e in entries where e.address == address { return now < e.expires ? e.mac : nil }
        return nil
    }

    /// True when `address` is cached but lapses within `refreshWindow`.
    public func expiresSoon(_ address: IPv4Address, now: Instant) -> Bool {
        for e in entries where e.address == address { return now + ARPCache.refreshWindow >= e.expires }
        return false
    }

    /// True when an entry (even an expired one) exists: RFC 826's "merge" updates only known senders.
    public func contains(_ address: IPv4Address) -> Bool {
        entries.contains { $0.address == address }
    }

    /// Adds or refreshes `address`. Returns true when another entry had to be evicted to make room.
    @discardableResult
    public mutating func insert(_ address: IPv4Address, mac: MACAddress, now: Instant) -> Bool {
        let expires = now + ARPCache.entryLifetime
        if let i = entries.firstIndex(where: { $0.address == address }) {
            entries[i].mac = mac
            entries[i].expires = expires
            return false
        }
        var evicted = false
        if entries.count >= ARPCache.capacity {
            entries.removeAll { $0.expires <= now }
            if entries.count >= ARPCache.capacity, let oldest = indexOfEarliestExpiry() {
                entries.remove(at: oldest)
                evicted = true
            }
        }
        entries.append(Entry(address: address, mac: mac, expires: expires))
        return evicted
    }

    private func indexOfEarliestExpiry() -> Int? {
        var best: Int? = nil
        for i in entries.indices where best.map({ entries[i].expires < entries[$0].expires }) ?? true { best = i }
        return best
    }
}
