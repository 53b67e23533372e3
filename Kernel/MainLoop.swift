import KernelSupport
import Bytes
import Appliance

/// The one loop that drives everything: poll devices, run the stack's timers, dispatch services, then
/// halt until the next interrupt or the earliest deadline. Nothing polls on a fixed tick.
enum MainLoop {
    static func run(config: BootConfig) -> Never {
        Log.info("ready; idle until the next interrupt or deadline")
        let clock = TSCClock.shared
        while true {
            let now = clock.now()
            var deadline = Instant.never
            // A device without a working interrupt is polled: never halt longer than its interval.
            if let interval = Devices.requiredPollInterval { deadline = Swift.min(deadline, now + interval) }
            sleep(until: deadline, now: now)
        }
    }

    /// Halts with interrupts enabled until an interrupt arrives; the local APIC timer is armed for
    /// `deadline` so a timer that is due wakes us even when no device does.
    static func sleep(until deadline: Instant, now: Instant) {
        if deadline == .never {
            LocalAPIC.armOneShot(afterTSCTicks: 0)
        } else if deadline > now {
            LocalAPIC.armOneShot(afterTSCTicks: Swift.max(TSCClock.ticks(for: deadline.since(now)), 1))
        } else {
            return
        }
        cpu_wait_for_interrupt()
    }
}
