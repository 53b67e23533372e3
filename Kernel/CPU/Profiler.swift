import KernelSupport
import _Volatile

/// A sampling profiler (`profile=HZ` on the command line): the PIT's channel 0 ticks at HZ and its IRQ0,
/// routed through the IOAPIC as an NMI, records the interrupted RIP into a fixed histogram of 16-byte
/// buckets over the kernel's code (functions are 16-byte aligned, so a bucket never straddles two).
///
/// Why an NMI: the main loop runs with interrupts disabled and enables them only while halted, so an
/// ordinary interrupt would only ever sample the idle loop. An NMI lands between any two instructions.
/// Why the PIT: the local APIC timer is the main loop's one-shot deadline timer. The handler only
/// increments counters (no allocation, no locks), so it is safe wherever it lands.
/// Read out by /factory/profile; Scripts/profile symbolises it against build/kernel.debug.elf.
enum Profiler {
    private static let bucketShift: UInt64 = 4
    private static let ioapicBase: UInt = 0xFEC0_0000
    /// ISA IRQ0 (the PIT) arrives on IOAPIC input 2 (QEMU's and every PC's interrupt source override).
    private static let pitPin: UInt32 = 2
    private static let nmiDeliveryMode: UInt32 = 0b100 << 8
    static let nmiVector: UInt64 = 2

    nonisolated(unsafe) private static var buckets: UnsafeMutablePointer<UInt32>? = nil
    nonisolated(unsafe) private static var bucketCount: UInt64 = 0
    nonisolated(unsafe) private(set) static var hz = 0
    nonisolated(unsafe) private(set) static var samples: UInt64 = 0
    /// Samples that found the CPU halted in the idle loop (RIP just after a `hlt`).
    nonisolated(unsafe) private(set) static var idleSamples: UInt64 = 0
    /// Samples outside the kernel's code (none expected; counted rather than trusted).
    nonisolated(unsafe) private(set) static var outsideSamples: UInt64 = 0

    static var running: Bool { buckets != nil }

    /// Starts sampling at `rate` Hz (BootConfig checked it fits the PIT's 16-bit divisor). Needs the
    /// local APIC enabled (its ID is the NMI's destination). Returns false when the histogram cannot be
    /// allocated.
    static func start(hz rate: Int) -> Bool {
        let textBytes = UInt64(kernel_text_end_address() - kernel_start_address())
        let count = Int(textBytes >> bucketShift)
        guard let raw = Heap.allocate(size: count * 4, alignment: 16) else { return false }
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * 4)
        buckets = raw.bindMemory(to: UInt32.self, capacity: count)
        bucketCount = UInt64(count)
        hz = rate
        let divisor = UInt32(PIT.inputHz) / UInt32(rate)
        outb(0x43, 0x34)                                      // channel 0, lobyte/hibyte, mode 2 (rate)
        outb(0x40, UInt8(truncatingIfNeeded: divisor))
        outb(0x40, UInt8(truncatingIfNeeded: divisor >> 8))
        writeIOAPIC(0x11 + 2 * pitPin, LocalAPIC.id << 24)    // destination: this CPU
        writeIOAPIC(0x10 + 2 * pitPin, nmiDeliveryMode | UInt32(nmiVector))  // edge, active high, unmasked
        return true
    }

    private static func writeIOAPIC(_ index: UInt32, _ value: UInt32) {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: ioapicBase).store(index)
        VolatileMappedRegister<UInt32>(unsafeBitPattern: ioapicBase + 0x10).store(value)
    }

    /// The NMI handler's whole work.
    static func sample(rip: UInt64) {
        samples &+= 1
        let start = UInt64(kernel_start_address())
        guard let buckets, rip >= start, (rip - start) >> bucketShift < bucketCount else {
            outsideSamples &+= 1
            return
        }
        // Halted: the CPU stopped on `sti; hlt; cli` and the NMI returns to the `cli` after the `hlt`.
        if UnsafePointer<UInt8>(bitPattern: UInt(rip - 1))!.pointee == 0xF4 {
            idleSamples &+= 1
            return
        }
        buckets[Int((rip - start) >> bucketShift)] &+= 1
    }

    /// The histogram in binary, little-endian: five UInt64 (HZ, SAMPLES, IDLE, OUTSIDE, and the address
    /// of the first bucket), then one UInt32 count per 16-byte bucket. Busy samples are
    /// SAMPLES - IDLE - OUTSIDE. Binary because formatting text here would cost more image than the
    /// whole sampler; Scripts/profile-report.py reads it.
    static var report: [UInt8] {
        let header = [UInt64(hz), samples, idleSamples, outsideSamples, UInt64(kernel_start_address())]
        var out = header.withUnsafeBytes { Array($0) }
        if let buckets { out += UnsafeRawBufferPointer(start: buckets, count: Int(bucketCount) * 4) }
        return out
    }
}
