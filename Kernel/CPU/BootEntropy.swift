import KernelSupport

/// Secret seed material for the app (cookie keys, nonces: `AppContext.entropy`): RDRAND words when the
/// CPU has it, each mixed with the TSC read around a CPUID (a VM exit under a hypervisor, whose
/// duration jitters); without RDRAND the TSC samples alone, weaker, and said so on the console.
enum BootEntropy {
    static let bytes = 32
    /// RDRAND may run dry for a moment (Intel's guidance: retry ten times).
    static let rdrandRetries = 10

    static func draw() -> [UInt8] {
        let hasRDRAND = TSCClock.cpuid(1).ecx & (1 << 30) != 0
        // Info, not a warning: QEMU's default CPU model has no RDRAND, and the standard app seals nothing.
        if !hasRDRAND { Log.info("entropy: no RDRAND; the boot-time cookie key comes from TSC jitter only") }
        var out: [UInt8] = []
        while out.count < bytes {
            var word: UInt64 = 0
            if hasRDRAND { for _ in 0..<rdrandRetries where cpu_rdrand(&word) != 0 { break } }
            let before = cpu_rdtsc()
            _ = TSCClock.cpuid(0)
            word ^= cpu_rdtsc() &* 0x9E37_79B9_7F4A_7C15 ^ before
            for b in 0..<8 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(b)))) }
        }
        return out
    }
}
