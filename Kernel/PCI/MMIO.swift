import _Volatile

/// Volatile loads and stores of device registers (BARs, the APIC). Every access reaches the device in
/// program order; the compiler may neither merge, elide nor reorder them. The mappings themselves are
/// uncached (see DeviceMemory).
enum MMIO {
    static func read8(_ address: UInt) -> UInt8 { VolatileMappedRegister<UInt8>(unsafeBitPattern: address).load() }
    static func read16(_ address: UInt) -> UInt16 { VolatileMappedRegister<UInt16>(unsafeBitPattern: address).load() }
    static func read32(_ address: UInt) -> UInt32 { VolatileMappedRegister<UInt32>(unsafeBitPattern: address).load() }
    static func write8(_ address: UInt, _ v: UInt8) { VolatileMappedRegister<UInt8>(unsafeBitPattern: address).store(v) }
    static func write16(_ address: UInt, _ v: UInt16) { VolatileMappedRegister<UInt16>(unsafeBitPattern: address).store(v) }
    static func write32(_ address: UInt, _ v: UInt32) { VolatileMappedRegister<UInt32>(unsafeBitPattern: address).store(v) }

    /// 64-bit registers as two 32-bit halves, low first: the virtio spec allows it, and it is how every
    /// PCI device must accept them.
    static func write64(_ address: UInt, _ v: UInt64) {
        write32(address, UInt32(truncatingIfNeeded: v))
        write32(address + 4, UInt32(truncatingIfNeeded: v >> 32))
    }
}
