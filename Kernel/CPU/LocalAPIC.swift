import KernelSupport
import _Volatile

/// The local APIC (xAPIC, memory-mapped at its architectural base): interrupt acknowledgement and the
/// one-shot timer that wakes the halted main loop at the next deadline. The legacy 8259 PICs are masked:
/// every interrupt source goes through the APIC (timer, MSI-X, IOAPIC).
enum LocalAPIC {
    static let base: UInt = 0xFEE0_0000
    private static let idRegister: UInt = 0x20
    private static let eoiRegister: UInt = 0xB0
    private static let spuriousRegister: UInt = 0xF0
    private static let timerLVT: UInt = 0x320
    private static let timerInitialCount: UInt = 0x380
    private static let timerCurrentCount: UInt = 0x390
    private static let timerDivide: UInt = 0x3E0
    private static let lvtMasked: UInt32 = 1 << 16
    private static let divideBy16: UInt32 = 0x3

    /// Timer ticks per TSC tick, in 1/2^32 units, measured at boot against the calibrated TSC.
    nonisolated(unsafe) private static var ticksPerTSC32: UInt64 = 0

    private static func register(_ offset: UInt) -> VolatileMappedRegister<UInt32> {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: base + offset)
    }

    static func enable() {
        outb(0x21, 0xFF); outb(0xA1, 0xFF)                                   // mask both 8259 PICs
        register(spuriousRegister).store(0x100 | UInt32(Interrupts.spuriousVector)) // APIC on
        register(timerDivide).store(divideBy16)
        register(timerLVT).store(lvtMasked | UInt32(Interrupts.timerVector))
    }

    static var id: UInt32 { register(idRegister).load() >> 24 }

    static func endOfInterrupt() { register(eoiRegister).store(0) }

    /// Measures the timer's rate against the TSC over `tscTicks` of busy-waiting. The start and the read
    /// of the count are each bracketed by two TSC reads and placed at the bracket's midpoint: under
    /// emulation an APIC access can take tens of microseconds, and charging all of it to one side skewed
    /// the rate by a few tenths of a percent — seconds of lateness over a DHCP lease.
    static func calibrate(tscTicks: UInt64) {
        register(timerLVT).store(lvtMasked | UInt32(Interrupts.timerVector))
        let beforeStart = cpu_rdtsc()
        register(timerInitialCount).store(UInt32.max)
        let afterStart = cpu_rdtsc()
        while cpu_rdtsc() &- afterStart < tscTicks { cpu_pause() }
        let beforeRead = cpu_rdtsc()
        let elapsed = UInt64(UInt32.max - register(timerCurrentCount).load())
        let afterRead = cpu_rdtsc()
        register(timerInitialCount).store(0)
        let tscElapsed = (beforeRead &- beforeStart) / 2 &+ (afterRead &- afterStart) / 2
        ticksPerTSC32 = (elapsed << 32) / Swift.max(tscElapsed, 1)
    }

    /// Arms a one-shot interrupt `tscTicks` from now (clamped to what the 32-bit counter holds); zero disarms.
    static func armOneShot(afterTSCTicks tscTicks: UInt64) {
        guard tscTicks > 0, ticksPerTSC32 > 0 else { register(timerInitialCount).store(0); return }
        let hi = (tscTicks >> 32) &* ticksPerTSC32
        let lo = ((tscTicks & 0xFFFF_FFFF) &* ticksPerTSC32) >> 32
        let ticks = hi > UInt64(UInt32.max) ? UInt64(UInt32.max) : Swift.min(hi &+ lo, UInt64(UInt32.max))
        register(timerLVT).store(UInt32(Interrupts.timerVector))             // one-shot, unmasked
        register(timerInitialCount).store(UInt32(Swift.max(ticks, 1)))
    }
}
