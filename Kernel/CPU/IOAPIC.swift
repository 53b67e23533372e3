import _Volatile
import ACPI

/// The I/O APIC: routes a wired interrupt (the ACPI SCI, the keyboard, virtio-mmio devices; virtio-pci
/// devices use MSI-X) to a CPU vector on this CPU's local APIC. Its registers are reached through an
/// index and a data window.
enum IOAPIC {
    private static let selectOffset: UInt = 0x00
    private static let windowOffset: UInt = 0x10
    private static let versionRegister: UInt32 = 0x01
    private static let firstRedirection: UInt32 = 0x10
    private static let activeLow: UInt32 = 1 << 13
    private static let levelTriggered: UInt32 = 1 << 15
    private static let masked: UInt32 = 1 << 16

    enum RouteError: Error {
        case noIOAPIC(globalInterrupt: UInt32)
        /// The MADT put the I/O APIC outside the uncached device window of the boot page tables.
        case outsideDeviceWindow(address: UInt32)
        case noSuchPin(pin: UInt32, pins: UInt32)
        /// Another source holds the pin (its entry is unmasked): one entry cannot serve two vectors.
        case taken

        var text: String {
            switch self {
            case .noIOAPIC(let g): return "no I/O APIC serves global interrupt \(g)"
            case .outsideDeviceWindow(let a): return "the I/O APIC's address \(a) is outside the device window"
            case .noSuchPin(let p, let n): return "pin \(p) beyond the I/O APIC's \(n) pins"
            case .taken: return "the line is already routed to another source"
            }
        }
    }

    /// Points `route` at `vector` on the local APIC `apicID`, unmasked; returns the pin used.
    static func connect(_ route: MADT.Route, in madt: MADT, vector: UInt8, apicID: UInt32) throws(RouteError) -> UInt32 {
        guard let (chip, pin) = madt.ioAPIC(for: route.globalInterrupt) else { throw .noIOAPIC(globalInterrupt: route.globalInterrupt) }
        guard UInt64(chip.address) >= KernelPhysicalMemory.deviceWindow, chip.address <= 0xFFFF_F000 else {
            throw .outsideDeviceWindow(address: chip.address)
        }
        let base = UInt(chip.address)
        let version = read(base, versionRegister)
        guard version != UInt32.max else { throw .noIOAPIC(globalInterrupt: route.globalInterrupt) }   // nothing answers there
        let pins = (version >> 16 & 0xFF) + 1
        guard pin < pins else { throw .noSuchPin(pin: pin, pins: pins) }
        // Entries start masked (and stay so until routed here): an unmasked one is taken.
        guard read(base, firstRedirection + 2 * pin) & masked != 0 else { throw .taken }
        var low = UInt32(vector)
        if route.activeLow { low |= activeLow }
        if route.levelTriggered { low |= levelTriggered }
        write(base, firstRedirection + 2 * pin + 1, apicID << 24)
        write(base, firstRedirection + 2 * pin, low)
        return pin
    }

    private static func read(_ base: UInt, _ register: UInt32) -> UInt32 {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: base + selectOffset).store(register)
        return VolatileMappedRegister<UInt32>(unsafeBitPattern: base + windowOffset).load()
    }

    private static func write(_ base: UInt, _ register: UInt32, _ value: UInt32) {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: base + selectOffset).store(register)
        VolatileMappedRegister<UInt32>(unsafeBitPattern: base + windowOffset).store(value)
    }
}
