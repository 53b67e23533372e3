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
/// Notification suppression (spec 2.7.7 and 2.7.10), in both directions:
/// - Interrupts are wanted only while the CPU is about to halt (NAPI style). The main loop runs with
///   interrupts masked, so an interrupt raised while it works is not taken but is not free either: the
///   host delivers an MSI per buffer, and the pending interrupt wakes the next halt at once for a pass
///   with nothing to do. So a queue asks for none while the loop is busy (`disableInterrupts`) and asks
///   again just before the halt (`enableInterrupts`), re-checking the used ring after a full fence: a
///   buffer the device returned before it could see the request is found by the check, one returned
///   after it raises the interrupt. No wakeup is lost either way.
/// - With VIRTIO_F_EVENT_IDX the flags stay 0 and the two sides publish indices instead: `used_event`
///   (after the available ring) says which used entry should interrupt, `avail_event` (after the used
///   ring) which available entry the device wants to hear about. An interrupt fires only when the used
///   index crosses `used_event`, so "disabled" is a `used_event` the device has already passed, and
///   `enableInterrupts(afterCompleting:)` asks for one interrupt after a batch rather than the first
///   buffer. Without the feature the flags are used as hints (NO_INTERRUPT, NO_NOTIFY).
/// Every doorbell honours the device's wish, so a device already working through the queue is not told
/// again.
///
/// Ordering: x86 keeps stores in order and loads in order, so a compiler barrier is enough between
/// filling a descriptor and publishing the ring index, and between reading the used index and its
/// entries. Publishing an index and then checking whether the device wants a notification is a
/// store-then-load pair, which needs a full fence.
final class Virtqueue {
    /// VIRTIO_F_EVENT_IDX (spec 6): `used_event` and `avail_event` replace the suppression flags.
    static let featureEventIndex: UInt64 = 1 << 29
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
    private let doorbell: Doorbell

    /// Where `kick` writes the queue index: PCI notify capabilities take 16-bit writes, the MMIO
    /// transport's QueueNotify register only 32-bit ones (QEMU ignores other widths).
    enum Doorbell {
        case register16(UInt)
        case register32(UInt)
    }
    /// VIRTIO_F_EVENT_IDX was negotiated for this device.
    let eventIndex: Bool

    /// Entries written to the available ring, including ones not yet made visible.
    private var nextAvail: UInt16 = 0
    private var publishedAvail: UInt16 = 0
    /// Next used-ring entry to consume.
    private var lastUsed: UInt16 = 0
    /// Doorbell writes, and doorbells the device said it did not need.
    private(set) var notifications: UInt64 = 0
    private(set) var notificationsSuppressed: UInt64 = 0
    /// Whether the device was last asked to interrupt (the rings start with interrupts on).
    private(set) var interruptsEnabled = true

    /// Published available entries, and the used entries not yet consumed: what the device holds.
    var outstanding: Int { Int(publishedAvail &- lastUsed) }

    /// Nil when the heap cannot hold the rings.
    init?(index: UInt16, size: Int, doorbell: Doorbell, eventIndex: Bool) {
        let descBytes = Virtqueue.descriptorBytes * size
        let availBytes = Virtqueue.ringHeaderBytes + 2 * size + 2
        let usedBytes = Virtqueue.ringHeaderBytes + Virtqueue.usedEntryBytes * size + 2
        guard let d = Virtqueue.zeroedPages(descBytes) else { return nil }
        guard let a = Virtqueue.zeroedPages(availBytes) else { Heap.free(d); return nil }
        guard let u = Virtqueue.zeroedPages(usedBytes) else { Heap.free(d); Heap.free(a); return nil }
        self.index = index
        self.size = size
        self.doorbell = doorbell
        self.eventIndex = eventIndex
        descriptorTable = d
        availRing = a
        usedRing = u
    }

    /// The largest power of two the device offers (`offered`, 0: no such queue) and `limit` allows.
    static func size(offered: Int, limit: Int) -> Int {
        var size = 1
        while size * 2 <= Swift.min(offered, limit) { size *= 2 }
        return size
    }

    private static func zeroedPages(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard let p = Heap.allocate(size: bytes, alignment: Heap.pageSize) else { return nil }
        p.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return p
    }

    /// The address a device uses for `p` (the kernel maps memory one to one): rings, buffers, and the
    /// send-buffer runs a transmit chain lends.
    static func physical(_ p: UnsafeRawPointer) -> UInt64 { UInt64(UInt(bitPattern: p)) }

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
    /// notified: with event indices, unless the entries just published include the one it waits for
    /// (`avail_event`); otherwise unless it set NO_NOTIFY (it is already processing the queue).
    func kick() {
        guard nextAvail != publishedAvail else { return }
        let old = publishedAvail
        compiler_barrier()                                   // ring entries before the index
        availIndexRegister.store(nextAvail.littleEndian)
        publishedAvail = nextAvail
        cpu_memory_barrier()                                 // index visible before we read the device's wish
        let wanted = eventIndex
            ? Virtqueue.crossed(UInt16(littleEndian: availEventRegister.load()), from: old, to: nextAvail)
            : UInt16(littleEndian: usedFlagsRegister.load()) & Virtqueue.usedNoNotify == 0
        guard wanted else {
            notificationsSuppressed &+= 1
            return
        }
        switch doorbell {
        case .register16(let address): MMIO.write16(address, index)
        case .register32(let address): MMIO.write32(address, UInt32(index))
        }
        notifications &+= 1
    }

    /// True when moving an index from `old` to `new` passes `event` (it becomes event + 1 or beyond), in
    /// 16-bit wrapping arithmetic: the spec's vring_need_event rule, for both directions.
    static func crossed(_ event: UInt16, from old: UInt16, to new: UInt16) -> Bool {
        new &- event &- 1 < new &- old
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

    /// Asks the device not to interrupt for this queue (a hint: it may still do so, and with event
    /// indices it will once every 65,536 buffers, when the used index wraps round to `used_event`).
    func disableInterrupts() {
        guard interruptsEnabled else { return }
        interruptsEnabled = false
        if eventIndex {
            usedEventRegister.store((lastUsed &- 1).littleEndian)     // already passed
        } else {
            availFlagsRegister.store(Virtqueue.availNoInterrupt.littleEndian)
        }
    }

    /// Asks for an interrupt when the device returns the next chain, or (with event indices) once
    /// `count` more chains have come back, and reports whether some already have: then the caller must
    /// consume them instead of halting, because they raise no interrupt. The fence orders our request
    /// before the re-check, against the device's "publish used index, then read our request".
    func enableInterrupts(afterCompleting count: Int = 1) -> Bool {
        interruptsEnabled = true
        if eventIndex {
            usedEventRegister.store((lastUsed &+ UInt16(truncatingIfNeeded: Swift.max(count, 1) - 1)).littleEndian)
        } else {
            availFlagsRegister.store(0)
        }
        cpu_memory_barrier()
        return hasUsed
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
    /// used_event: the word after the available ring's entries.
    private var usedEventRegister: VolatileMappedRegister<UInt16> {
        VolatileMappedRegister(unsafeBitPattern: UInt(bitPattern: availRing) + UInt(Virtqueue.ringHeaderBytes + 2 * size))
    }
    /// avail_event: the word after the used ring's entries.
    private var availEventRegister: VolatileMappedRegister<UInt16> {
        VolatileMappedRegister(unsafeBitPattern: UInt(bitPattern: usedRing)
                                   + UInt(Virtqueue.ringHeaderBytes + Virtqueue.usedEntryBytes * size))
    }
}
