/// A share of the clock for background work: it may use at most 1/`divisor` of the time that passes,
/// saving up at most `cap` of credit while idle. The caller measures what each run took and reports it
/// with `spent`, so the budget holds whatever a unit of work costs (a port write is cheap on one
/// hypervisor and a system call on another).
public struct TimeShare {
    public let divisor: UInt64
    public let cap: Interval
    /// Nanoseconds of work allowed now; negative after a run that overdrew it.
    public private(set) var credit: Int64
    private var accruedAt: Instant

    public init(divisor: UInt64, cap: Interval, now: Instant = .zero) {
        precondition(divisor > 0)
        self.divisor = divisor
        self.cap = cap
        credit = Int64(cap.nanoseconds)
        accruedAt = now
    }

    /// Whether work may run at `now`.
    public mutating func mayRun(now: Instant) -> Bool {
        if now > accruedAt {
            let earned = now.since(accruedAt).nanoseconds / divisor
            credit = Swift.min(Int64(cap.nanoseconds), credit + Int64(Swift.min(earned, cap.nanoseconds)))
            accruedAt = now
        }
        return credit > 0
    }

    public mutating func spent(_ interval: Interval) {
        credit -= Int64(Swift.min(interval.nanoseconds, UInt64(Int64.max)))
    }

    /// When the credit is positive again, as of the last `mayRun`.
    public var nextRun: Instant {
        credit > 0 ? accruedAt : accruedAt + Interval(nanoseconds: UInt64(1 - credit) * divisor)
    }
}
