import KernelSupport
import Bytes

/// The monotonic clock: the time-stamp counter, calibrated once at boot against the PIT (or, where there
/// is no PIT, the frequency CPUID reports). Instants are nanoseconds since `kmain` started.
final class TSCClock: Clock {
    static let shared = TSCClock()

    /// TSC ticks per second; zero until calibrated (then `now` reads zero).
    nonisolated(unsafe) static private(set) var ticksPerSecond: UInt64 = 0
    nonisolated(unsafe) static private(set) var bootTSC: UInt64 = 0
    nonisolated(unsafe) static private(set) var source: StaticString = "uncalibrated"

    /// Nanoseconds per tick in 32.32 fixed point, so conversion is one multiply (no division, no floats).
    nonisolated(unsafe) static private var nanosPerTick32: UInt64 = 0

    static func start() { bootTSC = cpu_rdtsc() }

    static func calibrate() {
        if let hz = PIT.measureTSCFrequency() {
            set(ticksPerSecond: hz, source: "PIT")
        } else if let hz = cpuidFrequency() {
            set(ticksPerSecond: hz, source: "CPUID")
        } else {
            set(ticksPerSecond: 1_000_000_000, source: "assumed 1 GHz (no PIT, no CPUID frequency)")
        }
    }

    private static func set(ticksPerSecond hz: UInt64, source: StaticString) {
        ticksPerSecond = hz
        nanosPerTick32 = (1_000_000_000 << 32) / hz
        self.source = source
    }

    /// CPUID leaf 0x16 (processor base frequency in MHz), where the CPU model reports it.
    private static func cpuidFrequency() -> UInt64? {
        var regs: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        let maxLeaf: UInt32 = withUnsafeMutablePointer(to: &regs) { p in
            p.withMemoryRebound(to: UInt32.self, capacity: 4) { cpu_cpuid(0, 0, $0); return $0[0] }
        }
        guard maxLeaf >= 0x16 else { return nil }
        let mhz: UInt32 = withUnsafeMutablePointer(to: &regs) { p in
            p.withMemoryRebound(to: UInt32.self, capacity: 4) { cpu_cpuid(0x16, 0, $0); return $0[0] & 0xFFFF }
        }
        return mhz == 0 ? nil : UInt64(mhz) * 1_000_000
    }

    /// Converts a TSC delta to nanoseconds without overflow for any uptime a VM will see (~centuries).
    static func nanoseconds(ticks: UInt64) -> UInt64 {
        let hi = (ticks >> 32) &* nanosPerTick32
        let lo = ((ticks & 0xFFFF_FFFF) &* nanosPerTick32) >> 32
        return hi &+ lo
    }

    /// TSC ticks for a span (for arming the timer).
    static func ticks(for interval: Interval) -> UInt64 {
        guard ticksPerSecond > 0 else { return 0 }
        let seconds = interval.nanoseconds / 1_000_000_000
        let rest = interval.nanoseconds % 1_000_000_000
        return seconds &* ticksPerSecond &+ rest &* ticksPerSecond / 1_000_000_000
    }

    static func sinceBootMicroseconds() -> UInt64 {
        guard ticksPerSecond > 0 else { return 0 }
        return nanoseconds(ticks: cpu_rdtsc() &- bootTSC) / 1_000
    }

    func now() -> Instant {
        Instant(nanoseconds: TSCClock.nanoseconds(ticks: cpu_rdtsc() &- TSCClock.bootTSC))
    }
}
