import KernelSupport
import Bytes

/// The TSC clock is monotonic and runs at the right rate: over two RTC second boundaries (exactly one
/// RTC second apart) it must advance by one second, within a tolerance that allows for emulation.
enum ClockSelfTest {
    static let tolerancePercent: UInt64 = 10

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

        guard let first = waitForSecondBoundary(), let second = waitForSecondBoundary() else {
            SelfTest.expect(false, "clock: RTC seconds advance")
            return
        }
        let elapsedMs = second.since(first).milliseconds
        Log.info("selftest: one RTC second = \(elapsedMs) ms of TSC time")
        SelfTest.expect(elapsedMs >= 1000 - 10 * tolerancePercent && elapsedMs <= 1000 + 10 * tolerancePercent,
                        "clock: advances at the RTC's rate")
        let wall = RTCWallClock.shared.unixSeconds()
        SelfTest.expect(wall > 1_600_000_000, "clock: wall clock is after 2020")
    }

    /// Busy-waits (bounded to ~3 s) for the RTC seconds register to change; returns the TSC time then.
    private static func waitForSecondBoundary() -> Instant? {
        let clock = TSCClock.shared
        let start = clock.now()
        let initial = RTC.secondsRegister
        while clock.now().since(start) < .seconds(3) {
            if RTC.secondsRegister != initial { return clock.now() }
        }
        return nil
    }
}
