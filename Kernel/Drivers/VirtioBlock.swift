import Ext2
/// A virtio-blk device (virtio spec 5.2) as a read-only `BlockDevice`, with many requests in flight.
///
/// Each request slot k owns descriptors 3k, 3k+1, 3k+2 for the queue's lifetime: a device-readable
/// 16-byte header, the caller's buffer (device-writable), and a one-byte status. Headers and status bytes
/// live in one pool allocated at attach; submitting a read writes a header, points the middle descriptor
/// at the caller's buffer and queues the chain. Completions arrive by MSI-X and are collected in
/// `pollCompletions`. Writes are not offered at all (the appliance serves a read-only document root);
/// `VIRTIO_BLK_F_RO` is accepted and reported.
final class VirtioBlock: BlockDevice {
    static let sectorBytes = 512
    static let featureSizeMax: UInt64 = 1 << 1
    static let featureReadOnly: UInt64 = 1 << 5
    static let supportedFeatures = featureSizeMax | featureReadOnly | Virtqueue.featureEventIndex
    /// Largest single read (one data descriptor); the device's own size_max may lower it.
    static let maxRequestBytes = 1 << 20
    static let maxQueueEntries = 256
    private static let descriptorsPerRequest = 3
    private static let headerBytes = 16
    private static let requestTypeIn: UInt32 = 0
    private static let statusOK: UInt8 = 0
    /// Written before submission, so a status the device never wrote reads as failure.
    private static let statusUnset: UInt8 = 0xFF
    /// Device configuration we read (spec 5.2.4): capacity at 0, size_max at 8.
    private static let configBytesNeeded: UInt64 = 12

    struct Counters {
        var readsSubmitted: UInt64 = 0
        var readsCompleted: UInt64 = 0
        /// Completed with a status other than OK (I/O error, unsupported).
        var readsFailed: UInt64 = 0
        /// Invalid requests (empty, not whole sectors, too large, beyond the disk): failed without I/O.
        var readsRejected: UInt64 = 0
        var refusedQueueFull: UInt64 = 0
        /// Used entries naming a slot that was not in flight (a device bug): ignored.
        var bogusCompletions: UInt64 = 0
        var interrupts: UInt64 = 0
        /// Notifications written to the device, and ones it said it did not need.
        var doorbells: UInt64 = 0
        var doorbellsSkipped: UInt64 = 0
    }

    let sectorCount: UInt64
    let readOnly: Bool
    let features: UInt64
    let interruptMode: InterruptMode
    /// Requests that can be in flight at once.
    let slotCount: Int
    let maxReadBytes: Int
    private let transport: VirtioTransport
    private let queue: Virtqueue
    private let headers: UnsafeMutableRawPointer
    private let statuses: UnsafeMutablePointer<UInt8>
    private var freeSlots: [Int]
    private var slotTags: [UInt64]
    private var slotInFlight: [Bool]
    /// Tags of rejected requests, reported as failures by the next `pollCompletions` (bounded by slotCount).
    private var rejectedTags: [UInt64] = []
    private var tally = Counters()
    private let interruptCounter: InterruptCounter
    /// True while `pollCompletions` runs: reads submitted from its handler share one doorbell at the end.
    private var collecting = false

    private init(transport: VirtioTransport, queue: Virtqueue, features: UInt64,
                 sectorCount: UInt64, maxReadBytes: Int, pool: UnsafeMutableRawPointer, slotCount: Int,
                 interruptMode: InterruptMode, interruptCounter: InterruptCounter) {
        self.transport = transport
        self.queue = queue
        self.features = features
        self.sectorCount = sectorCount
        self.maxReadBytes = maxReadBytes
        readOnly = features & VirtioBlock.featureReadOnly != 0
        self.slotCount = slotCount
        headers = pool
        statuses = (pool + slotCount * VirtioBlock.headerBytes).assumingMemoryBound(to: UInt8.self)
        self.interruptMode = interruptMode
        self.interruptCounter = interruptCounter
        freeSlots = Array((0..<slotCount).reversed())
        slotTags = [UInt64](repeating: 0, count: slotCount)
        slotInFlight = [Bool](repeating: false, count: slotCount)
        rejectedTags.reserveCapacity(slotCount)
    }

    static func attach(_ transport: VirtioTransport) throws(VirtioError) -> VirtioBlock {
        try VirtioDriverStart.attach(transport, configBytesNeeded: configBytesNeeded,
                                     supportedFeatures: supportedFeatures) { features throws(VirtioError) in
            try bringUp(transport, features)
        }
    }

    private static func bringUp(_ transport: VirtioTransport, _ features: UInt64) throws(VirtioError) -> VirtioBlock {
        let box = InterruptCounter()
        var mode = transport.setUpInterrupt { box.count &+= 1 }
        let (queue, vectorOK) = try transport.makeQueue(index: 0, maxSize: maxQueueEntries, interrupting: !mode.isPolling)
        if !mode.isPolling && !vectorOK { mode = .polling(reason: "device refused the interrupt vector") }
        // Configuration (spec 5.2.4): capacity in 512-byte sectors at 0, size_max at 8.
        let capacity = transport.readConfig { base in UInt64(MMIO.read32(base + 4)) << 32 | UInt64(MMIO.read32(base)) }
        let sizeMax = UInt32(truncatingIfNeeded: transport.readConfig { base in UInt64(MMIO.read32(base + 8)) })
        var maxRead = maxRequestBytes
        if features & featureSizeMax != 0 && sizeMax >= UInt32(sectorBytes) {
            maxRead = Swift.min(maxRead, Int(sizeMax) / sectorBytes * sectorBytes)
        }
        let slots = queue.size / descriptorsPerRequest
        guard slots > 0 else { throw .queueMissing(0) }
        guard let pool = Heap.allocate(size: slots * (headerBytes + 1), alignment: 16) else { throw .noMemory }
        let disk = VirtioBlock(transport: transport, queue: queue, features: features,
                               sectorCount: capacity, maxReadBytes: maxRead, pool: pool, slotCount: slots,
                               interruptMode: mode, interruptCounter: box)
        disk.bindDescriptors()
        transport.start()
        return disk
    }

    /// Header and status descriptors are fixed per slot; only the data descriptor changes per read.
    private func bindDescriptors() {
        for slot in 0..<slotCount {
            let d = slot * VirtioBlock.descriptorsPerRequest
            queue.setDescriptor(d, address: UInt64(UInt(bitPattern: headers + slot * VirtioBlock.headerBytes)),
                                length: VirtioBlock.headerBytes, flags: Virtqueue.flagNext, next: UInt16(d + 1))
            queue.setDescriptor(d + 1, address: 0, length: 0, flags: Virtqueue.flagWrite | Virtqueue.flagNext, next: UInt16(d + 2))
            queue.setDescriptor(d + 2, address: UInt64(UInt(bitPattern: statuses + slot)), length: 1, flags: Virtqueue.flagWrite)
        }
    }

    var counters: Counters {
        var c = tally
        c.interrupts = interruptCounter.count
        c.doorbells = queue.notifications
        c.doorbellsSkipped = queue.notificationsSuppressed
        return c
    }

    var inFlight: Int { slotCount - freeSlots.count }

    func submitRead(sector: UInt64, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) -> Bool {
        let bytes = buffer.count
        let sectors = UInt64(bytes / VirtioBlock.sectorBytes)
        guard bytes > 0, bytes % VirtioBlock.sectorBytes == 0, bytes <= maxReadBytes, let base = buffer.baseAddress,
              sector < sectorCount, sectors <= sectorCount - sector else {
            guard rejectedTags.count < slotCount else { return false }
            rejectedTags.append(tag)
            tally.readsRejected &+= 1
            return true
        }
        guard let slot = freeSlots.popLast() else { tally.refusedQueueFull &+= 1; return false }
        let header = headers + slot * VirtioBlock.headerBytes
        header.storeBytes(of: VirtioBlock.requestTypeIn.littleEndian, toByteOffset: 0, as: UInt32.self)
        header.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
        header.storeBytes(of: sector.littleEndian, toByteOffset: 8, as: UInt64.self)
        statuses[slot] = VirtioBlock.statusUnset
        let d = slot * VirtioBlock.descriptorsPerRequest
        queue.setDescriptor(d + 1, address: UInt64(UInt(bitPattern: base)), length: bytes,
                            flags: Virtqueue.flagWrite | Virtqueue.flagNext, next: UInt16(d + 2))
        slotTags[slot] = tag
        slotInFlight[slot] = true
        queue.enqueue(head: d)
        if !collecting { queue.kick() }
        tally.readsSubmitted &+= 1
        return true
    }

    /// The handler may submit new reads (say, the next block of a file): every slot is released, and its
    /// tag and status read, before the handler runs; reads submitted meanwhile share one doorbell.
    func pollCompletions(_ handler: (UInt64, Bool) -> Void) {
        collecting = true
        defer {
            collecting = false
            queue.kick()
        }
        while let tag = rejectedTags.popLast() { handler(tag, false) }
        while let (head, _) = queue.popUsed() {
            let slot = head / VirtioBlock.descriptorsPerRequest
            guard head % VirtioBlock.descriptorsPerRequest == 0, slot < slotCount, slotInFlight[slot] else {
                tally.bogusCompletions &+= 1
                continue
            }
            let tag = slotTags[slot]
            let ok = statuses[slot] == VirtioBlock.statusOK
            slotInFlight[slot] = false
            freeSlots.append(slot)
            if ok { tally.readsCompleted &+= 1 } else { tally.readsFailed &+= 1 }
            handler(tag, ok)
        }
    }

    /// Before the CPU halts: asks for an interrupt on the next completion. False when one already waits.
    func prepareToHalt() -> Bool { !queue.enableInterrupts() }

    /// After the halt: completions are collected by the main loop's passes without interrupts.
    func quietInterrupts() { queue.disableInterrupts() }

    /// True when finished requests wait to be collected.
    var hasCompletions: Bool { !rejectedTags.isEmpty || queue.hasUsed }

    var sizeText: String {
        let bytes = sectorCount * UInt64(VirtioBlock.sectorBytes)
        return bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
    }

    /// Every counter by name, for the console and /factory/etc.
    var counterList: CounterList {
        let c = counters
        return CounterList([
            ("reads.submitted", c.readsSubmitted), ("reads.completed", c.readsCompleted),
            ("reads.failed", c.readsFailed), ("reads.rejected", c.readsRejected),
            ("refused.queue_full", c.refusedQueueFull), ("bogus_completions", c.bogusCompletions),
            ("interrupts", c.interrupts), ("event_index", queue.eventIndex ? 1 : 0), ("doorbells", c.doorbells),
            ("doorbells_skipped", c.doorbellsSkipped),
        ])
    }
}
