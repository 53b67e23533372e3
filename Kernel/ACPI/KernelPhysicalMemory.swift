import ACPI

/// The ACPI tables as the kernel reads them: straight from the identity map of the low 4 GiB. Reads
/// are allowed only below the device window (`deviceWindow`, mapped uncached, where a read may reach
/// a device register instead of memory) and only up to `ACPITables.maximumTableLength` at a time.
struct KernelPhysicalMemory: PhysicalMemory {
    static let deviceWindow: UInt64 = 0xC000_0000

    func read(_ address: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, count <= ACPITables<KernelPhysicalMemory>.maximumTableLength,
              address < KernelPhysicalMemory.deviceWindow, UInt64(count) <= KernelPhysicalMemory.deviceWindow - address,
              let p = UnsafePointer<UInt8>(bitPattern: UInt(address)) else { return nil }
        return Array(UnsafeBufferPointer(start: p, count: count))
    }
}
