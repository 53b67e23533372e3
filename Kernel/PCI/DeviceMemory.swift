import KernelSupport

/// Virtual addresses for device register windows (memory BARs).
///
/// The boot page tables identity-map the low 4 GiB with the top GiB uncached, which is where firmware
/// puts 32-bit BARs. A 64-bit BAR above 4 GiB gets new uncached 2 MiB identity mappings here (page
/// directories from the heap, hung off the boot PDPT). A window we cannot map safely is refused with
/// a reason, and the driver skips the device.
enum DeviceMemory {
    static let uncachedStart: UInt64 = 3 << 30
    static let bootMappedEnd: UInt64 = 4 << 30
    /// One PML4 entry (the boot one) covers 512 GiB; firmware never places BARs beyond it on QEMU.
    static let mappableEnd: UInt64 = 512 << 30
    private static let largePage: UInt64 = 2 << 20
    private static let entriesPerTable = 512
    private static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    private static let present: UInt64 = 0x1
    private static let writable: UInt64 = 0x2
    private static let writeThrough: UInt64 = 0x8
    private static let cacheDisable: UInt64 = 0x10
    private static let pageSizeBit: UInt64 = 0x80

    enum MapError: Error {
        case cachedRegion, beyondMappableRange, noMemoryForPageTables

        var reason: String {
            switch self {
            case .cachedRegion: return "lies in cached RAM mappings below 3 GiB"
            case .beyondMappableRange: return "lies beyond 512 GiB"
            case .noMemoryForPageTables: return "no memory for page tables"
            }
        }
    }

    nonisolated(unsafe) static private(set) var highMappings: UInt64 = 0

    /// The virtual address of `bar`'s window (identity mapping, so equal to its physical address).
    static func map(_ bar: PCIBar) throws(MapError) -> UInt {
        let start = bar.address
        let end = bar.address &+ bar.size
        guard end > start, start >= uncachedStart else { throw .cachedRegion }
        if end <= bootMappedEnd { return UInt(start) }
        guard end <= mappableEnd else { throw .beyondMappableRange }
        var page = start & ~(largePage - 1)
        while page < end {
            if page >= bootMappedEnd { try mapLargePage(page) }
            page += largePage
        }
        cpu_write_cr3(cpu_read_cr3())       // flush the TLB (only needed if an entry had been cached)
        return UInt(start)
    }

    /// Identity-maps one uncached 2 MiB page at `physical` (>= 4 GiB), creating its page directory.
    private static func mapLargePage(_ physical: UInt64) throws(MapError) {
        let pml4 = UnsafeMutablePointer<UInt64>(bitPattern: UInt(cpu_read_cr3() & addressMask))!
        let pdpt = UnsafeMutablePointer<UInt64>(bitPattern: UInt(pml4[0] & addressMask))!
        let gib = Int(physical >> 30)
        if pdpt[gib] & present == 0 {
            guard let table = Heap.allocate(size: Heap.pageSize, alignment: Heap.pageSize) else { throw .noMemoryForPageTables }
            table.initializeMemory(as: UInt8.self, repeating: 0, count: Heap.pageSize)
            pdpt[gib] = UInt64(UInt(bitPattern: table)) | present | writable
        }
        let pd = UnsafeMutablePointer<UInt64>(bitPattern: UInt(pdpt[gib] & addressMask))!
        let slot = Int((physical >> 21) & UInt64(entriesPerTable - 1))
        if pd[slot] & present == 0 {
            pd[slot] = physical | present | writable | writeThrough | cacheDisable | pageSizeBit
            highMappings &+= 1
        }
    }
}
