/// A token bucket on the caller's clock: up to `capacity` events in a burst, then one per
/// `refillInterval`. Integer arithmetic only.
public struct TokenBucket {
    public let capacity: Int
    public let refillInterval: Interval
    public private(set) var tokens: Int
    private var lastRefill: Instant

    public init(capacity: Int, refillInterval: Interval, now: Instant = .zero) {
        precondition(capacity > 0 && refillInterval.nanoseconds > 0)
        self.capacity = capacity
        self.refillInterval = refillInterval
        tokens = capacity
        lastRefill = now
    }

    /// Takes a token if one is available at `now`.
    public mutating func take(now: Instant) -> Bool {
        refill(now: now)
        guard tokens > 0 else { return false }
        tokens -= 1
        return true
    }

    /// The tokens available at `now` (what a `take` could still have).
    public mutating func available(now: Instant) -> Int {
        refill(now: now)
        return tokens
    }

    private mutating func refill(now: Instant) {
        let earned = now.since(lastRefill).nanoseconds / refillInterval.nanoseconds
        guard earned > 0 else { return }
        if earned >= UInt64(capacity - tokens) {
            tokens = capacity
            lastRefill = now
        } else {
            tokens += Int(earned)
            // Keep the fraction of an interval already elapsed, so the rate is exact.
            lastRefill = lastRefill + refillInterval * earned
        }
    }
}
