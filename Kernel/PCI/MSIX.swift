/// The MSI-X capability of a function: a table in one of its BARs where each entry names the message
/// (address, data) the device writes to raise that interrupt. We aim every message at the local APIC of
/// the one CPU (address 0xFEE00000 | APIC id << 12) with data = the IDT vector: fixed delivery, edge.
struct MSIX {
    static let capabilityID: UInt8 = 0x11
    private static let controlOffset: UInt8 = 2
    private static let tableOffset: UInt8 = 4
    private static let enableBit: UInt16 = 1 << 15
    private static let functionMaskBit: UInt16 = 1 << 14
    private static let entryBytes: UInt = 16
    private static let vectorMaskedBit: UInt32 = 1
    static let messageAddressBase: UInt32 = 0xFEE0_0000

    enum SetupError: Error {
        case noCapability, tableBARMissing, tableOutsideBAR
        case unmappable(DeviceMemory.MapError)

        var reason: String {
            switch self {
            case .noCapability: return "no MSI-X capability"
            case .tableBARMissing: return "MSI-X table BAR missing"
            case .tableOutsideBAR: return "MSI-X table lies outside its BAR"
            case .unmappable(let e): return "MSI-X table BAR \(e.reason)"
            }
        }
    }

    let function: PCIFunction
    let capability: UInt8
    let tableSize: Int
    private let table: UInt

    init(_ function: PCIFunction) throws(SetupError) {
        guard let cap = function.capabilities(id: MSIX.capabilityID).first else { throw .noCapability }
        let control = PCIConfigSpace.read16(function.address, cap + MSIX.controlOffset)
        let location = PCIConfigSpace.read32(function.address, cap + MSIX.tableOffset)
        let size = Int(control & 0x7FF) + 1
        guard let bar = function.bar(Int(location & 7)), bar.isMemory else { throw .tableBARMissing }
        let offset = UInt64(location & ~UInt32(7))
        guard offset + UInt64(size) * UInt64(MSIX.entryBytes) <= bar.size else { throw .tableOutsideBAR }
        let base: UInt
        do { base = try DeviceMemory.map(bar) } catch { throw .unmappable(error) }
        self.function = function
        capability = cap
        tableSize = size
        table = base + UInt(offset)
    }

    /// Points entry `entry` at `vector` on the CPU with local APIC id `apicID`, unmasked.
    func route(entry: Int, vector: UInt8, apicID: UInt32) {
        precondition(entry >= 0 && entry < tableSize, "MSI-X entry out of range")
        let e = table + UInt(entry) * MSIX.entryBytes
        MMIO.write32(e + 12, MSIX.vectorMaskedBit)               // mask while rewriting
        MMIO.write32(e, MSIX.messageAddressBase | (apicID & 0xFF) << 12)
        MMIO.write32(e + 4, 0)
        MMIO.write32(e + 8, UInt32(vector))                      // fixed delivery, edge trigger
        MMIO.write32(e + 12, 0)
    }

    /// Turns MSI-X on for the function (and with it, INTx off by the PCI rules).
    func enable() {
        let a = function.address
        var control = PCIConfigSpace.read16(a, capability + MSIX.controlOffset)
        control |= MSIX.enableBit
        control &= ~MSIX.functionMaskBit
        PCIConfigSpace.write16(a, capability + MSIX.controlOffset, control)
    }
}
