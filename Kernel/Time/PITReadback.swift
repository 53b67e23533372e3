import KernelSupport

/// PIT calibration without port 0x61 (`-M microvm` has the 8254 but not the speaker port that gates
/// and shows channel 2): channel 0 runs as a rate generator over the full 16-bit range and its count
/// is latched and read back. QEMU computes a latched count from its clock at the moment of the read,
/// so a busy host delays reads but never falsifies them. Each read is bracketed by TSC reads; a window
/// is trusted when both brackets are tight (as `PIT.measureTSCFrequency`) and no gap between two
/// reads was long enough for the counter to wrap unseen (65,536 ticks, 54.9 ms).
extension PIT {
    private static let channel0: UInt16 = 0x40
    private static let commandPort: UInt16 = 0x43
    /// Channel 0, low then high byte, mode 2 (rate generator), binary.
    private static let rateGenerator: UInt8 = 0x34
    private static let latchChannel0: UInt8 = 0x00
    /// Channel 0, mode 0 without a count: the counter waits, so no IRQ 0 is raised after calibration.
    private static let stopChannel0: UInt8 = 0x30
    /// Polls per window at most (a window is ~5 ms; a read costs microseconds even under TCG), and
    /// polls for the first change of count (none: no PIT there).
    private static let maxPolls = 100_000
    private static let presencePolls = 10_000

    private struct Reading { var count: UInt16; var before: UInt64; var after: UInt64 }

    static func measureTSCFrequencyByReadback() -> UInt64? {
        outb(commandPort, rateGenerator)
        outb(channel0, 0)                        // reload 0 means 65,536
        outb(channel0, 0)
        defer { outb(commandPort, stopChannel0) }
        let first = read().count
        guard (0..<presencePolls).contains(where: { _ in read().count != first }) else { return nil }
        var best: (hz: UInt64, uncertainty: UInt64, ticks: UInt64)? = nil
        for _ in 0..<maxWindows {
            guard let w = readbackWindow() else { continue }
            if best == nil || w.uncertainty * best!.ticks < best!.uncertainty * w.ticks { best = w }
            if w.uncertainty <= w.ticks / uncertaintyDivisor { break }
        }
        guard let b = best, b.uncertainty <= b.ticks / 100 else { return nil }     // no PIT, or never tight
        return b.hz
    }

    private static func read() -> Reading {
        let before = cpu_rdtsc()
        outb(commandPort, latchChannel0)
        let low = inb(channel0)
        let high = inb(channel0)
        return Reading(count: UInt16(high) << 8 | UInt16(low), before: before, after: cpu_rdtsc())
    }

    /// One window of at least `calibrationMilliseconds` of PIT ticks: the frequency, and the TSC
    /// uncertainty of its length; nil when a gap could have hidden a wrap or the counter never moved.
    private static func readbackWindow() -> (hz: UInt64, uncertainty: UInt64, ticks: UInt64)? {
        let target = inputHz * calibrationMilliseconds / 1000
        let start = read()
        var previous = start
        var longestGap: UInt64 = 0
        for _ in 0..<maxPolls {
            let r = read()
            longestGap = Swift.max(longestGap, r.after &- previous.before)
            previous = r
            let elapsed = UInt64(start.count &- r.count)          // counts down, wrapping at 65,536
            guard elapsed >= target else { continue }
            let shortest = r.before &- start.after
            let longest = r.after &- start.before
            // A wrap needs 54.9 ms in one gap, far more than half of a window of about 5 ms.
            guard longestGap <= longest / 2, longest > shortest else { return nil }
            let ticks = (shortest &+ longest) / 2
            return (ticks * inputHz / elapsed, longest &- shortest, ticks)
        }
        return nil
    }
}
