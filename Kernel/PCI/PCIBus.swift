/// Enumeration: every function on every bus, by brute force over configuration mechanism #1. 256 buses
/// x 32 slots is 8192 probes of the vendor register, well under a millisecond even emulated, and it
/// needs no trust in bridge bus-number programming.
enum PCIBus {
    static let busCount = 256
    static let slotsPerBus = 32
    static let functionsPerSlot = 8
    private static let absentVendor: UInt16 = 0xFFFF
    private static let multiFunctionBit: UInt8 = 0x80

    static func enumerate() -> [PCIFunction] {
        var found: [PCIFunction] = []
        for bus in 0..<busCount {
            for slot in 0..<slotsPerBus {
                let first = PCIAddress(bus: UInt8(bus), device: UInt8(slot), function: 0)
                guard PCIConfigSpace.read16(first, PCIFunction.vendorOffset) != absentVendor else { continue }
                let multi = PCIConfigSpace.read8(first, PCIFunction.headerTypeOffset) & multiFunctionBit != 0
                for function in 0..<(multi ? functionsPerSlot : 1) {
                    let a = PCIAddress(bus: UInt8(bus), device: UInt8(slot), function: UInt8(function))
                    guard PCIConfigSpace.read16(a, PCIFunction.vendorOffset) != absentVendor else { continue }
                    found.append(PCIFunction(address: a))
                }
            }
        }
        return found
    }
}
