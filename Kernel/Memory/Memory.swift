import KernelSupport

/// Physical memory at boot: find the RAM the PVH memory map reports, and give the largest usable range
/// above the kernel image to the heap. Everything is identity-mapped (Boot/pvh.S maps the low 4 GiB).
enum Memory {
    /// The boot page tables map the low 4 GiB; the heap stays below that.
    static let mappedLimit: UInt64 = 4 << 30

    nonisolated(unsafe) static private(set) var ramMiB: UInt64 = 0

    static func initialize(_ startInfo: StartInfo) {
        ramMiB = startInfo.ramBytes >> 20
        let kernelEnd = UInt64(kernel_end_address())
        var best: (start: UInt64, end: UInt64) = (0, 0)
        startInfo.forEachRegion { region in
            guard region.type == StartInfo.ramType else { return }
            let start = max(region.address, kernelEnd)
            let end = min(region.end, mappedLimit)
            if end > start && end - start > best.end - best.start { best = (start, end) }
        }
        // Boot data QEMU placed in RAM (start info, command line, memory map) must survive until read:
        // start the heap above any of it that falls inside the chosen range.
        // (No arrays here: nothing may allocate before the heap exists.)
        func keepClear(of address: UInt64) {
            if address >= best.start && address < best.end { best.start = address + 8192 }
        }
        keepClear(of: UInt64(UInt(bitPattern: startInfo.base)))
        keepClear(of: startInfo.commandLineAddress)
        keepClear(of: startInfo.memoryMapAddress)
        guard best.end > best.start else { Panic.halt("no usable RAM above the kernel in the PVH memory map") }
        Heap.initialize(start: UInt(best.start), end: UInt(best.end))
    }
}
