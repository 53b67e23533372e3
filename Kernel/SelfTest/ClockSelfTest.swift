import KernelSupport
import Bytes

/// The TSC clock is monotonic and runs at the right rate: between two RTC second boundaries (exactly one
/// RTC second apart) it must advance by one second.
///
/// Each boundary is bracketed: the last TSC time the old second was seen and the first time the new one
/// was. Under emulation on a busy host the virtual CPU can stall for hundreds of milliseconds between
/// two polls; such a measurement has a wide bracket and is retried rather than trusted.
enum ClockSelfTest {
    static let tolerance = Interval.milliseconds(50)
    static let widestBracket = Interval.milliseconds(20)
    static let attempts = 4

    static func run() {
        let clock = TSCClock.shared
        var previous = clock.now()
        var monotonic = true
        for _ in 0..<100_000 {
            let t = clock.now()
            if t < previous { monotonic = false }
            previous = t
        }
        SelfTest.expect(monotonic, "clock: monotonic")

        for attempt in 1...attempts {
            guard let first = secondBoundary(), let second = secondBoundary() else {
                SelfTest.expect(false, "clock: RTC seconds advance")
                return
            }
            let shortest = second.before.since(first.after)
            let longest = second.after.since(first.before)
            if longest.nanoseconds - shortest.nanoseconds > (widestBracket + widestBracket).nanoseconds {
                Log.info("selftest: RTC second measurement \(attempt) disturbed by a host stall (\(shortest.milliseconds)..\(longest.milliseconds) ms); retrying")
                continue
            }
            Log.info("selftest: one RTC second = \(shortest.milliseconds)..\(longest.milliseconds) ms of TSC time")
            SelfTest.expect(shortest < .seconds(1) + tolerance && longest + tolerance > .seconds(1),
                            "clock: advances at the RTC's rate")
            SelfTest.expect(RTCWallClock.shared.unixSeconds() > 1_600_000_000, "clock: wall clock is after 2020")
            return
        }
        Log.warn("selftest: host too busy to measure the clock rate in \(attempts) attempts")
        SelfTest.skip("clock: advances at the RTC's rate (host too busy to measure)")
    }

    /// Polls (for at most ~3 s) until the RTC seconds register changes; returns the TSC times of the last
    /// poll before the change and the first poll after it.
    private static func secondBoundary() -> (before: Instant, after: Instant)? {
        let clock = TSCClock.shared
        let start = clock.now()
        let initial = RTC.secondsRegister
        var before = clock.now()
        while before.since(start) < .seconds(3) {
            let value = RTC.secondsRegister
            let now = clock.now()
            if value != initial { return (before, now) }
            before = now
        }
        return nil
    }
}
