import Bytes

/// Addresses being resolved: when to ask again, and when to give up. Requests for one address go out
/// at most once per `requestInterval`, at most `maxRequests` times; then resolution fails and whatever
/// waited for it is dropped. At most `maxPending` resolutions run at once (more would only mean more
/// broadcast traffic for addresses nobody answers).
struct ARPResolver {
    static let requestInterval = Interval.seconds(1)
    static let maxRequests = 3
    static let maxPending = 8

    struct Pending {
        var address: IPv4Address
        var requestsSent: Int
        var nextAction: Instant
    }

    private(set) var pending: [Pending] = []

    enum StartResult { case sendRequest, alreadyPending, full }

    /// Registers interest in `address`; the caller sends a request when told to.
    mutating func start(_ address: IPv4Address, now: Instant) -> StartResult {
        if pending.contains(where: { $0.address == address }) { return .alreadyPending }
        guard pending.count < ARPResolver.maxPending else { return .full }
        pending.append(Pending(address: address, requestsSent: 1, nextAction: now + ARPResolver.requestInterval))
        return .sendRequest
    }

    func isPending(_ address: IPv4Address) -> Bool { pending.contains { $0.address == address } }

    mutating func resolved(_ address: IPv4Address) {
        pending.removeAll { $0.address == address }
    }

    /// Stops every resolution; returns the addresses that were pending.
    mutating func abandonAll() -> [IPv4Address] {
        defer { pending.removeAll() }
        return pending.map { $0.address }
    }

    /// Work due at `now`: addresses to ask again, and addresses that have run out of requests.
    mutating func due(now: Instant) -> (retry: [IPv4Address], failed: [IPv4Address]) {
        var retry: [IPv4Address] = []
        var failed: [IPv4Address] = []
        for i in pending.indices where pending[i].nextAction <= now {
            if pending[i].requestsSent < ARPResolver.maxRequests {
                pending[i].requestsSent += 1
                pending[i].nextAction = now + ARPResolver.requestInterval
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
