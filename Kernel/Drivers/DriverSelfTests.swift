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

    /// Out of line, so `wait`'s callers do not each carry a copy of the halt.
    @inline(never)
    private static func halt(until deadline: Instant, now: Instant, evenWithWork: Bool) {
        // Work already in a ring raises no new interrupt: look again instead of halting.
        if Devices.hasPendingWork && !evenWithWork { return }
        MainLoop.halt(until: deadline, now: now, evenWithWork: evenWithWork)
    }
}
