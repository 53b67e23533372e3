import Bytes

/// One PCI function found by enumeration: identity, class, decoded BARs, and the operations drivers
/// need on its configuration space (capability list, command register).
struct PCIFunction {
    static let vendorOffset: UInt8 = 0x00
    static let deviceOffset: UInt8 = 0x02
    static let commandOffset: UInt8 = 0x04
    static let statusOffset: UInt8 = 0x06
    static let classOffset: UInt8 = 0x08
    static let headerTypeOffset: UInt8 = 0x0E
    static let subsystemOffset: UInt8 = 0x2E
    static let capabilitiesOffset: UInt8 = 0x34

    static let commandIO: UInt16 = 1 << 0
    static let commandMemory: UInt16 = 1 << 1
    static let commandBusMaster: UInt16 = 1 << 2
    static let commandINTxDisable: UInt16 = 1 << 10
    private static let statusHasCapabilities: UInt16 = 1 << 4

    /// A capability list longer than this is malformed (or a loop): 256 bytes of config space hold at
    /// most 48 four-byte-aligned capabilities after the standard header.
    static let maxCapabilities = 48

    let address: PCIAddress
    let vendorID: UInt16
    let deviceID: UInt16
    let classCode: UInt8
    let subclass: UInt8
    let progIF: UInt8
    let headerType: UInt8
    /// Subsystem device ID (type 0 headers; zero for bridges). Transitional virtio devices name their
    /// device type here.
    let subsystemID: UInt16
    let bars: [PCIBar?]

    init(address a: PCIAddress) {
        address = a
        vendorID = PCIConfigSpace.read16(a, PCIFunction.vendorOffset)
        deviceID = PCIConfigSpace.read16(a, PCIFunction.deviceOffset)
        let cls = PCIConfigSpace.read32(a, PCIFunction.classOffset)
        classCode = UInt8(truncatingIfNeeded: cls >> 24)
        subclass = UInt8(truncatingIfNeeded: cls >> 16)
        progIF = UInt8(truncatingIfNeeded: cls >> 8)
        headerType = PCIConfigSpace.read8(a, PCIFunction.headerTypeOffset) & 0x7F
        // Type 0 (endpoint) has six BARs; type 1 (PCI-PCI bridge) two; others none we use.
        let barCount = headerType == 0 ? 6 : headerType == 1 ? 2 : 0
        subsystemID = headerType == 0 ? PCIConfigSpace.read16(a, PCIFunction.subsystemOffset) : 0
        bars = PCIBar.readAll(a, count: barCount)
    }

    func bar(_ index: Int) -> PCIBar? {
        index >= 0 && index < bars.count ? bars[index] : nil
    }

    /// Config-space offsets of each capability with this ID, in list order. Bounded: a malformed list
    /// (a loop, a pointer into the header) ends the walk instead of hanging boot.
    func capabilities(id: UInt8) -> [UInt8] {
        guard PCIConfigSpace.read16(address, PCIFunction.statusOffset) & PCIFunction.statusHasCapabilities != 0 else { return [] }
        var found: [UInt8] = []
        var offset = PCIConfigSpace.read8(address, PCIFunction.capabilitiesOffset) & 0xFC
        var steps = 0
        while offset >= 0x40 && steps < PCIFunction.maxCapabilities {
            if PCIConfigSpace.read8(address, offset) == id { found.append(offset) }
            offset = PCIConfigSpace.read8(address, offset + 1) & 0xFC
            steps += 1
        }
        return found
    }

    /// Lets the device decode its memory BARs and master the bus (DMA into our rings). I/O decoding is
    /// left as firmware set it: no driver here uses port BARs. With `disableINTx` the legacy interrupt
    /// pin is silenced, for devices that signal through MSI-X or are polled.
    func enable(disableINTx: Bool) {
        var command = PCIConfigSpace.read16(address, PCIFunction.commandOffset)
        command |= PCIFunction.commandMemory | PCIFunction.commandBusMaster
        if disableINTx { command |= PCIFunction.commandINTxDisable }
        PCIConfigSpace.write16(address, PCIFunction.commandOffset, command)
    }

    /// `00:03.0 1af4:1041 class 02.00.00`, then one line per BAR.
    var summary: String {
        "\(address.text) \(Hex.text(UInt64(vendorID), minDigits: 4)):\(Hex.text(UInt64(deviceID), minDigits: 4)) class \(Hex.text(UInt64(classCode), minDigits: 2)).\(Hex.text(UInt64(subclass), minDigits: 2)).\(Hex.text(UInt64(progIF), minDigits: 2))"
    }
}
