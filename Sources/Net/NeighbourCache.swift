import Bytes

/// IPv6 neighbours (RFC 4861 7.3): address -> MAC with the RFC's reachability states. INCOMPLETE, an
/// address being asked for by multicast, is the shared `NeighbourResolver`'s pending list (packets wait
/// in the shared `NeighbourWaitQueue`); an answer makes the entry here.
///
/// REACHABLE lasts `reachableTime` after a solicited advertisement confirmed it, then reads as STALE.
/// Sending to a STALE entry uses it at once and moves it to DELAY; after `delayFirstProbe` a DELAY
/// entry moves to PROBE, asked by unicast every `NeighbourResolver.requestInterval`, up to
/// `NeighbourResolver.maxRequests` times, then forgotten. (The RFC's upper-layer reachability hints
/// are not given: TCP knows nothing of Net.) Bounded (RFC 6583): entries are made only for neighbours
/// that address us or answer us; when full, the entry the longest unconfirmed goes.
public struct NeighbourCache {
    public static let capacity = 32
    /// RFC 4861's REACHABLE_TIME (unless a router advertises another) and DELAY_FIRST_PROBE_TIME.
    public static let reachableTime = Interval.seconds(30)
    public static let delayFirstProbe = Interval.seconds(5)

    public enum State: Equatable { case reachable, stale, delay, probe }

    public struct Entry {
        public internal(set) var address: IPv6Address
        public internal(set) var mac: MACAddress
        public internal(set) var state: State
        /// REACHABLE: when it turns STALE; DELAY: when probing starts; PROBE: the next probe.
        var deadline: Instant
        var probesSent = 0
    }

    public private(set) var entries: [Entry] = []
    /// REACHABLE's length (a router's advertised reachable time replaces it).
    var reachableTime = NeighbourCache.reachableTime

    public init() {}

    public var count: Int { entries.count }

    private func index(of address: IPv6Address) -> Int? { entries.firstIndex { $0.address == address } }

    /// The entry's state at `now` (REACHABLE past its time reads as STALE), nil when unknown.
    public func state(of address: IPv6Address, now: Instant) -> State? {
        guard let i = index(of: address) else { return nil }
        let e = entries[i]
        return e.state == .reachable && now >= e.deadline ? .stale : e.state
    }

    /// The MAC to send to, moving a STALE entry to DELAY (RFC 4861 7.3.3); nil when unknown.
    mutating func use(_ address: IPv6Address, now: Instant) -> MACAddress? {
        guard let i = index(of: address) else { return nil }
        if state(of: address, now: now) == .stale {
            entries[i].state = .delay
            entries[i].deadline = now + NeighbourCache.delayFirstProbe
        }
        return entries[i].mac
    }

    /// An advertisement's news (RFC 4861 7.2.5): `solicited` confirms reachability, `override` lets a
    /// new MAC replace the known one. Returns false when there is no entry to update.
    @discardableResult
    mutating func advertised(_ address: IPv6Address, mac: MACAddress, solicited: Bool, override: Bool,
                             now: Instant) -> Bool {
        guard let i = index(of: address) else { return false }
        let changed = entries[i].mac != mac
        if changed && !override {
            // Keep the old MAC, but stop trusting it blindly.
            if state(of: address, now: now) == .reachable { entries[i].state = .stale }
            return true
        }
        entries[i].mac = mac
        if solicited {
            confirm(i, now: now)
        } else if changed {
            entries[i].state = .stale
        }
        return true
    }

    private mutating func confirm(_ i: Int, now: Instant) {
        entries[i].state = .reachable
        entries[i].deadline = now + reachableTime
        entries[i].probesSent = 0
    }

    /// A neighbour's link-layer address from its solicitation, a router's advertisement, or the
    /// answer to our own resolution (`reachable`). A new or changed MAC makes the entry STALE (RFC
    /// 4861 7.2.3). Returns true when another entry had to be evicted.
    @discardableResult
    mutating func learn(_ address: IPv6Address, mac: MACAddress, reachable: Bool = false, now: Instant) -> Bool {
        if let i = index(of: address) {
            if reachable { entries[i].mac = mac; confirm(i, now: now) }
            else if entries[i].mac != mac { entries[i].mac = mac; entries[i].state = .stale }
            return false
        }
        var evicted = false
        if entries.count >= NeighbourCache.capacity {
            var victim = 0
            for i in entries.indices where rank(i, now: now) < rank(victim, now: now) { victim = i }
            entries.remove(at: victim)
            evicted = true
        }
        entries.append(Entry(address: address, mac: mac, state: .stale, deadline: .never))
        if reachable { confirm(entries.count - 1, now: now) }
        return evicted
    }

    /// Eviction order: an entry in PROBE first, then STALE, then the rest; the earliest deadline first.
    private func rank(_ i: Int, now: Instant) -> (Int, Instant) {
        let order: Int
        switch state(of: entries[i].address, now: now)! {
        case .probe: order = 0
        case .stale: order = 1
        case .delay: order = 2
        case .reachable: order = 3
        }
        return (order, entries[i].deadline)
    }

    /// Timers due at `now`: entries to probe by unicast, and entries that never answered their probes
    /// (forgotten; whoever sends to them resolves again).
    mutating func due(now: Instant) -> [IPv6Address] {
        var probes: [IPv6Address] = []
        for i in entries.indices where entries[i].state != .reachable && entries[i].deadline <= now {
            if entries[i].probesSent < NeighbourResolver.maxRequests {
                entries[i].state = .probe
                entries[i].probesSent += 1
                entries[i].deadline = now + NeighbourResolver.requestInterval
                probes.append(entries[i].address)
            } else {
                entries[i].deadline = .zero     // marks it for removal below
            }
        }
        entries.removeAll { $0.state == .probe && $0.deadline == .zero }
        return probes
    }

    /// The next DELAY or PROBE deadline (REACHABLE's expiry needs no wake-up: it is read lazily).
    var nextDeadline: Instant {
        entries.reduce(Instant.never) { $1.state == .reachable ? $0 : min($0, $1.deadline) }
    }

    mutating func remove(_ address: IPv6Address) { entries.removeAll { $0.address == address } }
}
