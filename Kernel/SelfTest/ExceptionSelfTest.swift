import KernelSupport
import Bytes

/// The exception path works: a deliberate invalid opcode is caught, reported with registers, and (only
/// because the test armed it) resumed.
enum ExceptionSelfTest {
    static func run() {
        let before = Exceptions.expectedFaultsTaken
        Exceptions.expectedInvalidOpcode = true
        cpu_raise_invalid_opcode()
        SelfTest.expect(Exceptions.expectedFaultsTaken == before + 1, "exceptions: #UD caught and reported")
        SelfTest.expect(!Exceptions.expectedInvalidOpcode, "exceptions: handler consumed the expectation")
    }
}

/// The timer interrupt fires and wakes the halted CPU at (never before) the deadline it was armed for.
/// Lateness is reported; a wake later than `lateness` fails. Under TCG on a busy shared host wakes
/// measured up to a few ms late; the bound leaves room for a host stall, not for a missed deadline
/// (the next timer tick of a broken arm would be the long sleep's 1.5 s, far beyond it).
enum InterruptSelfTest {
    static let longSleep = Interval.milliseconds(1500)
    static let lateness = Interval.milliseconds(100)

    static func run() {
        let before = Interrupts.deviceInterrupts
        let (late, _) = sleepThrough(.milliseconds(50))
        SelfTest.expect(Interrupts.deviceInterrupts > before, "interrupts: the APIC timer fired")
        SelfTest.expect(late < lateness, "interrupts: a 50 ms sleep ends within 100 ms of its deadline")
        Log.info("selftest: timer woke \(late.nanoseconds / 1000) us after its deadline")

        // A sleep past `exactSleepLimit` is finished in steps; it must still end at its deadline.
        let (longLate, steps) = sleepThrough(longSleep)
        SelfTest.expect(longLate < lateness, "interrupts: a long sleep ends within 100 ms of its deadline")
        Log.info("selftest: a \(longSleep.milliseconds) ms sleep woke \(longLate.nanoseconds / 1000) us after its deadline, in \(steps) steps")
    }

    /// Halts until `interval` from now has passed; returns how late it woke and in how many halts.
    private static func sleepThrough(_ interval: Interval) -> (late: Interval, steps: Int) {
        let clock = TSCClock.shared
        let deadline = clock.now() + interval
        var steps = 0
        while clock.now() < deadline { MainLoop.sleep(until: deadline, now: clock.now()); steps += 1 }
        return (clock.now().since(deadline), steps)
    }
}
