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
/// Lateness is reported, and only grossly late wakes fail: a busy emulation host delays the vCPU.
enum InterruptSelfTest {
    static let longSleep = Interval.milliseconds(1500)

    static func run() {
        let clock = TSCClock.shared
        let before = Interrupts.deviceInterrupts
        let start = clock.now()
        let deadline = start + .milliseconds(50)
        while clock.now() < deadline { MainLoop.sleep(until: deadline, now: clock.now()) }
        let late = clock.now().since(deadline)
        SelfTest.expect(Interrupts.deviceInterrupts > before, "interrupts: the APIC timer fired")
        SelfTest.expect(late < .seconds(1), "interrupts: woke near the deadline")
        Log.info("selftest: timer woke \(late.nanoseconds / 1000) us after its deadline")

        // A sleep past `exactSleepLimit` is finished in steps; it must still end at its deadline.
        let longDeadline = clock.now() + longSleep
        var wakes = 0
        while clock.now() < longDeadline { MainLoop.sleep(until: longDeadline, now: clock.now()); wakes += 1 }
        let longLate = clock.now().since(longDeadline)
        SelfTest.expect(longLate < .milliseconds(100), "interrupts: a long sleep ends near its deadline")
        Log.info("selftest: a \(longSleep.milliseconds) ms sleep woke \(longLate.nanoseconds / 1000) us after its deadline, in \(wakes) steps")
    }
}
