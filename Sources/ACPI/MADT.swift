/// The I/O APICs and interrupt source overrides of the Multiple APIC Description Table ("APIC",
/// ACPI 6.5, 5.2.12): where an ISA interrupt such as the SCI arrives and how it is signalled.
public struct MADT: Equatable {
    public struct IOAPIC: Equatable {
        public var id: UInt8
        public var address: UInt32
        public var firstInterrupt: UInt32
    }

    public struct Override: Equatable {
        public var source: UInt8
        public var globalInterrupt: UInt32
        public var flags: UInt16
    }

    /// How an interrupt is wired to the I/O APIC.
    public struct Route: Equatable {
        public var globalInterrupt: UInt32
        public var activeLow: Bool
        public var levelTriggered: Bool
    }

    public private(set) var ioAPICs: [IOAPIC] = []
    public private(set) var overrides: [Override] = []
    /// Entries whose length field was impossible: the walk stopped there.
    public private(set) var truncated = false

    /// Without ACPI tables (`-M microvm,acpi=off`, Firecracker): one I/O APIC at its architectural
    /// address serving global interrupts from 0, no overrides (the MP specification's default).
    public static var architectural: MADT { MADT(ioAPICs: [IOAPIC(id: 0, address: 0xFEC0_0000, firstInterrupt: 0)]) }

    private init(ioAPICs: [IOAPIC]) { self.ioAPICs = ioAPICs }

    static var entriesOffset: Int { 44 }
    static var maximumEntries: Int { 256 }

    public init(_ table: [UInt8]) throws(ACPIError) {
        guard table.count >= MADT.entriesOffset else { throw .badLength(signature: "APIC", length: UInt64(table.count)) }
        var offset = MADT.entriesOffset
        var seen = 0
        while offset + 2 <= table.count && seen < MADT.maximumEntries {
            let type = table[offset], length = Int(table[offset + 1])
            guard length >= 2, offset + length <= table.count else { truncated = true; break }
            if type == 1, length >= 12 {
                ioAPICs.append(IOAPIC(id: table[offset + 2], address: UInt32(table.le(offset + 4, 4) ?? 0),
                                      firstInterrupt: UInt32(table.le(offset + 8, 4) ?? 0)))
            } else if type == 2, length >= 10 {
                overrides.append(Override(source: table[offset + 3], globalInterrupt: UInt32(table.le(offset + 4, 4) ?? 0),
                                          flags: UInt16(table.le(offset + 8, 2) ?? 0)))
            }
            offset += length
            seen += 1
        }
    }

    /// The SCI's wiring: an override's global interrupt and flags, or else identity-mapped; where the
    /// flags say "conforms to the bus", the SCI is level-triggered and active low (ACPI 6.5, 5.2.9).
    public func sciRoute(irq: UInt16) -> Route {
        route(irq: irq, conforming: Route(globalInterrupt: UInt32(irq), activeLow: true, levelTriggered: true))
    }

    /// An ISA interrupt's wiring (the keyboard's IRQ 1): as `sciRoute`, but the ISA bus's own
    /// convention is edge-triggered and active high.
    public func isaRoute(irq: UInt16) -> Route {
        route(irq: irq, conforming: Route(globalInterrupt: UInt32(irq), activeLow: false, levelTriggered: false))
    }

    /// A virtio-mmio device's line (`virtio_mmio.device=...:IRQ`, or the DSDT): a global interrupt,
    /// level-triggered and active high as QEMU's microvm raises it while InterruptStatus is non-zero.
    public static func deviceRoute(_ globalInterrupt: UInt32) -> Route {
        Route(globalInterrupt: globalInterrupt, activeLow: false, levelTriggered: true)
    }

    private func route(irq: UInt16, conforming: Route) -> Route {
        var route = conforming
        guard let o = overrides.first(where: { UInt16($0.source) == irq }) else { return route }
        route.globalInterrupt = o.globalInterrupt
        switch o.flags & 3 { case 1: route.activeLow = false; case 3: route.activeLow = true; default: break }
        switch o.flags >> 2 & 3 { case 1: route.levelTriggered = false; case 3: route.levelTriggered = true; default: break }
        return route
    }

    /// The I/O APIC that serves `globalInterrupt`, with the pin number on it: of those starting at or
    /// below it, the one starting last (microvm's second I/O APIC starts at 24, within the first's reach).
    public func ioAPIC(for globalInterrupt: UInt32) -> (IOAPIC, pin: UInt32)? {
        var best: IOAPIC?
        for a in ioAPICs where globalInterrupt >= a.firstInterrupt && globalInterrupt - a.firstInterrupt < MADT.pinsPerIOAPIC
            && a.firstInterrupt >= (best?.firstInterrupt ?? 0) { best = a }
        return best.map { ($0, globalInterrupt - $0.firstInterrupt) }
    }

    /// The redirection table of an I/O APIC has at most 240 entries (8-bit max-entry field); the
    /// kernel reads the real count from the chip.
    static var pinsPerIOAPIC: UInt32 { 240 }
}
