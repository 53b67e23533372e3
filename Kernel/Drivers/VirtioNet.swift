import Net
import KernelSupport
import Bytes

/// A virtio-net device (virtio spec 5.1) as a `NetworkInterface`: one receive and one transmit queue.
///
/// Buffers: two fixed pools sized at attach, one 2 KiB buffer per ring entry, each bound for good to the
/// descriptor of the same index. Every receive buffer is always posted except while its frame is lent
/// to the stack, so the ring stays full; a transmit buffer is lent to `fill`, queued, and reclaimed from
/// the used ring when the device is done with it. Nothing is allocated per packet.
///
/// Frames never span buffers: a 2 KiB buffer holds the 12-byte header and any frame the device can send
/// without offloads we do not negotiate (1514 bytes, 1518 with a VLAN tag). With MRG_RXBUF negotiated the
/// device could still split a frame (num_buffers > 1); such a frame is dropped and counted.
///
/// Offloads (spec 5.1.6.2): with CSUM the device completes the TCP checksum of frames we flag NEEDS_CSUM;
/// with HOST_TSO4 it also cuts a large TCP segment into MSS-sized ones. Those large frames go in a few
/// `segmentationBufferBytes` buffers bound to the first transmit descriptors, allocated only when
/// HOST_TSO4 is negotiated, so a device without it costs no memory. A large frame whose payload the
/// stack lends by reference (`LentBytes`: a connection's send buffer) holds only its headers there; two
/// more descriptors of its own, at the end of the table, chain the payload's one or two runs in place,
/// and the frame keeps the payload's owner until the device hands it back. So a 1 MiB response is
/// copied once in the guest (file to send buffer), not twice. With GUEST_CSUM a received frame
/// flagged DATA_VALID (checked by the device) or NEEDS_CSUM (from the host, never checksummed) is
/// handed up as vouched for, and the stack skips its TCP/UDP checksum.
final class VirtioNet: NetworkInterface {
    // Feature bits (spec 5.1.3).
    static let featureChecksum: UInt64 = 1 << 0
    static let featureGuestChecksum: UInt64 = 1 << 1
    static let featureMAC: UInt64 = 1 << 5
    static let featureHostTSO4: UInt64 = 1 << 11
    static let featureMergeableRxBuffers: UInt64 = 1 << 15
    static let featureStatus: UInt64 = 1 << 16
    static let supportedFeatures = featureChecksum | featureGuestChecksum | featureMAC | featureHostTSO4
        | featureMergeableRxBuffers | featureStatus | Virtqueue.featureEventIndex

    /// struct virtio_net_hdr: always 12 bytes with VERSION_1 (num_buffers is always present).
    static let headerBytes = 12
    private static let numBuffersOffset = 10
    // virtio_net_hdr fields (spec 5.1.6): flags, gso_type, then little-endian hdr_len, gso_size,
    // csum_start, csum_offset.
    private static let headerFlagNeedsChecksum: UInt8 = 1
    private static let headerFlagDataValid: UInt8 = 2
    private static let gsoTCPv4: UInt8 = 1
    static let bufferBytes = 2048
    /// A transmit buffer for one segmentation-offload frame: header plus Ethernet frame, so the IPv4
    /// packet is just under its 64 KiB ceiling (45 full-size segments, as Linux sends). Measured with
    /// Scripts/bench: 32 KiB buffers gave 1 MiB files ~4.5 host CPU s per 1k, 64 KiB ~2.9.
    static let segmentationBufferBytes = 64 * 1024
    /// How many such buffers (only with HOST_TSO4): the host returns them late, and with 4 TCP found none
    /// free a few times per frame sent; 8 (512 KiB) makes that rare and still serves at -m 16M.
    static let segmentationBufferCount = 8
    /// Frames we send: at least an Ethernet header, at most header + IP MTU (no FCS; the device adds it).
    static let minFrameBytes = 14
    static let maxFrameBytes = 14 + 1500
    /// Ring entries per queue (each backed by one buffer); the device may offer fewer.
    static let maxQueueEntries = 256
    private static let receiveQueue: UInt16 = 0
    private static let transmitQueue: UInt16 = 1
    private static let statusLinkUp: UInt16 = 1
    /// Device configuration we read (spec 5.1.4): mac[6] at 0, status at 6.
    private static let configBytesNeeded: UInt64 = 8

    struct Counters {
        var rxFrames: UInt64 = 0
        var rxBytes: UInt64 = 0
        /// Used entries with an impossible id or length (a device bug): skipped, buffer re-posted if known.
        var rxDroppedMalformed: UInt64 = 0
        /// Frames the device split across several buffers (num_buffers > 1).
        var rxDroppedSplit: UInt64 = 0
        /// Times every receive buffer was found full: the device may have dropped frames for lack of one.
        var rxRingExhausted: UInt64 = 0
        /// Frames whose checksum the device vouched for (GUEST_CSUM), also counted in `rxFrames`.
        var rxChecksumVouched: UInt64 = 0
        var txFrames: UInt64 = 0
        var txBytes: UInt64 = 0
        /// Transmit buffers the device has finished with and we took back.
        var txCompleted: UInt64 = 0
        var txRefusedRingFull: UInt64 = 0
        /// Lengths that are not a frame we send (shorter than an Ethernet header, longer than header + MTU or
        /// a segmentation buffer), or offload metadata not negotiated or pointing outside the frame.
        var txRefusedBadLength: UInt64 = 0
        /// Frames handed to the device to cut (HOST_TSO4), also counted in `txFrames`.
        var txSegmentationFrames: UInt64 = 0
        /// Used transmit entries naming a buffer that was not in flight (a device bug): ignored.
        var txBogusCompletions: UInt64 = 0
        /// Halts taken because every transmit buffer was with the device: the CPU waits for the batch
        /// of completions to interrupt instead of retrying a full ring.
        var txBlockedHalts: UInt64 = 0
        var interrupts: UInt64 = 0
    }

    let macAddress: MACAddress
    let mtu = 1500
    let features: UInt64
    let transmitOffloads: TransmitOffloads
    let interruptMode: InterruptMode
    private var tally = Counters()
    private let interruptCounter: InterruptCounter
    private let transport: VirtioTransport
    private let rx: Virtqueue
    private let tx: Virtqueue
    private let rxPool: UnsafeMutableRawPointer
    private let txPool: UnsafeMutableRawPointer
    /// Segmentation buffers, bound to transmit descriptors 0..<txLargeCount (none without HOST_TSO4).
    private let txLargePool: UnsafeMutableRawPointer?
    private let txLargeCount: Int
    /// The last 2 * txLargeCount descriptors: two for each segmentation buffer's lent payload.
    private let txChainBase: Int
    /// The owner of each segmentation buffer's lent payload, held while the device may read it.
    private var txPinned: [AnyObject?]
    /// Transmit buffers free for `transmit`, as stacks of descriptor ids (2 KiB and segmentation
    /// buffers); `txInFlight` guards against double reclaim.
    private var txFree: [Int]
    private var txLargeFree: [Int]
    private var txInFlight: [Bool]
    /// Buffers still to skip of a split frame being dropped.
    private var rxSplitRemainder = 0
    /// A transmit was refused for want of a buffer and none has come back since.
    private var transmitBlocked = false
    /// Transmit completions can interrupt (the device took the vector for the transmit queue too).
    private let transmitInterrupts: Bool

    private init(transport: VirtioTransport, features: UInt64, mac: MACAddress,
                 rx: Virtqueue, tx: Virtqueue, rxPool: UnsafeMutableRawPointer, txPool: UnsafeMutableRawPointer,
                 txLargePool: UnsafeMutableRawPointer?, txLargeCount: Int,
                 interruptMode: InterruptMode, interruptCounter: InterruptCounter, transmitInterrupts: Bool) {
        self.transmitInterrupts = transmitInterrupts
        self.transport = transport
        self.features = features
        macAddress = mac
        self.rx = rx
        self.tx = tx
        self.rxPool = rxPool
        self.txPool = txPool
        self.txLargePool = txLargePool
        self.txLargeCount = txLargeCount
        self.interruptMode = interruptMode
        self.interruptCounter = interruptCounter
        let checksum = features & VirtioNet.featureChecksum != 0
        let segmentation = txLargeCount > 0 ? VirtioNet.segmentationBufferBytes - VirtioNet.headerBytes - VirtioNet.minFrameBytes : 0
        transmitOffloads = TransmitOffloads(checksum: checksum, segmentationLimit: segmentation)
        txChainBase = VirtioNet.chainBase(queueSize: tx.size, largeCount: txLargeCount)
        txPinned = [AnyObject?](repeating: nil, count: txLargeCount)
        txFree = Array((txLargeCount..<txChainBase).reversed())
        txLargeFree = Array((0..<txLargeCount).reversed())
        txInFlight = [Bool](repeating: false, count: tx.size)
    }

    /// Brings the device up: negotiation, queues, buffers, interrupts, DRIVER_OK.
    static func attach(_ transport: VirtioTransport) throws(VirtioError) -> VirtioNet {
        try VirtioDriverStart.attach(transport, configBytesNeeded: configBytesNeeded,
                                     supportedFeatures: supportedFeatures) { features throws(VirtioError) in
            try bringUp(transport, features)
        }
    }

    private static func bringUp(_ transport: VirtioTransport, _ features: UInt64) throws(VirtioError) -> VirtioNet {
        // The handler is installed before the device exists; it reaches the driver through this box.
        let box = InterruptCounter()
        var mode = transport.setUpInterrupt { box.count &+= 1 }
        let (rx, rxVectorOK) = try transport.makeQueue(index: receiveQueue, maxSize: maxQueueEntries, interrupting: !mode.isPolling)
        // Transmit completions are reclaimed when buffers run short, so they interrupt only while the
        // ring is full and the CPU waits for them (`prepareToHalt`).
        let (tx, txVectorOK) = try transport.makeQueue(index: transmitQueue, maxSize: maxQueueEntries, interrupting: !mode.isPolling)
        tx.disableInterrupts()
        if !mode.isPolling && !rxVectorOK { mode = .polling(reason: "device refused the interrupt vector") }
        guard let rxPool = Heap.allocate(size: rx.size * bufferBytes, alignment: Heap.pageSize) else { throw .noMemory }
        // HOST_TSO4 depends on CSUM (spec 5.1.3.1); a few descriptors get segmentation buffers instead.
        let tso = features & featureHostTSO4 != 0 && features & featureChecksum != 0
        let largeCount = tso ? min(segmentationBufferCount, tx.size / 4) : 0
        let smallCount = chainBase(queueSize: tx.size, largeCount: largeCount) - largeCount
        guard let txPool = Heap.allocate(size: smallCount * bufferBytes, alignment: Heap.pageSize) else {
            Heap.free(rxPool)
            throw .noMemory
        }
        var txLargePool: UnsafeMutableRawPointer? = nil
        if largeCount > 0 {
            guard let pool = Heap.allocate(size: largeCount * segmentationBufferBytes, alignment: Heap.pageSize) else {
                Heap.free(rxPool)
                Heap.free(txPool)
                throw .noMemory
            }
            txLargePool = pool
        }
        let mac = features & featureMAC != 0 ? MACAddress(transport.readConfig { base in
            var v: UInt64 = 0
            for i in 0..<6 { v = v << 8 | UInt64(MMIO.read8(base + UInt(i))) }
            return v
        }) : locallyAdministeredMAC()
        let net = VirtioNet(transport: transport, features: features, mac: mac, rx: rx, tx: tx,
                            rxPool: rxPool, txPool: txPool, txLargePool: txLargePool, txLargeCount: largeCount,
                            interruptMode: mode, interruptCounter: box, transmitInterrupts: !mode.isPolling && txVectorOK)
        for i in 0..<rx.size {
            rx.setDescriptor(i, address: UInt64(UInt(bitPattern: rxPool)) + UInt64(i * bufferBytes), length: bufferBytes,
                             flags: Virtqueue.flagWrite)
            rx.enqueue(head: i)
        }
        for i in 0..<net.txChainBase {
            tx.setDescriptor(i, address: Virtqueue.physical(net.transmitBuffer(i)), length: 0, flags: 0)
        }
        transport.start()
        rx.kick()       // the device may only be notified after DRIVER_OK
        return net
    }

    /// Where the chain descriptors begin: the table's last two for each of `largeCount` segmentation
    /// buffers; the 2 KiB buffers take the rest.
    private static func chainBase(queueSize: Int, largeCount: Int) -> Int { queueSize - 2 * largeCount }

    /// Without the MAC feature the driver picks an address (spec 5.1.5): locally administered, unicast,
    /// varied by the boot TSC so two such guests on one link are unlikely to collide.
    private static func locallyAdministeredMAC() -> MACAddress {
        MACAddress((0x02 << 40) | (cpu_rdtsc() & 0xFF_FFFF_FFFF))
    }

    /// The counters, with the interrupt count the handler keeps.
    var counters: Counters {
        var c = tally
        c.interrupts = interruptCounter.count
        return c
    }

    var linkUp: Bool {
        guard features & VirtioNet.featureStatus != 0 else { return true }
        return transport.readConfig { UInt64(MMIO.read16($0 + 6)) } & UInt64(VirtioNet.statusLinkUp) != 0
    }

    /// The offloads in use, for the boot log.
    var offloadText: String {
        transmitOffloads.segmentationLimit > 0 ? "checksum+TSO" : transmitOffloads.checksum ? "checksum" : "none"
    }

    var receiveBufferCount: Int { rx.size }
    var transmitBufferCount: Int { tx.size }

    /// True when received frames are waiting (for the main loop, to decide whether to poll).
    var hasReceived: Bool { rx.hasUsed }

    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int {
        receive(limit: limit) { frame, _ in handler(frame) }
    }

    func receive(limit: Int, _ handler: (ByteView, _ checksumVouched: Bool) -> Void) -> Int {
        let vouchingFlags = features & VirtioNet.featureGuestChecksum != 0
            ? VirtioNet.headerFlagDataValid | VirtioNet.headerFlagNeedsChecksum : 0
        if rx.usedPending >= rx.size { tally.rxRingExhausted &+= 1 }
        var delivered = 0
        while delivered < limit, let (id, length) = rx.popUsed() {
            guard id < rx.size else { tally.rxDroppedMalformed &+= 1; continue }
            let buffer = rxPool + id * VirtioNet.bufferBytes
            defer { rx.enqueue(head: id) }
            if rxSplitRemainder > 0 { rxSplitRemainder -= 1; continue }
            guard length >= VirtioNet.headerBytes, length <= VirtioNet.bufferBytes else {
                tally.rxDroppedMalformed &+= 1
                continue
            }
            let buffers = Int(UInt16(littleEndian: buffer.load(fromByteOffset: VirtioNet.numBuffersOffset, as: UInt16.self)))
            if features & VirtioNet.featureMergeableRxBuffers != 0 && buffers > 1 {
                rxSplitRemainder = Swift.min(buffers - 1, rx.size)     // bounded even if the count is bogus
                tally.rxDroppedSplit &+= 1
                continue
            }
            let frameBytes = length - VirtioNet.headerBytes
            let vouched = buffer.load(as: UInt8.self) & vouchingFlags != 0
            if vouched { tally.rxChecksumVouched &+= 1 }
            handler(ByteView(UnsafeRawBufferPointer(start: buffer + VirtioNet.headerBytes, count: frameBytes)), vouched)
            tally.rxFrames &+= 1
            tally.rxBytes &+= UInt64(frameBytes)
            delivered += 1
        }
        rx.kick()
        return delivered
    }

    /// The transmit buffer bound to descriptor `id`: segmentation buffers first, then the 2 KiB ones.
    private func transmitBuffer(_ id: Int) -> UnsafeMutableRawPointer {
        if id < txLargeCount, let large = txLargePool { return large + id * VirtioNet.segmentationBufferBytes }
        return txPool + (id - txLargeCount) * VirtioNet.bufferBytes
    }

    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool {
        transmit(length: length, offload: nil, payload: nil, fill)
    }

    func transmit(length: Int, offload: FrameOffload?, _ fill: (MutableByteView) -> Void) -> Bool {
        transmit(length: length, offload: offload, payload: nil, fill)
    }

    /// Lends a buffer to `fill` between `takeBuffer` and `post`. Those two stay out of line: every caller's
    /// closure gets its own copy of this function, which must therefore stay small.
    func transmit(length: Int, offload: FrameOffload?, payload: LentBytes?, _ fill: (MutableByteView) -> Void) -> Bool {
        guard let id = takeBuffer(length: length, offload: offload) else { return false }
        fill(MutableByteView(UnsafeMutableRawBufferPointer(start: transmitBuffer(id) + VirtioNet.headerBytes,
                                                           count: length - (payload?.count ?? 0))))
        post(id, length: length, payload: payload)
        return true
    }

    /// A free transmit buffer for a `length`-byte frame, its virtio_net_hdr written; nil (counted) if the
    /// frame or its offload is not one we send, or no buffer is free.
    @inline(never)
    private func takeBuffer(length: Int, offload: FrameOffload?) -> Int? {
        let segmenting = (offload?.segmentSize ?? 0) > 0
        let maxLength = segmenting ? VirtioNet.segmentationBufferBytes - VirtioNet.headerBytes : VirtioNet.maxFrameBytes
        // Offload metadata only as negotiated, pointing inside the frame (the stack's contract; checked
        // because the device would otherwise read or write outside it).
        let offloadFits = offload.map { o in
            transmitOffloads.checksum && o.checksumStart + o.checksumOffset + 2 <= length
                && (!segmenting || txLargeCount > 0 && o.headerLength <= length && o.checksumStart < o.headerLength)
        } ?? true
        guard length >= VirtioNet.minFrameBytes, length <= maxLength, offloadFits else {
            tally.txRefusedBadLength &+= 1
            return nil
        }
        if segmenting ? txLargeFree.isEmpty : txFree.isEmpty { reclaimTransmitted() }
        guard let id = segmenting ? txLargeFree.popLast() : txFree.popLast() else {
            tally.txRefusedRingFull &+= 1
            transmitBlocked = true
            return nil
        }
        let buffer = transmitBuffer(id)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: VirtioNet.headerBytes)
        if let offload {
            func put(_ value: Int, at offset: Int) {
                buffer.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt16.self)
            }
            buffer.storeBytes(of: VirtioNet.headerFlagNeedsChecksum, as: UInt8.self)
            if segmenting {
                buffer.storeBytes(of: VirtioNet.gsoTCPv4, toByteOffset: 1, as: UInt8.self)
                put(offload.headerLength, at: 2)
                put(offload.segmentSize, at: 4)
                tally.txSegmentationFrames &+= 1
            }
            put(offload.checksumStart, at: 6)
            put(offload.checksumOffset, at: 8)
        }
        return id
    }

    /// Queues the filled buffer `id` for the device. A lent payload of a frame in a segmentation buffer
    /// (one the device cuts) is chained in place on the buffer's own two descriptors after its headers,
    /// and its owner held until the device returns the buffer; any other is copied in after them.
    @inline(never)
    private func post(_ id: Int, length: Int, payload: LentBytes?) {
        let headers = VirtioNet.headerBytes + length - (payload?.count ?? 0)
        if id < txLargeCount {
            let buffer = Virtqueue.physical(transmitBuffer(id))
            if let payload {
                let chain = txChainBase + 2 * id
                tx.setDescriptor(id, address: buffer, length: headers, flags: Virtqueue.flagNext, next: UInt16(chain))
                let wraps = !payload.second.isEmpty
                tx.setDescriptor(chain, address: Virtqueue.physical(payload.first.base.baseAddress!), length: payload.first.count,
                                 flags: wraps ? Virtqueue.flagNext : 0, next: UInt16(chain + 1))
                if wraps {
                    tx.setDescriptor(chain + 1, address: Virtqueue.physical(payload.second.base.baseAddress!), length: payload.second.count,
                                     flags: 0)
                }
                txPinned[id] = payload.owner
            } else {
                tx.setDescriptor(id, address: buffer, length: headers, flags: 0)
            }
        } else {
            payload?.copy(to: MutableByteView(UnsafeMutableRawBufferPointer(start: transmitBuffer(id), count: VirtioNet.headerBytes + length)),
                          at: headers)
            tx.setLength(id, VirtioNet.headerBytes + length)
        }
        tx.enqueue(head: id)
        txInFlight[id] = true
        tally.txFrames &+= 1
        tally.txBytes &+= UInt64(length)
    }

    func flush() {
        tx.kick()
    }

    /// Takes back every transmit buffer the device has finished with.
    private func reclaimTransmitted() {
        while let (id, _) = tx.popUsed() {
            guard id < tx.size, txInFlight[id] else { tally.txBogusCompletions &+= 1; continue }
            txInFlight[id] = false
            if id < txLargeCount {
                txPinned[id] = nil     // the device has read the lent payload: its memory may go
                txLargeFree.append(id)
            } else {
                txFree.append(id)
            }
            tally.txCompleted &+= 1
            transmitBlocked = false
        }
    }

    /// True while every transmit buffer is with the device and its completions will interrupt: retrying
    /// before they do only finds the ring full again, so the main loop may halt instead.
    var waitingForTransmitBuffers: Bool { transmitBlocked && transmitInterrupts }

    /// Before the CPU halts: asks for an interrupt on the next received frame and, while transmit waits
    /// for buffers, once half of those in flight are done (one interrupt per batch, as the
    /// device completes them in bursts). False when work already waits and the caller must not halt.
    func prepareToHalt() -> Bool {
        if rx.enableInterrupts() { return false }
        guard waitingForTransmitBuffers else { return true }
        reclaimTransmitted()
        if !transmitBlocked || tx.enableInterrupts(afterCompleting: tx.outstanding / 2) { return false }
        tally.txBlockedHalts &+= 1
        return true
    }

    /// After the halt: no interrupts while the main loop works through the rings anyway.
    func quietInterrupts() {
        rx.disableInterrupts()
        tx.disableInterrupts()
    }

    /// Every counter by name (plus the queues' doorbell counts), for the console and /factory/etc.
    var counterList: CounterList {
        let c = counters
        return CounterList([
            ("rx.frames", c.rxFrames), ("rx.bytes", c.rxBytes), ("rx.dropped.malformed", c.rxDroppedMalformed),
            ("rx.dropped.split", c.rxDroppedSplit), ("rx.ring_exhausted", c.rxRingExhausted),
            ("rx.checksum_vouched", c.rxChecksumVouched),
            ("tx.frames", c.txFrames), ("tx.bytes", c.txBytes), ("tx.completed", c.txCompleted), ("tx.refused.ring_full", c.txRefusedRingFull),
            ("tx.refused.bad_length", c.txRefusedBadLength), ("tx.segmentation_frames", c.txSegmentationFrames),
            ("tx.bogus_completions", c.txBogusCompletions), ("tx.blocked_halts", c.txBlockedHalts),
            ("interrupts", c.interrupts), ("event_index", rx.eventIndex ? 1 : 0), ("rx.doorbells", rx.notifications),
            ("rx.doorbells_skipped", rx.notificationsSuppressed), ("tx.doorbells", tx.notifications),
            ("tx.doorbells_skipped", tx.notificationsSuppressed),
        ])
    }
}

/// A counter the interrupt handler can bump without reaching the driver object (which does not exist
/// yet when the vector is routed). Interrupts arrive only while the main loop halts, so no races.
final class InterruptCounter {
    var count: UInt64 = 0
}
