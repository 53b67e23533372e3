import Bytes

/// RFC 2131 §4.1 backoff for DISCOVER and REQUEST: 4 s before the first retransmission, doubling up
/// to 64 s, each delay moved by a uniform -1 s...+1 s so clients that booted together spread out.
enum DHCPRetransmission {
    static let firstDelay: UInt64 = 4        // seconds
    static let maximumDelay: UInt64 = 64     // seconds
    static let jitterMilliseconds: UInt64 = 1_000

    /// How many times a REQUEST (selecting or rebooting) is sent before the client gives up and
    /// starts discovery again (§3.1 step 5, §3.2 step 5). Four sends take about a minute.
    static let requestTransmissions = 4

    /// After this many unanswered DISCOVERs (about a minute) the console hears about it, once per
    /// discovery; the client keeps trying every ~64 s.
    static let discoversBeforeComplaint = 4

    /// RENEWING and REBINDING wait half the time left (to T2, or to expiry), never less than this
    /// (§4.4.5).
    static let minimumRenewalDelay: Interval = .seconds(60)

    /// The wait after the `transmissions`-th send (1-based).
    static func delay(afterTransmissions transmissions: Int, random: inout SplitMix64) -> Interval {
        let shift = UInt64(min(max(transmissions - 1, 0), 6))
        let base = min(firstDelay << shift, maximumDelay) * 1_000
        let offset = random.next(below: 2 * jitterMilliseconds + 1)
        return .milliseconds(base - jitterMilliseconds + offset)
    }

    /// The next renewal or rebinding retransmission: half the time to `limit`, at least a minute,
    /// never past `limit` (where the next state takes over).
    static func renewalDeadline(now: Instant, limit: Instant) -> Instant {
        let half = Interval(nanoseconds: limit.since(now).nanoseconds / 2)
        return min(now + max(half, minimumRenewalDelay), limit)
    }
}
