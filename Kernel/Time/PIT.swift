import KernelSupport

/// The 8254 programmable interval timer, used once: channel 2 counts a known interval (its input clock
/// is 1.193182 MHz on every PC) while we count TSC ticks. Channel 2's gate and output are on port 0x61,
/// so no interrupt is needed.
enum PIT {
    static let inputHz: UInt64 = 1_193_182
    static let calibrationMilliseconds: UInt64 = 20

    /// TSC ticks per second, or nil when no PIT answers (e.g. `-M microvm` without one).
    static func measureTSCFrequency() -> UInt64? {
        let count = inputHz * calibrationMilliseconds / 1000      // 23,863: fits the 16-bit counter
        let control = inb(0x61)
        outb(0x61, (control & ~0x02) | 0x01)      // gate on, speaker off
        outb(0x43, 0xB0)                          // channel 2, lobyte/hibyte, mode 0 (terminal count)
        outb(0x42, UInt8(truncatingIfNeeded: count))
        outb(0x42, UInt8(truncatingIfNeeded: count >> 8))
        let start = cpu_rdtsc()
        // Output goes high at terminal count. Give up after ~2^33 ticks (seconds on any CPU): no PIT.
        while inb(0x61) & 0x20 == 0 {
            if cpu_rdtsc() &- start > (1 << 33) { outb(0x61, control); return nil }
        }
        let elapsed = cpu_rdtsc() &- start
        outb(0x61, control)
        // An absent PIT reads 0xFF (output "high") at once: reject implausibly short intervals (< 20 MHz).
        guard elapsed > 20_000_000 * calibrationMilliseconds / 1000 else { return nil }
        return elapsed * 1000 / calibrationMilliseconds
    }
}
