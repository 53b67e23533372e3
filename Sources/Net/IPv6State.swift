import Bytes

/// Named limits of the IPv6 side of `Interface` (RFC 6583: everything a neighbour can make us keep is
/// bounded), and RFC 4861/4862/3810's protocol constants.
public enum IPv6Limits {
    /// The link-local address, a static `ip6=`, and autoconfigured ones.
    public static let addresses = 4
    /// On-link prefixes learnt from router advertisements (plus a static one).
    public static let prefixes = 4
    public static let routers = 3
    /// RFC 4862's DupAddrDetectTransmits and RFC 4861's RETRANS_TIMER.
    public static let dadTransmits = 1
    public static let retransTimer = Interval.seconds(1)
    /// RFC 4861 10: MAX_RTR_SOLICITATION_DELAY, RTR_SOLICITATION_INTERVAL, MAX_RTR_SOLICITATIONS.
    public static let maxSolicitationDelay = Interval.seconds(1)
    public static let solicitationInterval = Interval.seconds(4)
    public static let solicitations = 3
    /// RFC 3810 9: the robustness variable (reports of a change are sent this many times) and the
    /// unsolicited report interval; a query's answer waits at most `maxQueryResponseDelay`.
    public static let mldRobustness = 2
    public static let mldReportInterval = Interval.seconds(1)
    public static let maxQueryResponseDelay = Interval.seconds(10)
    /// RFC 4862 5.5.3 e): an advertisement cannot cut a prefix's valid lifetime below two hours.
    public static let twoHours = Interval.seconds(7200)
    /// Longest reachable time a router may set (RFC 4861 6.2.1's MAX of 3,600,000 ms).
    public static let maxReachableTime = Interval.seconds(3600)
}

/// One of our IPv6 addresses.
public struct IPv6AddressEntry: Equatable {
    /// RFC 4862 states: tentative during duplicate address detection; preferred, then deprecated when
    /// its preferred lifetime ends (still ours, no longer chosen as a source); duplicate: never used.
    public enum State: Int { case tentative, preferred, deprecated, duplicate }
    public enum Origin: Int { case linkLocal, manual, autoconfigured }

    public internal(set) var address: IPv6Address
    public internal(set) var prefixLength: Int
    public internal(set) var state: State
    public let origin: Origin
    public internal(set) var validUntil: Instant
    public internal(set) var preferredUntil: Instant
    var solicitationsSent = 0
    /// Tentative: the next DAD step (a solicitation, or the end of the wait).
    var nextStep: Instant

    public var isUsable: Bool { state == .preferred || state == .deprecated }
}

/// A prefix on the link, or a default router, until `until`.
public struct IPv6Timed: Equatable {
    public internal(set) var address: IPv6Address
    public internal(set) var prefixLength: Int
    public internal(set) var until: Instant
}

/// Everything the interface keeps for IPv6. The timers here (DAD, router solicitation, MLD reports,
/// lifetimes) run from the interface's poll; `nextDeadline` is the earliest.
public struct IPv6State {
    public internal(set) var addresses: [IPv6AddressEntry] = []
    public internal(set) var prefixes: [IPv6Timed] = []
    public internal(set) var routers: [IPv6Timed] = []
    public internal(set) var neighbours = NeighbourCache()
    /// Bumped whenever an address changes state, appears or goes (for whoever reports it).
    public internal(set) var generation: UInt64 = 0
    var resolver = NeighbourResolver()
    var waitQueue = NeighbourWaitQueue()
    var hopLimit = IPv6Packet.defaultHopLimit
    var random: SplitMix64
    var solicitationsLeft = 0
    var nextSolicitation = Instant.never
    var reportsLeft = 0
    var nextReport = Instant.never
    /// The pending report answers a query (current state) rather than announcing a change.
    var reportAnswersQuery = false
    var errorLimiter = TokenBucket(capacity: InterfaceLimits.icmpErrorBurst, refillInterval: InterfaceLimits.icmpErrorInterval)

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// A uniform delay in 0..<`bound`, to the millisecond.
    mutating func randomDelay(below bound: Interval) -> Interval {
        .milliseconds(random.next(below: max(1, bound.milliseconds)))
    }

    func entry(_ address: IPv6Address) -> IPv6AddressEntry? { addresses.first { $0.address == address } }

    /// Ours to receive on and send from (not tentative, not duplicate).
    public func isOurs(_ address: IPv6Address) -> Bool { entry(address)?.isUsable == true }

    /// The multicast groups we listen to besides all-nodes: the solicited-node group of every address
    /// not found duplicate (tentative ones too: DAD listens there), each once.
    var groups: [IPv6Address] {
        var out: [IPv6Address] = []
        for e in addresses where e.state != .duplicate && !out.contains(e.address.solicitedNode) {
            out.append(e.address.solicitedNode)
        }
        return out
    }

    func listens(to group: IPv6Address) -> Bool {
        group == .allNodes || addresses.contains { $0.state != .duplicate && $0.address.solicitedNode == group }
    }

    /// On the link: link-local, or inside a prefix we know to be on-link (RFC 4861 5.2; RFC 5942: nothing
    /// else is assumed on-link, not even our own address's prefix without a router saying so, unless
    /// it was configured by hand).
    public func isOnLink(_ address: IPv6Address) -> Bool {
        address.isLinkLocal || prefixes.contains { address.masked(prefixLength: $0.prefixLength) == $0.address }
    }

    /// The neighbour a packet to `destination` goes to first: itself on the link, else a default router.
    func nextHop(for destination: IPv6Address) -> IPv6Address? {
        isOnLink(destination) ? destination : routers.first?.address
    }

    /// RFC 6724's source address selection between our usable addresses: the same address (rule 1),
    /// then matching scope (rule 2: link-local for link-local and link-scope multicast destinations,
    /// global otherwise), then preferred over deprecated (rule 3), then the longest matching prefix
    /// (rule 8). nil when there is none to send from.
    func source(for destination: IPv6Address) -> IPv6Address? {
        let wantLinkLocal = destination.isLinkLocal || destination.isLinkScopeMulticast
        var best: IPv6AddressEntry? = nil
        for e in addresses where e.isUsable {
            if e.address == destination { return e.address }
            guard let b = best else { best = e; continue }
            if (e.address.isLinkLocal == wantLinkLocal) != (b.address.isLinkLocal == wantLinkLocal) {
                if e.address.isLinkLocal == wantLinkLocal { best = e }
            } else if (e.state == .preferred) != (b.state == .preferred) {
                if e.state == .preferred { best = e }
            } else if e.address.commonPrefixLength(with: destination) > b.address.commonPrefixLength(with: destination) {
                best = e
            }
        }
        return best?.address
    }

    /// Adds a tentative address, its DAD starting after a random delay (RFC 4862 5.4.2). False when
    /// `IPv6Limits.addresses` are already kept.
    mutating func addTentative(_ address: IPv6Address, prefixLength: Int, origin: IPv6AddressEntry.Origin,
                               validUntil: Instant = .never, preferredUntil: Instant = .never, now: Instant) -> Bool {
        guard addresses.count < IPv6Limits.addresses else { return false }
        let start = now + randomDelay(below: IPv6Limits.maxSolicitationDelay)
        addresses.append(IPv6AddressEntry(address: address, prefixLength: prefixLength, state: .tentative, origin: origin,
                                          validUntil: validUntil, preferredUntil: preferredUntil, nextStep: start))
        groupsChanged(now: now)
        return true
    }

    /// The groups we listen to changed: report them `mldRobustness` times, the first at once.
    mutating func groupsChanged(now: Instant) {
        generation += 1
        reportsLeft = IPv6Limits.mldRobustness
        nextReport = now
        reportAnswersQuery = false
    }

    /// Adds or refreshes `entry` in a bounded timed list; false when it is new and the list is full.
    static func update(_ list: inout [IPv6Timed], _ entry: IPv6Timed, limit: Int) -> Bool {
        if let i = list.firstIndex(where: { $0.address == entry.address && $0.prefixLength == entry.prefixLength }) {
            list[i].until = entry.until
            return true
        }
        guard list.count < limit else { return false }
        list.append(entry)
        return true
    }

    /// The earliest instant any IPv6 timer needs the poll.
    var nextDeadline: Instant {
        var d = min(resolver.nextDeadline, neighbours.nextDeadline)
        d = min(d, min(nextSolicitation, reportsLeft > 0 ? nextReport : .never))
        for e in addresses {
            if e.state == .tentative { d = min(d, e.nextStep) }
            if e.state != .duplicate { d = min(d, e.validUntil) }
            if e.state == .preferred { d = min(d, e.preferredUntil) }
        }
        for p in prefixes { d = min(d, p.until) }
        for r in routers { d = min(d, r.until) }
        return d
    }

    /// A lifetime in seconds from an advertisement as a deadline; 0xFFFFFFFF is infinity.
    static func deadline(after seconds: UInt32, now: Instant) -> Instant {
        seconds == UInt32.max ? .never : now + .seconds(UInt64(seconds))
    }
}
