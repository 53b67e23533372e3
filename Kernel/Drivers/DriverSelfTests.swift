import Bytes

/// The device self-tests the command line asks for (`selftest=net`, `selftest=disk`, combinable).
struct DriverSelfTests {
    var net = false
    var disk = false

    func run() {
        if net { NetSelfTest.run() }
        if disk { DiskSelfTest.run() }
    }

    /// Repeats `done` until it holds or `timeout` passes, halting between tries until an interrupt (or the
    /// poll interval, for a polled device) unless a device already has work waiting, as the main loop
    /// must. `haltingEvenWithWork` halts regardless, to prove that an interrupt (pending or new) wakes
    /// the CPU. True when `done` held.
    static func wait(timeout: Interval, haltingEvenWithWork: Bool = false, until done: () -> Bool) -> Bool {
        let clock = TSCClock.shared
        let deadline = clock.now() + timeout
        while true {
            if done() { return true }
            let now = clock.now()
            if now >= deadline { return false }
            halt(until: deadline, now: now, evenWithWork: haltingEvenWithWork)
        }
    }

    /// One halt, taken as the main loop takes it (one copy, not one per caller's `done`): work already
    /// in a ring raises no new interrupt, so look again instead; interrupts are asked for only around
    /// the halt.
    @inline(never)
    private static func halt(until deadline: Instant, now: Instant, evenWithWork: Bool) {
        if Devices.hasPendingWork && !evenWithWork { return }
        var wake = deadline
        if let interval = Devices.requiredPollInterval { wake = Swift.min(wake, now + interval) }
        if !Devices.prepareToHalt() && !evenWithWork {
            Devices.quietInterrupts()
            return
        }
        MainLoop.sleep(until: wake, now: now)
        Devices.quietInterrupts()
    }
}
