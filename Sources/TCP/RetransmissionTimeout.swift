import Bytes

/// The retransmission timeout per RFC 6298: smoothed RTT and its variation from samples (taken under
/// Karn's rule by the caller: never from a retransmitted segment), exponential backoff on expiry.
/// Integer nanoseconds throughout (the kernel has no FPU state to spare).
struct RetransmissionTimeout {
    let minimum: Interval
    let maximum: Interval
    /// Clock granularity G: our clock is the caller's `now`, fine-grained; one millisecond is honest.
    static let granularity = Interval.milliseconds(1)

    private var smoothed: UInt64? = nil   // SRTT
    private var variation: UInt64 = 0     // RTTVAR
    private var base: Interval             // RTO before backoff
    private(set) var backoffs = 0

    init(initial: Interval, minimum: Interval, maximum: Interval) {
        self.minimum = minimum
        self.maximum = maximum
        base = initial
    }

    /// The current timeout, backoff included, within [minimum, maximum].
    var current: Interval {
        var rto = min(max(base, minimum), maximum)
        for _ in 0..<backoffs where rto < maximum { rto = rto * 2 }
        return min(rto, maximum)
    }

    /// RFC 6298 2.2 and 2.3, with alpha = 1/8 and beta = 1/4. A fresh sample also ends backoff.
    mutating func sample(_ rtt: Interval) {
        let r = rtt.nanoseconds
        if let srtt = smoothed {
            let delta = srtt > r ? srtt - r : r - srtt
            variation = variation - variation / 4 + delta / 4
            smoothed = srtt - srtt / 8 + r / 8
        } else {
            smoothed = r
            variation = r / 2
        }
        let spread = max(RetransmissionTimeout.granularity.nanoseconds, variation &* 4)
        base = Interval(nanoseconds: smoothed! &+ spread)
        backoffs = 0
    }

    /// RFC 6298 5.5: the timer expired; double the timeout (up to the maximum).
    mutating func backOff() { if current < maximum { backoffs += 1 } }

    /// New data was acknowledged. RFC 6298 5.7 keeps the backed-off value until a fresh sample, but
    /// with Karn's rule a long loss burst can then starve us of samples; like BSD and Linux we take an
    /// acknowledgment of new data as proof that the path works again.
    mutating func resetBackoff() { backoffs = 0 }
}
