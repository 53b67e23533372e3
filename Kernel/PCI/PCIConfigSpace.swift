import KernelSupport
import Bytes

/// Where a PCI function sits: bus, device (slot) and function number.
struct PCIAddress: Equatable {
    var bus: UInt8
    var device: UInt8
    var function: UInt8

    /// `bb:dd.f` in hex, as lspci prints it.
    var text: String {
        // Bytes, not String interpolation (a kilobyte of kernel per interpolated call site).
        let out = [Hex.digit(bus >> 4), Hex.digit(bus & 0xF), UInt8(ascii: ":"),
                   Hex.digit(device >> 4), Hex.digit(device & 0xF), UInt8(ascii: "."), Hex.digit(function & 7)]
        return String(decoding: out, as: UTF8.self)
    }
}

/// PCI configuration space through configuration mechanism #1: write the function and register to the
/// address port 0xCF8, then move data through 0xCFC. Every access is a port-I/O pair; the main loop runs
/// with interrupts off, so nothing can interleave between the two halves.
enum PCIConfigSpace {
    static let addressPort: UInt16 = 0xCF8
    static let dataPort: UInt16 = 0xCFC
    private static let enableBit: UInt32 = 1 << 31

    private static func select(_ a: PCIAddress, _ offset: UInt8) {
        outl(addressPort, enableBit | UInt32(a.bus) << 16 | UInt32(a.device & 0x1F) << 11
             | UInt32(a.function & 7) << 8 | UInt32(offset & 0xFC))
    }

    static func read32(_ a: PCIAddress, _ offset: UInt8) -> UInt32 {
        select(a, offset)
        return inl(dataPort)
    }

    static func read16(_ a: PCIAddress, _ offset: UInt8) -> UInt16 {
        UInt16(truncatingIfNeeded: read32(a, offset) >> (UInt32(offset & 2) * 8))
    }

    static func read8(_ a: PCIAddress, _ offset: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: read32(a, offset) >> (UInt32(offset & 3) * 8))
    }

    static func write32(_ a: PCIAddress, _ offset: UInt8, _ value: UInt32) {
        select(a, offset)
        outl(dataPort, value)
    }

    /// 16-bit write through the matching byte lanes of the data port (no read-modify-write, so
    /// write-1-to-clear bits in the neighbouring register are left alone).
    static func write16(_ a: PCIAddress, _ offset: UInt8, _ value: UInt16) {
        select(a, offset)
        outw(dataPort + UInt16(offset & 2), value)
    }
}
