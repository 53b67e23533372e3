import Testing
import Bytes
import TestSupport
@testable import TCP

/// A TCP output that puts each segment on a simulated link, prefixed by its source and destination
/// addresses (`Wire.prefixLength` bytes: both whole addresses, of either family), and optionally records
/// it for inspection.
final class LinkOutput: TCPOutput {
    let link: SimulatedLink
    let end: Int
    let clock: VirtualClock
    var record = true
    var sent: [[UInt8]] = []
    /// When each recorded segment was sent.
    var sentAt: [Instant] = []
    /// Return false to drop a segment before it reaches the link (a precise, scripted loss).
    var filter: ((TCPSegment) -> Bool)? = nil
    /// Segments the "NIC" still has transmit buffers for; nil: unlimited. At 0 `emitSegment` refuses.
    var transmitBuffers: Int? = nil
    /// What this "NIC" finishes (read by the layer when it is made); it then does the device's part.
    let offload: TCPOutputOffload
    /// Segments handed down to be cut (more payload than `segmentSize`), and the largest one.
    var segmentsCut = 0
    var largestSegment = 0
    /// As a virtio device does: a payload lent by reference is read only later (at `finishLate`, once
    /// the layers have polled and the applications have acted), its owner held meanwhile. Off: it is
    /// copied at once (the protocol's default).
    var readsLentPayloadsLate = false
    /// Segments sent with a lent payload read late, and those waiting to be read.
    var lateSegments = 0
    private var late: [(source: IPAddress, destination: IPAddress, header: [UInt8], payload: LentBytes,
                        offload: SegmentOffload)] = []

    init(link: SimulatedLink, end: Int, clock: VirtualClock, offload: TCPOutputOffload = .none) {
        self.link = link; self.end = end; self.clock = clock; self.offload = offload
    }

    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool {
        guard let packet = take(source: source, destination: destination, length: length, fill: fill) else { return false }
        put(packet)
        return true
    }

    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool {
        precondition(self.offload.checksum, "offloaded segment without checksum offload")
        guard let packet = take(source: source, destination: destination, length: length, fill: fill) else { return false }
        let payload = length - offload.headerLength
        if offload.segmentSize > 0 {
            precondition(length <= self.offload.segmentationLimit && payload > offload.segmentSize, "segment not worth cutting")
            segmentsCut += 1
        }
        largestSegment = max(largestSegment, length)
        for piece in OffloadingDevice.finishTCP(Array(packet[Wire.prefixLength...]), headerLength: offload.headerLength,
                                                 segmentSize: offload.segmentSize) {
            put(Array(packet[0..<Wire.prefixLength]) + piece)
        }
        return true
    }

    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload,
                     payload: LentBytes, now: Instant, fill: (MutableByteView) -> Void) -> Bool {
        guard readsLentPayloadsLate else {
            return emitSegment(source: source, destination: destination, length: length, offload: offload, now: now) {
                LentBytes.fill($0, endingWith: payload, head: fill)
            }
        }
        let headerLength = length - payload.count
        if let free = transmitBuffers {
            guard free > 0 else { return false }
            transmitBuffers = free - 1
        }
        var header = [UInt8](repeating: 0, count: headerLength)
        header.withMutableByteView { fill($0) }
        late.append((source, destination, header, payload, offload))
        lateSegments += 1
        return true
    }

    /// Reads the lent payloads now and sends their segments (see `readsLentPayloadsLate`).
    func finishLate() {
        let waiting = late
        late = []
        for segment in waiting {
            let header = segment.header
            if transmitBuffers != nil { transmitBuffers! += 1 }    // the buffer `emitSegment` took is handed back
            _ = emitSegment(source: segment.source, destination: segment.destination,
                            length: header.count + segment.payload.count, offload: segment.offload, now: clock.now()) {
                LentBytes.fill($0, endingWith: segment.payload) { $0.copy(header, to: 0) }
            }
        }
    }

    /// A transmit buffer (addresses, then the segment `fill` writes); nil when the "NIC" has none free.
    private func take(source: IPAddress, destination: IPAddress, length: Int,
                      fill: (MutableByteView) -> Void) -> [UInt8]? {
        if let free = transmitBuffers {
            guard free > 0 else { return nil }
            transmitBuffers = free - 1
        }
        var packet = [UInt8](repeating: 0, count: Wire.prefixLength + length)
        packet.withMutableByteView { view in
            source.bits.write(to: view, at: 0)
            destination.bits.write(to: view, at: 16)
            fill(view.slice(Wire.prefixLength, length)!)
        }
        return packet
    }

    /// One finished segment onto the link, past the scripted filter.
    private func put(_ packet: [UInt8]) {
        if let filter, !Wire.parse(packet).map(filter)! { return }
        if record { sent.append(packet); sentAt.append(clock.now()) }
        link.send(from: end, packet, now: clock.now())
    }
}

enum Wire {
    /// The addresses before each segment on the simulated link: source, then destination, 16 bytes each.
    static let prefixLength = 32

    /// The source and destination a packet (addresses + segment) carries.
    static func addresses(_ view: ByteView) -> (source: IPAddress, destination: IPAddress) {
        (IPAddress(IPv6Address(reading: view, at: 0)), IPAddress(IPv6Address(reading: view, at: 16)))
    }

    /// The address prefix of a packet from `source` to `destination`.
    static func prefix(_ source: IPAddress, _ destination: IPAddress) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: prefixLength)
        bytes.withMutableByteView { source.bits.write(to: $0, at: 0); destination.bits.write(to: $0, at: 16) }
        return bytes
    }

    /// Parses a recorded packet (addresses + segment); nil if it does not parse.
    static func parse(_ packet: [UInt8]) -> TCPSegment? {
        // The view must outlive the call only for fields read here; payload bytes are copied by callers.
        packet.withByteView { view -> TCPSegment? in
            let (src, dst) = addresses(view)
            return try? TCPSegment(parsing: view.suffix(from: prefixLength)!, source: src, destination: dst)
        }
    }

    /// A segment's fields copied out of the packet, safe to keep.
    struct Summary {
        var seq: SequenceNumber, ack: SequenceNumber, flags: TCPFlags, window: UInt16
        var payload: [UInt8]
        var mss: UInt16?, windowScale: UInt8?, sackPermitted: Bool, timestamp: TCPTimestamp?
        var sackBlocks: [(SequenceNumber, SequenceNumber)]
    }

    static func summary(_ packet: [UInt8]) -> Summary? {
        packet.withByteView { view -> Summary? in
            let (src, dst) = addresses(view)
            guard let s = try? TCPSegment(parsing: view.suffix(from: prefixLength)!, source: src, destination: dst) else { return nil }
            return Summary(seq: s.seq, ack: s.ack, flags: s.flags, window: s.window, payload: s.payload.toArray(),
                           mss: s.mss, windowScale: s.windowScale, sackPermitted: s.sackPermitted,
                           timestamp: s.timestamp, sackBlocks: (0..<s.sackBlockCount).map { s.sackBlock($0) })
        }
    }

    /// Builds a raw segment with a valid checksum (or a corrupted one).
    static func craft(_ segment: OutgoingSegment, payload: [UInt8] = [], source: IPAddress,
                      destination: IPAddress, corruptChecksum: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: segment.headerLength + payload.count)
        bytes.withMutableByteView { view in
            view.copy(payload, to: segment.headerLength)
            segment.writeHeader(into: view, source: source, destination: destination)
            if corruptChecksum { view[16] ^= 0x55 }
        }
        return bytes
    }
}

/// What a TCP user observes, reconstructed from readiness for the tests' assertions: each changed
/// handle is looked at, and what is new against the last look is logged.
enum Observed: Equatable {
    case acceptable(TCPHandle)
    case connected(TCPHandle)
    case connectFailed(TCPHandle, TCPCloseReason)
    case readable(TCPHandle)
    /// Send space opened after a look found none.
    case writable(TCPHandle)
    case peerFinished(TCPHandle)
    case closed(TCPHandle, TCPCloseReason)
}

/// One look at a connection, as `Observed` compares them.
struct Look {
    /// Bytes received in order so far (readable is logged when more have come since the last look).
    var received = 0
    var sendSpace = 0
    var finReceived = false, connected = false
    var ended: TCPCloseReason? = nil
}

/// Two TCP layers joined by a simulated link, on a virtual clock. End 0 is A (10.0.0.1), end 1 is B.
final class TwoHosts {
    let clock = VirtualClock()
    let link: SimulatedLink
    let outputs: [LinkOutput]
    let layers: [TCPLayer]
    /// 10.0.0.1 and 10.0.0.2, or with `ipv6` fd00::1 and fd00::2.
    let addresses: [IPAddress]
    /// What each side's user saw, in order (see `Observed`).
    var events: [[Observed]] = [[], []]
    /// Called for each observation as it is made (side, what).
    var onEvent: ((Int, Observed) -> Void)? = nil
    /// Every handle each side's layer named as changed, in order.
    var named: [[TCPHandle]] = [[], []]
    /// Each side's last look at each connection.
    private var looks: [[TCPHandle: Look]] = [[:], [:]]
    /// Set when `run` stopped because virtual time no longer advanced; the running test has then
    /// failed already (a livelock is a bug whatever the caller expected).
    var livelocked = false

    var a: TCPLayer { layers[0] }
    var b: TCPLayer { layers[1] }

    /// `offload`: what each end's "NIC" finishes for its TCP (the device's part done by `LinkOutput`).
    init(seed: UInt64 = 1, impairment: SimulatedLink.Impairment = .init(), offload: [TCPOutputOffload] = [.none, .none],
         ipv6: Bool = false, configure: (inout TCPConfiguration, Int) -> Void = { _, _ in }) {
        addresses = ipv6 ? [IPAddress(IPv6Address(high: 0xFD00 << 48, low: 1)), IPAddress(IPv6Address(high: 0xFD00 << 48, low: 2))]
                         : [IPAddress(IPv4Address(10, 0, 0, 1)), IPAddress(IPv4Address(10, 0, 0, 2))]
        link = SimulatedLink(seed: seed, impairment: impairment)
        let c = clock, l = link
        outputs = [LinkOutput(link: l, end: 0, clock: c, offload: offload[0]),
                   LinkOutput(link: l, end: 1, clock: c, offload: offload[1])]
        var configs = [TCPConfiguration(seed: seed &* 31 &+ 7), TCPConfiguration(seed: seed &* 17 &+ 3)]
        configure(&configs[0], 0)
        configure(&configs[1], 1)
        layers = [TCPLayer(configuration: configs[0], output: outputs[0]),
                  TCPLayer(configuration: configs[1], output: outputs[1])]
    }

    var now: Instant { clock.now() }

    /// Delivers `packet` (addresses + segment) to the layer at `end` now.
    func deliver(_ packet: [UInt8], to end: Int) {
        packet.withByteView { view in
            let (src, dst) = Wire.addresses(view)
            layers[end].receive(source: src, destination: dst, segment: view.suffix(from: Wire.prefixLength)!, now: clock.now())
        }
    }

    /// Injects a crafted segment as if `from` sent it to the other end, followed by that end's emit pass
    /// (as a main-loop turn does), so what it answers is in `sent(by:)` at once.
    func inject(_ segment: OutgoingSegment, payload: [UInt8] = [], from: Int, corruptChecksum: Bool = false) {
        let src = addresses[from], dst = addresses[1 - from]
        let bytes = Wire.craft(segment, payload: payload, source: src, destination: dst, corruptChecksum: corruptChecksum)
        bytes.withByteView { layers[1 - from].receive(source: src, destination: dst, segment: $0, now: clock.now()) }
        layers[1 - from].emit(now: clock.now())
    }

    /// Takes every changed handle on both sides and logs what is new against the last look at it.
    func drainEvents() {
        for side in 0..<2 {
            let layer = layers[side]
            while let h = layer.nextChanged() {
                named[side].append(h)
                var seen: [Observed] = []
                if layer.isListener(h) {
                    if layer.hasAcceptable(h) { seen.append(.acceptable(h)) }
                } else if let connection = layer.connection(h), let now = look(side, h) {
                    // First look at an accepted connection: nothing to announce but what came with it.
                    let accepted = layer.listenersByPort[connection.key.local.port] != nil
                    let old = looks[side][h] ?? Look(connected: accepted)
                    if now.connected && !old.connected { seen.append(.connected(h)) }
                    if now.received > old.received { seen.append(.readable(h)) }
                    if now.sendSpace > 0 && old.sendSpace == 0 && looks[side][h] != nil { seen.append(.writable(h)) }
                    if now.finReceived && !old.finReceived { seen.append(.peerFinished(h)) }
                    if let reason = now.ended, old.ended == nil {
                        seen.append(now.connected ? .closed(h, reason) : .connectFailed(h, reason))
                    }
                }
                for what in seen {
                    events[side].append(what)
                    onEvent?(side, what)
                }
                // What the user has now seen, after it acted on it (as the registry counts what it told).
                if !layer.isListener(h) { looks[side][h] = look(side, h) }
            }
        }
    }

    private func look(_ side: Int, _ h: TCPHandle) -> Look? {
        guard let r = layers[side].readiness(h), let connection = layers[side].connection(h) else { return nil }
        let received = Int(connection.rcv.irs.distance(to: connection.rcv.nxt)) - (connection.peerFinReceived ? 1 : 0)
        return Look(received: max(0, received - 1), sendSpace: r.sendSpace, finReceived: connection.peerFinReceived,
                    connected: r.connected, ended: r.ended)
    }

    /// Runs the simulation until `done` holds or `limit` of virtual time passes. True if `done`.
    @discardableResult
    func run(for limit: Interval, until done: () -> Bool = { false }) -> Bool {
        let end = clock.now() + limit
        drainEvents()
        var spins = 0
        var lastInstant = clock.now()
        while !done() {
            let next = min(link.nextArrival ?? .never, a.nextDeadline(), b.nextDeadline())
            if next > end { clock.advance(to: end); return done() }
            clock.advance(to: next)
            // A layer that keeps asking to run without time moving is a livelock: fail, do not hang.
            if clock.now() == lastInstant { spins += 1 } else { spins = 0; lastInstant = clock.now() }
            if spins > 10_000 {
                livelocked = true
                Issue.record("livelock: virtual time stopped at \(clock.now().since(.zero).milliseconds) ms with work still due")
                return false
            }
            for (to, packet) in link.arrivals(upTo: clock.now()) { deliver(packet, to: to) }
            for layer in layers { layer.poll(now: clock.now()) }
            drainEvents()
            for output in outputs { output.finishLate() }
        }
        return true
    }

    /// Segments end `side` sent, parsed.
    func sent(by side: Int) -> [Wire.Summary] { outputs[side].sent.compactMap { Wire.summary($0) } }

    /// Listens on B:port, connects A to it, and accepts; returns (client on A, server on B).
    func establish(port: UInt16 = 80) throws -> (TCPHandle, TCPHandle) {
        let listener = try b.listen(port: port, backlog: 8)
        let client = try a.connect(from: addresses[0], to: Endpoint(addresses[1], port), now: now)
        var server: TCPHandle? = nil
        run(for: .seconds(10)) {
            if server == nil { server = try? b.accept(listener) ?? nil }
            return server != nil && a.state(client) == .established
        }
        guard let server else { throw TestFailure.notEstablished }
        return (client, server)
    }

    enum TestFailure: Error { case notEstablished }
}

/// Deterministic test data.
func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
    var random = SplitMix64(seed: seed)
    var out = [UInt8]()
    out.reserveCapacity(count)
    while out.count < count {
        var v = random.next()
        for _ in 0..<8 where out.count < count { out.append(UInt8(truncatingIfNeeded: v)); v >>= 8 }
    }
    return out
}

extension TCPLayer {
    /// Sends all of `bytes` that fits; returns how many.
    func send(_ handle: TCPHandle, _ bytes: [UInt8]) throws -> Int {
        try bytes.withByteView { view throws(TCPError) in try send(handle, view) }
    }

    /// Reads everything available.
    func readAll(_ handle: TCPHandle) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            var failure: TCPError? = nil
            let n = buffer.withMutableByteView { view -> Int in
                do throws(TCPError) { return try receive(handle, into: view) } catch { failure = error; return 0 }
            }
            if let failure { throw failure }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
        }
    }
}
