import KernelSupport

/// TSC calibration against the CMOS RTC's periodic flag, where the PIT cannot be used: `-M microvm`
/// has no port 0x61 (channel 2's gate and output), and under TCG CPUID reports no frequency. The RTC's
/// periodic rate comes from its 32.768 kHz time base (QEMU: the virtual clock), so it is a real
/// reference, not an assumed frequency.
///
/// The flag (register C bit 6) is polled, never taken as an interrupt. Each edge is bracketed by TSC
/// reads like the PIT's; a host stall can delay an edge's detection (one long interval, the next
/// short) or hide an edge (one interval about twice as long): a run whose intervals are not all
/// within half a period of the expected one is measured again.
enum RTCPeriodicCalibration {
    /// Rate code 6: 32768 >> 5 = 1024 Hz.
    private static let rateCode: UInt8 = 6
    private static let hz: UInt64 = 1024
    /// Periods per run: 62.5 ms, so a 50 µs error at each end is under 0.2 %.
    private static let periods = 64
    private static let maxRuns = 4
    private static let periodicFlag: UInt8 = 0x40
    private static let periodicInterruptEnable: UInt8 = 0x40
    /// No edge within ~2^31 ticks (about a second on any CPU this runs on): no RTC there.
    private static let edgeTimeoutTicks: UInt64 = 1 << 31

    static func measureTSCFrequency() -> UInt64? {
        let savedA = RTC.register(0x0A)
        let savedB = RTC.register(0x0B)
        RTC.setRegister(0x0A, (savedA & 0xF0) | rateCode)
        RTC.setRegister(0x0B, savedB | periodicInterruptEnable)
        defer {
            RTC.setRegister(0x0B, savedB)
            RTC.setRegister(0x0A, savedA)
            _ = RTC.register(0x0C)
        }
        for _ in 0..<maxRuns {
            switch measureRun() {
            case .measured(let hz): return hz
            case .spoiled: continue
            case .noRTC: return nil
            }
        }
        return nil
    }

    private enum Run { case measured(UInt64), spoiled, noRTC }

    private static func measureRun() -> Run {
        _ = RTC.register(0x0C)                      // reading C clears the flag
        guard let start = nextEdge() else { return .noRTC }
        var previous = start
        var shortest = UInt64.max
        var longest: UInt64 = 0
        for _ in 0..<periods {
            guard let edge = nextEdge() else { return .noRTC }
            shortest = Swift.min(shortest, edge &- previous)
            longest = Swift.max(longest, edge &- previous)
            previous = edge
        }
        let mean = (previous &- start) / UInt64(periods)
        guard mean > 0, shortest >= mean / 2, longest <= mean + mean / 2 else { return .spoiled }
        return .measured((previous &- start) * hz / UInt64(periods))
    }

    /// The TSC at the next periodic edge (the midpoint of the read that saw the flag), or nil.
    private static func nextEdge() -> UInt64? {
        let began = cpu_rdtsc()
        while true {
            let before = cpu_rdtsc()
            let flagged = RTC.register(0x0C) & periodicFlag != 0
            let after = cpu_rdtsc()
            if flagged { return before &+ (after &- before) / 2 }
            if after &- began > edgeTimeoutTicks { return nil }
        }
    }
}
