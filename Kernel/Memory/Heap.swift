import KernelSupport

/// The kernel heap behind posix_memalign/malloc/free, which Embedded Swift's runtime calls for every
/// class instance, array and string.
///
/// Layout: one contiguous RAM range, split into 4 KiB pages. A descriptor word per page (kept at the
/// start of the range) says what the page is. Small requests (<= 2 KiB) come from power-of-two size
/// classes carved out of whole pages, with a free list per class: O(1) and naturally aligned to the block
/// size. Larger requests take runs of whole pages from an address-ordered free list, first fit, with
/// boundary tags so neighbouring free runs merge on free. No locks: one core, and interrupt handlers
/// never allocate.
///
/// Out of memory: `allocate` returns nil and counts the failure; the C entry points the Swift runtime
/// uses treat that as fatal and print a panic report naming the size asked for.
enum Heap {
    static let pageSize = 4096
    static let smallestClassShift = 4          // 16 bytes
    static let classCount = 8                  // 16, 32, ... 2048
    static var largestSmallBlock: Int { 1 << (smallestClassShift + classCount - 1) }

    // Page descriptor kinds (top 4 bits) and payload (low 28 bits).
    private static let kindMask: UInt32 = 0xF000_0000
    private static let payloadMask: UInt32 = 0x0FFF_FFFF
    private static let kindSlab: UInt32 = 0x1000_0000       // payload: size class
    private static let kindUsedRun: UInt32 = 0x2000_0000    // head page; payload: pages in run
    private static let kindFreeRun: UInt32 = 0x3000_0000    // head and tail page; payload: pages in run
    private static let kindInterior: UInt32 = 0x4000_0000   // a used run's other pages

    nonisolated(unsafe) private static var base: UInt = 0          // first managed page
    nonisolated(unsafe) private static var pageCount: Int = 0
    nonisolated(unsafe) private static var descriptors = UnsafeMutablePointer<UInt32>(bitPattern: 0)
    nonisolated(unsafe) private static var classHeads = UnsafeMutablePointer<UInt>(bitPattern: 0)
    nonisolated(unsafe) private static var freeRuns: UInt = 0       // address of the first free run

    struct Statistics {
        var bytesInUse = 0
        var peakBytesInUse = 0
        var allocations: UInt64 = 0
        var frees: UInt64 = 0
        var failedAllocations: UInt64 = 0
        var invalidFrees: UInt64 = 0
        var capacityBytes = 0
    }
    nonisolated(unsafe) static private(set) var stats = Statistics()

    /// Takes [start, end) for the heap. Must run before anything allocates.
    static func initialize(start: UInt, end: UInt) {
        let first = (start + UInt(pageSize) - 1) & ~UInt(pageSize - 1)
        let last = end & ~UInt(pageSize - 1)
        guard last > first + UInt(4 * pageSize) else { Panic.halt("heap: no usable memory") }
        let total = Int((last - first) / UInt(pageSize))
        // Metadata first: descriptors (4 bytes a page) and the class heads, in whole pages.
        let metaBytes = total * 4 + classCount * MemoryLayout<UInt>.size
        let metaPages = (metaBytes + pageSize - 1) / pageSize
        descriptors = UnsafeMutablePointer<UInt32>(bitPattern: first)
        classHeads = UnsafeMutablePointer<UInt>(bitPattern: first + UInt(total * 4))
        base = first + UInt(metaPages * pageSize)
        pageCount = total - metaPages
        for i in 0..<pageCount { descriptors![i] = 0 }
        for c in 0..<classCount { classHeads![c] = 0 }
        freeRuns = 0
        stats = Statistics()
        stats.capacityBytes = pageCount * pageSize
        insertFreeRun(page: 0, pages: pageCount)
    }

    static var managedRange: (start: UInt, end: UInt) { (base, base + UInt(pageCount * pageSize)) }

    /// Memory or nil. `alignment` must be a power of two, at most one page.
    static func allocate(size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= pageSize, size >= 0 else {
            stats.failedAllocations &+= 1
            return nil
        }
        let needed = Swift.max(size, alignment, 1)
        let result: UnsafeMutableRawPointer?
        let accounted: Int
        if needed <= largestSmallBlock {
            let cls = sizeClass(needed)
            result = allocateSmall(cls)
            accounted = 1 << (cls + smallestClassShift)
        } else {
            let pages = (needed + pageSize - 1) / pageSize
            result = allocatePages(pages)
            accounted = pages * pageSize
        }
        guard let p = result else { stats.failedAllocations &+= 1; return nil }
        stats.allocations &+= 1
        stats.bytesInUse += accounted
        if stats.bytesInUse > stats.peakBytesInUse { stats.peakBytesInUse = stats.bytesInUse }
        return p
    }

    static func free(_ pointer: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: pointer)
        guard address >= base, address < base + UInt(pageCount * pageSize) else { stats.invalidFrees &+= 1; return }
        let page = Int((address - base) / UInt(pageSize))
        let d = descriptors![page]
        switch d & kindMask {
        case kindSlab:
            let cls = Int(d & payloadMask)
            let blockSize = UInt(1) << UInt(cls + smallestClassShift)
            guard address & (blockSize - 1) == 0 else { stats.invalidFrees &+= 1; return }
            pointer.storeBytes(of: classHeads![cls], as: UInt.self)
            classHeads![cls] = address
            stats.bytesInUse -= Int(blockSize)
        case kindUsedRun:
            guard address == pageAddress(page) else { stats.invalidFrees &+= 1; return }
            let pages = Int(d & payloadMask)
            stats.bytesInUse -= pages * pageSize
            for i in page..<(page + pages) { descriptors![i] = 0 }
            insertFreeRun(page: page, pages: pages)
        default:
            stats.invalidFrees &+= 1
            return
        }
        stats.frees &+= 1
    }

    /// Usable size of an allocation (for realloc).
    static func usableSize(_ pointer: UnsafeMutableRawPointer) -> Int {
        let page = Int((UInt(bitPattern: pointer) - base) / UInt(pageSize))
        let d = descriptors![page]
        return d & kindMask == kindSlab ? 1 << (Int(d & payloadMask) + smallestClassShift) : Int(d & payloadMask) * pageSize
    }

    // MARK: small blocks

    /// The smallest class whose blocks hold `size` bytes: the bit length of `size - 1`, less the
    /// smallest class's shift (no loop: this runs for every allocation the stack makes).
    private static func sizeClass(_ size: Int) -> Int {
        guard size > 1 << smallestClassShift else { return 0 }
        return (Int.bitWidth - (size - 1).leadingZeroBitCount) - smallestClassShift
    }

    private static func allocateSmall(_ cls: Int) -> UnsafeMutableRawPointer? {
        if classHeads![cls] == 0 {
            guard let page = takeFreePages(1) else { return nil }
            descriptors![page] = kindSlab | UInt32(cls)
            let blockSize = 1 << (cls + smallestClassShift)
            let start = pageAddress(page)
            // Thread the page's blocks onto the class list, lowest address first.
            var offset = pageSize - blockSize
            while offset >= 0 {
                UnsafeMutableRawPointer(bitPattern: start + UInt(offset))!.storeBytes(of: classHeads![cls], as: UInt.self)
                classHeads![cls] = start + UInt(offset)
                offset -= blockSize
            }
        }
        let block = classHeads![cls]
        let p = UnsafeMutableRawPointer(bitPattern: block)!
        classHeads![cls] = p.load(as: UInt.self)
        return p
    }

    // MARK: page runs

    private static func pageAddress(_ page: Int) -> UInt { base + UInt(page * pageSize) }
    private static func pageIndex(_ address: UInt) -> Int { Int((address - base) / UInt(pageSize)) }

    private static func allocatePages(_ pages: Int) -> UnsafeMutableRawPointer? {
        guard let page = takeFreePages(pages) else { return nil }
        descriptors![page] = kindUsedRun | UInt32(pages)
        for i in (page + 1)..<(page + pages) { descriptors![i] = kindInterior }
        return UnsafeMutableRawPointer(bitPattern: pageAddress(page))
    }

    /// Next-pointer of a free run, stored in its first page.
    private static func nextRun(_ run: UInt) -> UInt { UnsafeRawPointer(bitPattern: run)!.load(as: UInt.self) }
    private static func setNextRun(_ run: UInt, _ next: UInt) {
        UnsafeMutableRawPointer(bitPattern: run)!.storeBytes(of: next, as: UInt.self)
    }
    private static func runPages(_ run: UInt) -> Int { Int(descriptors![pageIndex(run)] & payloadMask) }

    private static func markFree(page: Int, pages: Int) {
        descriptors![page] = kindFreeRun | UInt32(pages)
        descriptors![page + pages - 1] = kindFreeRun | UInt32(pages)
    }

    /// First fit: takes `pages` from the start of the first run that is large enough.
    private static func takeFreePages(_ pages: Int) -> Int? {
        var previous: UInt = 0
        var run = freeRuns
        while run != 0 {
            let size = runPages(run)
            if size >= pages {
                let page = pageIndex(run)
                let next = nextRun(run)
                var replacement = next
                if size > pages {
                    let rest = pageAddress(page + pages)
                    markFree(page: page + pages, pages: size - pages)
                    setNextRun(rest, next)
                    replacement = rest
                }
                if previous == 0 { freeRuns = replacement } else { setNextRun(previous, replacement) }
                for i in page..<(page + pages) { descriptors![i] = 0 }
                return page
            }
            previous = run
            run = nextRun(run)
        }
        return nil
    }

    /// Returns a run to the address-ordered list, merging with free neighbours on both sides.
    private static func insertFreeRun(page: Int, pages: Int) {
        var start = page
        var count = pages
        var previous: UInt = 0
        var run = freeRuns
        while run != 0 && run < pageAddress(start) { previous = run; run = nextRun(run) }
        // Merge with the following run.
        if run != 0 && run == pageAddress(start + count) {
            let following = run
            count += runPages(following)
            run = nextRun(following)
            descriptors![pageIndex(following)] = 0
        }
        // Merge with the preceding run (its tail tag sits just below us).
        if previous != 0 && pageIndex(previous) + runPages(previous) == start {
            descriptors![start - 1] = 0
            start = pageIndex(previous)
            count += runPages(previous)
            markFree(page: start, pages: count)
            setNextRun(previous, run)
            return
        }
        markFree(page: start, pages: count)
        setNextRun(pageAddress(start), run)
        if previous == 0 { freeRuns = pageAddress(start) } else { setNextRun(previous, pageAddress(start)) }
    }
}

// MARK: the allocator entry points Boot/runtime.c exposes as posix_memalign/malloc/free

/// The Swift runtime cannot continue without memory, so failure here is fatal, with a report that
/// names the size asked for. (Code that can cope with refusal calls `Heap.allocate` and gets nil.)
@_cdecl("kernel_heap_allocate")
func kernelHeapAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer {
    guard let p = Heap.allocate(size: size, alignment: alignment) else { HeapPanic.outOfMemory(size) }
    return p
}

@_cdecl("kernel_heap_free")
func kernelHeapFree(_ pointer: UnsafeMutableRawPointer) {
    Heap.free(pointer)
}

enum HeapPanic {
    static func outOfMemory(_ size: Int) -> Never {
        Log.Raw.write("\nPANIC: out of memory: allocation of ")
        Log.Raw.decimal(UInt64(size))
        Log.Raw.write(" bytes failed; in use ")
        Log.Raw.decimal(UInt64(Heap.stats.bytesInUse))
        Log.Raw.write(" of ")
        Log.Raw.decimal(UInt64(Heap.stats.capacityBytes))
        Log.Raw.write("\n")
        Panic.stop()
    }
}
