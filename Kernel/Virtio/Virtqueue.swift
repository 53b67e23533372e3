import KernelSupport
import _Volatile

/// A split virtqueue (virtio 1.x, section 2.7): the descriptor table, the available ring (driver to
/// device) and the used ring (device to driver), each in its own zeroed heap page run; identity mapping
/// makes their addresses physical.
///
/// The drivers here bind descriptors to buffers for the queue's lifetime (descriptor i always describes
/// buffer i, or request slot i), so the hot path only writes a length and a ring entry: no descriptor
/// free list, no per-packet allocation.
///
/// Interrupt suppression: receive and completion queues keep interrupts on (avail flags 0), transmit
/// queues ask for none. VIRTIO_F_EVENT_IDX is not negotiated: interrupts are enabled only while the CPU
/// halts, so however many buffers the device returns while the main loop runs, they coalesce into one
/// pending interrupt per vector, which is the saving event-index would buy, without its lost-wakeup
/// re-check. Doorbells honour the device's NO_NOTIFY flag.
///
/// Ordering: x86 keeps stores in order and loads in order, so a compiler barrier is enough between
/// filling a descriptor and publishing the ring index, and between reading the used index and its
/// entries. Publishing an index and then checking whether the device wants a notification is a
/// store-then-load pair, which needs a full fence.
final class Virtqueue {
    static let flagNext: UInt16 = 1
    static let flagWrite: UInt16 = 2
    private static let availNoInterrupt: UInt16 = 1
    private static let usedNoNotify: UInt16 = 1
    private static let descriptorBytes = 16
    private static let usedEntryBytes = 8
    private static let ringHeaderBytes = 4       // flags, idx

    let index: UInt16
    let size: Int
    let descriptorTable: UnsafeMutableRawPointer
    let availRing: UnsafeMutableRawPointer
    let usedRing: UnsafeMutableRawPointer
    private let notifyAddress: UInt

    /// Entries written to the available ring, including ones not yet made visible.
    private var nextAvail: UInt16 = 0
    private var publishedAvail: UInt16 = 0
    /// Next used-ring entry to consume.
    private var lastUsed: UInt16 = 0
    /// Doorbell writes, and doorbells the device said it did not need.
    private(set) var notifications: UInt64 = 0
    private(set) var notificationsSuppressed: UInt64 = 0

    /// Nil when the heap cannot hold the rings.
    init?(index: UInt16, size: Int, notifyAddress: UInt) {
        let descBytes = Virtqueue.descriptorBytes * size
        let availBytes = Virtqueue.ringHeaderBytes + 2 * size + 2
        let usedBytes = Virtqueue.ringHeaderBytes + Virtqueue.usedEntryBytes * size + 2
        guard let d = Virtqueue.zeroedPages(descBytes) else { return nil }
        guard let a = Virtqueue.zeroedPages(availBytes) else { Heap.free(d); return nil }
        guard let u = Virtqueue.zeroedPages(usedBytes) else { Heap.free(d); Heap.free(a); return nil }
        self.index = index
        self.size = size
        self.notifyAddress = notifyAddress
        descriptorTable = d
        availRing = a
        usedRing = u
    }

    private static func zeroedPages(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard let p = Heap.allocate(size: bytes, alignment: Heap.pageSize) else { return nil }
        p.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return p
    }

    static func physical(_ p: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: p)) }

    func setDescriptor(_ i: Int, address: UInt64, length: Int, flags: UInt16, next: UInt16 = 0) {
        precondition(i >= 0 && i < size, "virtqueue descriptor out of range")
        let d = descriptorTable + i * Virtqueue.descriptorBytes
        d.storeBytes(of: address.littleEndian, toByteOffset: 0, as: UInt64.self)
        d.storeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian, toByteOffset: 8, as: UInt32.self)
        d.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt16.self)
        d.storeBytes(of: next.littleEndian, toByteOffset: 14, as: UInt16.self)
    }

    func setLength(_ i: Int, _ length: Int) {
        precondition(i >= 0 && i < size, "virtqueue descriptor out of range")
        (descriptorTable + i * Virtqueue.descriptorBytes)
            .storeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian, toByteOffset: 8, as: UInt32.self)
    }

    /// Places the chain starting at `head` in the available ring; invisible to the device until `kick`.
    func enqueue(head: Int) {
        let slot = Int(nextAvail) % size
        availRing.storeBytes(of: UInt16(truncatingIfNeeded: head).littleEndian,
                             toByteOffset: Virtqueue.ringHeaderBytes + 2 * slot, as: UInt16.self)
        nextAvail &+= 1
    }

    /// Entries enqueued but not yet made visible.
    var unpublished: Int { Int(nextAvail &- publishedAvail) }

    /// Makes every enqueued chain visible, then rings the doorbell once unless the device asked not to be
    /// notified (it is already processing the queue).
    func kick() {
        guard nextAvail != publishedAvail else { return }
        compiler_barrier()                                   // ring entries before the index
        availIndexRegister.store(nextAvail.littleEndian)
        publishedAvail = nextAvail
        cpu_memory_barrier()                                 // index visible before we read the flag
        if UInt16(littleEndian: usedFlagsRegister.load()) & Virtqueue.usedNoNotify != 0 {
            notificationsSuppressed &+= 1
            return
        }
        MMIO.write16(notifyAddress, index)
        notifications &+= 1
    }

    /// True when the device has returned chains we have not consumed.
    var hasUsed: Bool { UInt16(littleEndian: usedIndexRegister.load()) != lastUsed }

    /// Chains the device has returned but we have not consumed.
    var usedPending: Int { Int(UInt16(littleEndian: usedIndexRegister.load()) &- lastUsed) }

    /// The next chain the device finished: its head descriptor and the bytes it wrote.
    func popUsed() -> (id: Int, length: Int)? {
        guard hasUsed else { return nil }
        compiler_barrier()                                   // the index before the entry it covers
        let entry = Virtqueue.ringHeaderBytes + Virtqueue.usedEntryBytes * (Int(lastUsed) % size)
        let id = UInt32(littleEndian: usedRing.load(fromByteOffset: entry, as: UInt32.self))
        let length = UInt32(littleEndian: usedRing.load(fromByteOffset: entry + 4, as: UInt32.self))
        lastUsed &+= 1
        return (Int(id), Int(length))
    }

    /// Asks the device not to interrupt for this queue (a hint: it may still do so).
    func suppressInterrupts() {
        availFlagsRegister.store(Virtqueue.availNoInterrupt.littleEndian)
    }

    // The shared index and flag words are read and written with volatile accesses: the device changes
    // them behind the compiler's back.
    private var availFlagsRegister: VolatileMappedRegister<UInt16> {
        VolatileMappedRegister(unsafeBitPattern: UInt(bitPattern: availRing))
    }
    private var availIndexRegister: VolatileMappedRegister<UInt16> {
        VolatileMappedRegister(unsafeBitPattern: UInt(bitPattern: availRing) + 2)
    }
    private var usedFlagsRegister: VolatileMappedRegister<UInt16> {
        VolatileMappedRegister(unsafeBitPattern: UInt(bitPattern: usedRing))
    }
    private var usedIndexRegister: VolatileMappedRegister<UInt16> {
        VolatileMappedRegister(unsafeBitPattern: UInt(bitPattern: usedRing) + 2)
    }
}
