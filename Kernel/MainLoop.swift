import KernelSupport
import Bytes
import Appliance
import HTTP
import TCP

/// The one loop that drives everything: poll devices, run the stack's timers, dispatch services, then
/// halt until the next interrupt or the earliest deadline. Nothing polls on a fixed tick.
enum MainLoop {
    static func run(config: BootConfig, app: Application) -> Never {
        let clock = TSCClock.shared
        guard let nic = Devices.network else {
            Log.warn(NoNetworkCard.explanation(Devices.pci))
            while true {
                sleep(until: .never, now: clock.now())
                if let what = takeStopRequest() { Log.info("shutdown: \(what); nothing to drain"); ACPIPower.powerOff() }
            }
        }
        let appliance = Appliance(config: config, nic: nic, disk: Devices.disk, clock: clock,
                                  wallClock: RTCWallClock.shared, seed: bootSeed(), entropy: BootEntropy.draw(), app: app,
                                  memoryBudget: Heap.stats.capacityBytes,
                                  memoryPressure: { MemoryPressure.isUnderPressure },
                                  log: { level, message in Log.line(LogLevel(level), message) },
                                  accessLog: { entry in Log.access(entry) })
        appliance.addStatus("kernel") { KernelStatus.metrics }
        appliance.http.recentLog = { Console.recentLines }
        if config.syslog != nil {
            // The boot's lines first, from the ring, with the times they were logged; then every line.
            Console.forEachMessage { level, access, message, micros in
                appliance.forwardToSyslog(level: BootConfig.LogLevel(level), access: access, message: message,
                                          loggedAt: Instant(nanoseconds: micros &* 1_000))
            }
            Log.forward = { level, access, message in
                appliance.forwardToSyslog(level: BootConfig.LogLevel(level), access: access, message: message)
            }
        }
        if let hz = config.profileHz { startProfiler(hz: hz, http: appliance.http) }
        Log.info("ready; idle until the next interrupt or deadline")
        Console.synchronous = false     // serving now: the console drains only when there is time
        while true {
            turns &+= 1
            var now = clock.now()
            if let what = takeStopRequest() { appliance.requestShutdown(what, now: now) }
            appliance.poll(now: now)
            now = clock.now()
            let segments = appliance.tcp.counters.segmentsReceived
            if segments != segmentsSeen { segmentsSeen = segments; Console.networkActive(at: now) }
            if appliance.readyToPowerOff { powerOff(appliance, now: now) }
            // Work already in a device ring raises no new interrupt: go round again instead of halting.
            if Devices.hasPendingWork { pendingWorkTurns &+= 1; continue }
            var deadline = appliance.nextDeadline()
            if deadline <= now {
                // Work is due; but when it waits for transmit buffers, another pass only finds the ring
                // full again: halt until the device returns a batch (almost all work ends in a send).
                guard Devices.waitingForTransmitBuffers else { dueTurns &+= 1; continue }
                deadline = now + Devices.pollInterval
            }
            // Idle: the console's turn, one bounded batch, then round again to see whether work came
            // in meanwhile; once the line rate is spent, the halt ends when it allows the next batch.
            let console = Console.drainBatch(now: now)
            if console <= now { continue }
            halt(until: Swift.min(deadline, console), now: now)
        }
    }

    /// One halt, as the main loop and the driver self-tests take it (one copy, not one per caller):
    /// device interrupts are asked for only around the halt, and a device without a working interrupt
    /// is polled, so the halt never outlasts its interval. Work that arrived while interrupts were being
    /// asked for cancels the halt, unless `evenWithWork`.
    @inline(never)
    static func halt(until deadline: Instant, now: Instant, evenWithWork: Bool = false) {
        var wake = deadline
        if let interval = Devices.requiredPollInterval { wake = Swift.min(wake, now + interval) }
        if Devices.prepareToHalt() || evenWithWork { sleep(until: wake, now: now) }
        Devices.quietInterrupts()
    }

    /// A clean stop request not yet taken, named for the console: the ACPI power button or Ctrl-Alt-Del.
    private static func takeStopRequest() -> String? {
        if ACPIPower.takePress() { return "power button pressed" }
        if CtrlAltDel.takePress() { return "Ctrl-Alt-Del pressed" }
        return nil
    }

    /// The end of the clean stop (the exit callbacks have run, a DHCP RELEASE has left): the console
    /// drained, then ACPI S5.
    private static func powerOff<NIC>(_ appliance: Appliance<NIC>, now: Instant) -> Never {
        appliance.shutdown(now: now)
        // The last frames (a RELEASE) are in the transmit ring; QEMU sends them on its own time, so
        // give them a moment (halted, so the NIC's interrupts are taken) before the machine disappears.
        let settled = now + releaseSettle
        var t = now
        while t < settled { halt(until: settled, now: t, evenWithWork: true); t = TSCClock.shared.now() }
        Log.info("shutdown: flushing the log")
        ACPIPower.powerOff()
    }
    static let releaseSettle = Interval.milliseconds(50)

    private static func startProfiler(hz: Int, http: HTTPServer) {
        guard Profiler.start(hz: hz) else { Log.warn("profile: no memory for the histogram; not sampling"); return }
        http.router.add(.get, "/factory/profile") { _ in HTTPResponse(body: .bytes(Profiler.report)) }
        Log.info("profile: sampling; /factory/profile has the histogram (Scripts/profile)")
    }

    /// Unpredictable from outside: the TSC at this instant (boot timing jitter) mixed with the RTC.
    private static func bootSeed() -> UInt64 {
        var mix = SplitMix64(seed: cpu_rdtsc() ^ (RTCWallClock.unixAtBoot &* 0x9E37_79B9_7F4A_7C15))
        return mix.next() ^ cpu_rdtsc()
    }

    /// Halts with interrupts enabled until an interrupt arrives; the local APIC timer is armed for
    /// `deadline` so a timer that is due wakes us even when no device does.
    ///
    /// A long sleep is armed a little short (by `earlyShare`) and finished by the next, shorter one: the
    /// APIC timer's rate is known only to its calibration, and an error of 0.1 % is a tenth of a second
    /// on a 100 s DHCP lease timer. Waking early costs one more pass; waking late breaks a promise.
    static func sleep(until deadline: Instant, now: Instant) {
        if deadline == .never {
            LocalAPIC.armOneShot(afterTSCTicks: 0)
        } else if deadline > now {
            var wait = deadline.since(now)
            if wait > exactSleepLimit { wait = Interval(nanoseconds: wait.nanoseconds - wait.nanoseconds / earlyShare) }
            LocalAPIC.armOneShot(afterTSCTicks: Swift.max(TSCClock.ticks(for: wait), 1))
        } else {
            return
        }
        let haltedAt = cpu_rdtsc()
        cpu_wait_for_interrupt()
        let wokeAt = cpu_rdtsc()
        haltedTicks &+= wokeAt &- haltedAt
        if deadline != .never {
            let woke = TSCClock.shared.now()
            if woke > deadline { latestWakeNanoseconds = Swift.max(latestWakeNanoseconds, woke.since(deadline).nanoseconds) }
        }
    }

    /// Sleeps up to this long are armed exactly; longer ones are armed `1/earlyShare` short.
    static let exactSleepLimit = Interval.milliseconds(100)
    static let earlyShare: UInt64 = 32

    /// The most a timed sleep has overrun its deadline (an interrupt that woke us after the deadline
    /// counts too, so this bounds timer lateness from above): /factory/etc shows it.
    nonisolated(unsafe) private(set) static var latestWakeNanoseconds: UInt64 = 0

    /// TSC ticks spent halted in `sleep`: with the uptime this gives the share of time the CPU was busy,
    /// which tells a benchmark whether the guest or the hypervisor is the bottleneck.
    nonisolated(unsafe) private(set) static var haltedTicks: UInt64 = 0

    /// Passes of the main loop; of them, those that went round at once because a device ring held
    /// work, and those because a deadline was already due: with the request counters they tell how
    /// much work each pass carries (a pass costs a clock read and a doorbell check however small).
    nonisolated(unsafe) private(set) static var turns: UInt64 = 0
    nonisolated(unsafe) private(set) static var pendingWorkTurns: UInt64 = 0
    nonisolated(unsafe) private(set) static var dueTurns: UInt64 = 0
    /// TCP's received-segment count at the last pass: a change is activity the console waits out (see
    /// Console). Segments, not frames: a chatty link's broadcasts must not keep the console silent.
    nonisolated(unsafe) private static var segmentsSeen: UInt64 = 0
}
