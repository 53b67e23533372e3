import Bytes

/// A minimum rate for one transfer (a request head, request content, a response), like Apache
/// mod_reqtimeout's MinRate: `initial` to begin with, and one second more for every `bytesPerSecond`
/// bytes that pass. "Any byte restarts the timer" let a client taking one byte a minute keep its slot
/// for ever; against a rate it must keep moving data or lose the slot. The credit never runs more than
/// `initial` ahead of now (a fast start buys no hour of silence later), nor past `maximum` after the
/// start, when there is one.
public struct MinimumRate {
    public var initial: Interval
    public var bytesPerSecond: UInt64
    public var maximum: Interval?

    public init(initial: Interval, bytesPerSecond: UInt64, maximum: Interval? = nil) {
        self.initial = initial; self.bytesPerSecond = bytesPerSecond; self.maximum = maximum
    }
}

/// One transfer's deadline under a `MinimumRate`.
struct RateDeadline {
    let rate: MinimumRate
    private let limit: Instant
    private(set) var deadline: Instant

    init(_ rate: MinimumRate, from now: Instant) {
        self.rate = rate
        limit = rate.maximum.map { now + $0 } ?? .never
        deadline = min(now + rate.initial, limit)
    }

    /// `bytes` passed at `now`: the deadline moves on by their share of a second, within the caps.
    mutating func passed(_ bytes: Int, now: Instant) {
        guard bytes > 0 else { return }
        let credit = Interval(nanoseconds: UInt64(bytes) &* 1_000_000_000 / max(rate.bytesPerSecond, 1))
        deadline = min(deadline + credit, now + rate.initial, limit)
    }
}
