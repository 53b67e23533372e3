import Bytes

/// One decoded base address register: where the device's registers sit and how large the window is.
struct PCIBar {
    enum Kind { case io, memory32, memory64 }

    var kind: Kind
    var address: UInt64
    var size: UInt64
    var prefetchable: Bool

    var isMemory: Bool { kind != .io }

    var text: String {
        let what: String
        switch kind {
        case .io: what = "io"
        case .memory32: what = "mem32"
        case .memory64: what = "mem64"
        }
        return "\(what) 0x\(Hex.text(address)) size 0x\(Hex.text(size))\(prefetchable ? " pf" : "")"
    }
}

extension PCIBar {
    static let firstBAROffset: UInt8 = 0x10
    private static let ioSpaceBit: UInt32 = 0x1
    private static let typeMask: UInt32 = 0x6
    private static let type64: UInt32 = 0x4
    private static let prefetchBit: UInt32 = 0x8

    /// Decodes the `count` BARs of a function, sizing each the standard way (write all ones, read back
    /// the writable bits, restore). Decoding is switched off meanwhile so the probe value is never
    /// claimed as an address on the bus. A 64-bit BAR fills two slots; the upper slot stays nil.
    static func readAll(_ a: PCIAddress, count: Int) -> [PCIBar?] {
        var bars = [PCIBar?](repeating: nil, count: count)
        let command = PCIConfigSpace.read16(a, PCIFunction.commandOffset)
        PCIConfigSpace.write16(a, PCIFunction.commandOffset, command & ~(PCIFunction.commandIO | PCIFunction.commandMemory))
        var i = 0
        while i < count {
            let offset = firstBAROffset + UInt8(i * 4)
            let low = PCIConfigSpace.read32(a, offset)
            if low & ioSpaceBit != 0 {
                let mask = probe(a, offset, original: low) & ~UInt32(0x3)
                if mask != 0 {
                    bars[i] = PCIBar(kind: .io, address: UInt64(low & ~UInt32(0x3)), size: UInt64(~mask &+ 1) & 0xFFFF, prefetchable: false)
                }
                i += 1
                continue
            }
            let prefetchable = low & prefetchBit != 0
            if low & typeMask == type64 && i + 1 < count {
                let high = PCIConfigSpace.read32(a, offset + 4)
                let maskLow = probe(a, offset, original: low) & ~UInt32(0xF)
                let maskHigh = probe(a, offset + 4, original: high)
                let mask = UInt64(maskHigh) << 32 | UInt64(maskLow)
                if mask != 0 {
                    bars[i] = PCIBar(kind: .memory64, address: UInt64(high) << 32 | UInt64(low & ~UInt32(0xF)),
                                     size: ~mask &+ 1, prefetchable: prefetchable)
                }
                i += 2
                continue
            }
            let mask = probe(a, offset, original: low) & ~UInt32(0xF)
            if mask != 0 {
                bars[i] = PCIBar(kind: .memory32, address: UInt64(low & ~UInt32(0xF)), size: UInt64(~mask &+ 1),
                                 prefetchable: prefetchable)
            }
            i += 1
        }
        PCIConfigSpace.write16(a, PCIFunction.commandOffset, command)
        return bars
    }

    private static func probe(_ a: PCIAddress, _ offset: UInt8, original: UInt32) -> UInt32 {
        PCIConfigSpace.write32(a, offset, 0xFFFF_FFFF)
        let mask = PCIConfigSpace.read32(a, offset)
        PCIConfigSpace.write32(a, offset, original)
        return mask
    }
}
