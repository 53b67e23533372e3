import Bytes

/// Addresses being resolved, for ARP (IPv4) and neighbour discovery (IPv6, where this is the RFC 4861
/// INCOMPLETE state): when to ask again, and when to give up. Requests for one address go out at most
/// once per `requestInterval`, at most `maxRequests` times; then resolution fails and whatever waited
/// for it is dropped. At most `maxPending` resolutions run at once (more would only mean more broadcast
/// or multicast traffic for addresses nobody answers). The figures are RFC 4861's RETRANS_TIMER and
/// MAX_MULTICAST_SOLICIT, which suit ARP as well. Addresses are IPv6; ARP's are IPv4-mapped, so one
/// copy of this code serves both.
struct NeighbourResolver {
    typealias Address = IPv6Address
    static let requestInterval = Interval.seconds(1)
    static let maxRequests = 3
    static let maxPending = 8

    struct Pending {
        var address: Address
        var requestsSent: Int
        var nextAction: Instant
    }

    private(set) var pending: [Pending] = []

    enum StartResult { case sendRequest, alreadyPending, full }

    /// Registers interest in `address`; the caller sends a request when told to.
    mutating func start(_ address: Address, now: Instant) -> StartResult {
        if pending.contains(where: { $0.address == address }) { return .alreadyPending }
        guard pending.count < NeighbourResolver.maxPending else { return .full }
        pending.append(Pending(address: address, requestsSent: 1, nextAction: now + NeighbourResolver.requestInterval))
        return .sendRequest
    }

    func isPending(_ address: Address) -> Bool { pending.contains { $0.address == address } }

    mutating func resolved(_ address: Address) {
        pending.removeAll { $0.address == address }
    }

    /// Stops every resolution; returns the addresses that were pending.
    mutating func abandonAll() -> [Address] {
        defer { pending.removeAll() }
        return pending.map { $0.address }
    }

    /// Work due at `now`: addresses to ask again, and addresses that have run out of requests.
    mutating func due(now: Instant) -> (retry: [Address], failed: [Address]) {
        var retry: [Address] = []
        var failed: [Address] = []
        for i in pending.indices where pending[i].nextAction <= now {
            if pending[i].requestsSent < NeighbourResolver.maxRequests {
                pending[i].requestsSent += 1
                pending[i].nextAction = now + NeighbourResolver.requestInterval
                retry.append(pending[i].address)
            } else {
                failed.append(pending[i].address)
            }
        }
        pending.removeAll { p in failed.contains(p.address) }
        return (retry, failed)
    }

    var nextDeadline: Instant {
        pending.reduce(Instant.never) { min($0, $1.nextAction) }
    }
}

/// ARP's resolutions (of IPv4-mapped addresses).
typealias ARPResolver = NeighbourResolver
