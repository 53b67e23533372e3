import KernelSupport
import Bytes

/// The monotonic clock: the time-stamp counter, calibrated once at boot against PIT channel 2; where its
/// gate and output (port 0x61) are missing (`-M microvm`), from the frequency CPUID reports, else
/// against PIT channel 0 read back. Instants are nanoseconds since `kmain` started.
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
        } else if let hz = PIT.measureTSCFrequencyByReadback() {
            set(ticksPerSecond: hz, source: "PIT channel 0")
        } else {
            set(ticksPerSecond: 1_000_000_000, source: "assumed 1 GHz (no PIT, no CPUID frequency)")
        }
    }

    private static func set(ticksPerSecond hz: UInt64, source: StaticString) {
        ticksPerSecond = hz
        nanosPerTick32 = (1_000_000_000 << 32) / hz
        self.source = source
    }

    /// The frequency CPUID reports: leaf 0x15 (crystal clock times the TSC/crystal ratio), leaf 0x16
    /// (base frequency in MHz), or the hypervisor's leaf 0x40000010 (TSC kHz, KVM and VMware).
    private static func cpuidFrequency() -> UInt64? {
        let maxLeaf = cpuid(0).eax
        if maxLeaf >= 0x15 {
            let r = cpuid(0x15)
            if r.eax != 0 && r.ebx != 0 && r.ecx != 0 { return UInt64(r.ecx) * UInt64(r.ebx) / UInt64(r.eax) }
        }
        if maxLeaf >= 0x16, cpuid(0x16).eax & 0xFFFF != 0 { return UInt64(cpuid(0x16).eax & 0xFFFF) * 1_000_000 }
        let hypervisorPresent = cpuid(1).ecx & (1 << 31) != 0
        if hypervisorPresent, cpuid(0x4000_0000).eax >= 0x4000_0010, cpuid(0x4000_0010).eax != 0 {
            return UInt64(cpuid(0x4000_0010).eax) * 1000
        }
        return nil
    }

    static func cpuid(_ leaf: UInt32) -> (eax: UInt32, ebx: UInt32, ecx: UInt32) {
        var regs: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        return withUnsafeMutablePointer(to: &regs) { p in
            p.withMemoryRebound(to: UInt32.self, capacity: 4) { cpu_cpuid(leaf, 0, $0); return ($0[0], $0[1], $0[2]) }
        }
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
