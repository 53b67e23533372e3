/// The PVH `hvm_start_info` structure QEMU hands the kernel in %ebx: magic, command line and the
/// physical memory map (Xen's public/arch-x86/hvm/start_info.h layout, version 1).
struct StartInfo {
    static let magic: UInt32 = 0x336E_C578
    static let ramType: UInt32 = 1

    struct MemoryRegion {
        var address: UInt64
        var size: UInt64
        var type: UInt32
        var end: UInt64 { address &+ size }
    }

    let base: UnsafeRawPointer

    init?(address: UInt) {
        guard let p = UnsafeRawPointer(bitPattern: address), p.load(as: UInt32.self) == StartInfo.magic else { return nil }
        base = p
    }

    var version: UInt32 { base.load(fromByteOffset: 4, as: UInt32.self) }

    /// The command line bytes (`-append`), without the terminating NUL; bounded in length.
    func commandLine(maxLength: Int = 4096) -> [UInt8] {
        let address = base.load(fromByteOffset: 24, as: UInt64.self)
        guard let p = UnsafePointer<UInt8>(bitPattern: UInt(address)) else { return [] }
        var bytes: [UInt8] = []
        var i = 0
        while i < maxLength && p[i] != 0 { bytes.append(p[i]); i += 1 }
        return bytes
    }

    /// Where the boot loader found the ACPI RSDP (0: not given; the kernel then scans the BIOS areas).
    var rsdpAddress: UInt64 { base.load(fromByteOffset: 32, as: UInt64.self) }
    var commandLineAddress: UInt64 { base.load(fromByteOffset: 24, as: UInt64.self) }
    var memoryMapAddress: UInt64 { version >= 1 ? base.load(fromByteOffset: 40, as: UInt64.self) : 0 }
    var memoryMapCount: Int { version >= 1 ? Int(min(base.load(fromByteOffset: 48, as: UInt32.self), 128)) : 0 }

    /// Visits each memory-map entry. Allocation-free: the heap is placed using this, before it exists.
    func forEachRegion(_ body: (MemoryRegion) -> Void) {
        guard let p = UnsafeRawPointer(bitPattern: UInt(memoryMapAddress)) else { return }
        for i in 0..<memoryMapCount {
            let e = p + i * 24
            body(MemoryRegion(address: e.load(as: UInt64.self), size: e.load(fromByteOffset: 8, as: UInt64.self),
                              type: e.load(fromByteOffset: 16, as: UInt32.self)))
        }
    }

    /// Total usable RAM in the map.
    var ramBytes: UInt64 {
        var total: UInt64 = 0
        forEachRegion { if $0.type == StartInfo.ramType { total &+= $0.size } }
        return total
    }
}
