import KernelSupport

/// Virtual addresses for device register windows (memory BARs), always identity-mapped and uncached.
///
/// The boot page tables identity-map the low 4 GiB in 2 MiB pages, the top GiB uncached: that is where
/// firmware usually puts 32-bit BARs, and then there is nothing to do. A BAR elsewhere gets its 2 MiB
/// pages made uncached here: below 4 GiB by rewriting the boot entry's cache bits, above 4 GiB (64-bit
/// BARs) with new page directories from the heap hung off the boot PDPT. A window that cannot be mapped
/// is refused with a reason, and the driver skips the device.
enum DeviceMemory {
    static let uncachedStart: UInt64 = 3 << 30
    static let bootMappedEnd: UInt64 = 4 << 30
    /// The boot PML4 entry covers 512 GiB; QEMU's firmware never places BARs beyond it.
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
        case empty, beyondMappableRange, noMemoryForPageTables, unexpectedPageTables

        var reason: String {
            switch self {
            case .empty: return "has no size"
            case .beyondMappableRange: return "lies beyond 512 GiB"
            case .noMemoryForPageTables: return "needs page tables and the heap is full"
            case .unexpectedPageTables: return "is covered by a 1 GiB page"
            }
        }
    }

    /// 2 MiB pages this module created or made uncached (for the boot log).
    nonisolated(unsafe) static private(set) var pagesMapped: UInt64 = 0

    /// The virtual address of `bar`'s window (identity mapping, so equal to its physical address).
    static func map(_ bar: PCIBar) throws(MapError) -> UInt {
        let start = bar.address
        let end = bar.address &+ bar.size
        guard end > start else { throw .empty }
        guard end <= mappableEnd else { throw .beyondMappableRange }
        if start >= uncachedStart && end <= bootMappedEnd { return UInt(start) }
        var changed = false
        var page = start & ~(largePage - 1)
        while page < end {
            if try mapUncached(page) { changed = true }
            page += largePage
        }
        if changed { cpu_write_cr3(cpu_read_cr3()) }     // drop stale (cached) translations
        return UInt(start)
    }

    /// Makes the 2 MiB page at `physical` an uncached identity mapping; true if an entry changed.
    private static func mapUncached(_ physical: UInt64) throws(MapError) -> Bool {
        let pml4 = UnsafeMutablePointer<UInt64>(bitPattern: UInt(cpu_read_cr3() & addressMask))!
        let pdpt = UnsafeMutablePointer<UInt64>(bitPattern: UInt(pml4[0] & addressMask))!
        let gib = Int(physical >> 30)
        if pdpt[gib] & present == 0 {
            guard let table = Heap.allocate(size: Heap.pageSize, alignment: Heap.pageSize) else { throw .noMemoryForPageTables }
            table.initializeMemory(as: UInt8.self, repeating: 0, count: Heap.pageSize)
            pdpt[gib] = UInt64(UInt(bitPattern: table)) | present | writable
        }
        guard pdpt[gib] & pageSizeBit == 0 else { throw .unexpectedPageTables }
        let pd = UnsafeMutablePointer<UInt64>(bitPattern: UInt(pdpt[gib] & addressMask))!
        let slot = Int((physical >> 21) & UInt64(entriesPerTable - 1))
        let entry = physical | present | writable | writeThrough | cacheDisable | pageSizeBit
        guard pd[slot] != entry else { return false }
        pd[slot] = entry
        pagesMapped &+= 1
        return true
    }
}
