import KernelSupport

/// The 8254 programmable interval timer, used once: channel 2 counts a known interval (its input clock
/// is 1.193182 MHz on every PC) while we count TSC ticks. Channel 2's gate and output are on port 0x61,
/// so no interrupt is needed.
///
/// Under emulation on a busy host, any port access can stall (QEMU's device lock is held by another
/// thread, or the vCPU is descheduled). So every access that matters is bracketed by TSC reads: the
/// window's start lies inside the bracket of the write that loads the count, its end between the last
/// poll that saw the output low and the first that saw it high. A window is trusted only when both
/// brackets are tight; otherwise it is measured again.
enum PIT {
    static let inputHz: UInt64 = 1_193_182
    static let calibrationMilliseconds: UInt64 = 5
    static let maxWindows = 40
    /// Largest acceptable uncertainty, as a fraction of the window: 1/1000 (0.1 %).
    static let uncertaintyDivisor: UInt64 = 1000

    private struct Window { var ticks: UInt64; var uncertainty: UInt64 }

    /// TSC ticks per second, or nil when no PIT answers (e.g. `-M microvm` without one).
    static func measureTSCFrequency() -> UInt64? {
        var best: Window? = nil
        for _ in 0..<maxWindows {
            guard let w = measureWindow() else { return nil }
            if best == nil || w.uncertainty < best!.uncertainty { best = w }
            if w.uncertainty <= w.ticks / uncertaintyDivisor { break }
        }
        guard let w = best else { return nil }
        return w.ticks * 1000 / calibrationMilliseconds
    }

    /// One PIT window of `calibrationMilliseconds`: its length in TSC ticks (midpoint estimate) and the
    /// uncertainty of that length.
    private static func measureWindow() -> Window? {
        let count = inputHz * calibrationMilliseconds / 1000      // 5,965: fits the 16-bit counter
        let control = inb(0x61)
        outb(0x61, (control & ~0x02) | 0x01)      // gate on, speaker off
        outb(0x43, 0xB0)                          // channel 2, lobyte/hibyte, mode 0 (terminal count)
        outb(0x42, UInt8(truncatingIfNeeded: count))
        let startLow = cpu_rdtsc()
        outb(0x42, UInt8(truncatingIfNeeded: count >> 8))        // counting starts on this write
        let startHigh = cpu_rdtsc()
        var lastLow = startHigh
        // Output goes high at terminal count. Give up after ~2^33 ticks (seconds on any CPU): no PIT.
        while true {
            let before = cpu_rdtsc()
            let high = inb(0x61) & 0x20 != 0
            let after = cpu_rdtsc()
            if high {
                outb(0x61, control)
                let shortest = lastLow &- startHigh
                let longest = after &- startLow
                // An absent PIT reads 0xFF ("high") at once: reject implausibly short windows (< 20 MHz).
                guard longest > 20_000_000 * calibrationMilliseconds / 1000 else { return nil }
                return Window(ticks: (shortest &+ longest) / 2, uncertainty: longest &- shortest)
            }
            lastLow = before
            if after &- startLow > (1 << 33) { outb(0x61, control); return nil }
        }
    }
}
