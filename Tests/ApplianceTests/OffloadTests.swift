import Testing
import Bytes
import Net
import TCP
import TestSupport
@testable import Appliance

/// A NIC joined to one peer by a lossless wire. With offloads it does the device's part
/// (`OffloadingDevice`) before frames reach the wire, so the peer's stack sees only ordinary frames and
/// verifies every checksum itself.
final class WireNIC: NetworkInterface {
    let macAddress: MACAddress
    let mtu = 1500
    let transmitOffloads: TransmitOffloads
    var peer: WireNIC?
    var inbox: [[UInt8]] = []
    /// Frames handed over with offload metadata, those to cut, the largest handed over, the largest on the wire.
    var offloadedFrames = 0
    var framesCut = 0
    var largestHandedOver = 0
    var largestOnWire = 0
    /// Receive side: claim every frame's checksum checked, as virtio-net's DATA_VALID does.
    var vouchForReceived = false
    /// Transmit side: frames reach the peer with their TCP checksum never computed (zero), as a host's
    /// NEEDS_CSUM frames reach a guest that negotiated GUEST_CSUM.
    var skipTransportChecksums = false
    /// A router on the path (IPv6 only) whose next link carries `pathMTU` bytes: larger packets are
    /// dropped and answered with an ICMPv6 packet too big to their sender (RFC 4443 3.2).
    var pathMTU: Int? = nil
    /// What that router reports, when not `pathMTU` (a broken one may report less than IPv6 allows).
    var reportedMTU: Int? = nil
    var tooBigAnswered = 0
    /// The last IPv6 frame this NIC sent (a forger's template).
    var lastIPv6Frame: [UInt8] = []
    static let routerAddress = IPv6Address(parsing: "fd00::99")!

    init(mac: MACAddress, offloads: TransmitOffloads) {
        macAddress = mac
        transmitOffloads = offloads
    }

    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int {
        receive(limit: limit) { frame, _ in handler(frame) }
    }

    func receive(limit: Int, _ handler: (ByteView, _ checksumVouched: Bool) -> Void) -> Int {
        var n = 0
        while n < limit, !inbox.isEmpty {
            inbox.removeFirst().withByteView { handler($0, vouchForReceived) }
            n += 1
        }
        return n
    }

    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool {
        #expect(length <= 14 + mtu)
        put([filled(length, fill)])
        return true
    }

    func transmit(length: Int, offload: FrameOffload?, _ fill: (MutableByteView) -> Void) -> Bool {
        guard let offload else { return transmit(length: length, fill) }
        #expect(transmitOffloads.checksum)
        let frame = filled(length, fill)
        let ipv6 = frame[12] == 0x86 && frame[13] == 0xDD
        #expect(offload.checksumStart == (ipv6 ? 54 : 34) && offload.checksumOffset == 16)
        #expect(length <= (offload.segmentSize > 0 ? 14 + transmitOffloads.segmentationLimit : 14 + mtu))
        offloadedFrames += 1
        if offload.segmentSize > 0 { framesCut += 1 }
        largestHandedOver = max(largestHandedOver, length)
        if ipv6 {
            // As HOST_TSO4 alone: an IPv6 frame is only ever checksummed, never cut.
            #expect(offload.segmentSize == 0)
            var finished = frame
            finished.withMutableByteView { view in
                view.setU16(InternetChecksum.of(view.readOnly.suffix(from: offload.checksumStart)!),
                            at: offload.checksumStart + offload.checksumOffset)
            }
            put([finished])
        } else {
            put(OffloadingDevice.finishFrame(frame, checksumStart: offload.checksumStart,
                                             headerLength: offload.headerLength, segmentSize: offload.segmentSize))
        }
        return true
    }

    func flush() {}

    private func filled(_ length: Int, _ fill: (MutableByteView) -> Void) -> [UInt8] {
        var frame = [UInt8](repeating: 0xA5, count: length)   // stale bytes show any the stack forgets
        frame.withMutableByteView { fill($0) }
        return frame
    }

    /// A packet too big from `routerAddress` about `frame` (as much of its packet as fits 1280 bytes),
    /// to the frame's sender; `seqDelta` moves the quoted TCP sequence number (a forger's guess),
    /// `otherSource` changes the quoted source address (a packet someone else sent).
    static func packetTooBig(about frame: [UInt8], mtu: Int, seqDelta: UInt32 = 0, otherSource: Bool = false) -> [UInt8] {
        var quote = Array(frame[14..<min(frame.count, 14 + 1280 - 48)])
        quote.withMutableByteView { $0.setU32($0.readOnly.u32(at: 44) &+ seqDelta, at: 44) }
        let sender = quote.withByteView { IPv6Address(reading: $0, at: 8) }
        if otherSource { quote[23] ^= 0x01 }
        var icmp = [ICMPv6Message.Kind.packetTooBig, 0, 0, 0, UInt8(mtu >> 24), UInt8(mtu >> 16 & 0xFF),
                    UInt8(mtu >> 8 & 0xFF), UInt8(mtu & 0xFF)] + quote
        icmp.withMutableByteView { ICMPv6Message.finishChecksum($0, source: routerAddress, destination: sender) }
        var ip = [UInt8](repeating: 0, count: IPv6Packet.headerLength)
        ip.withMutableByteView {
            IPv6Packet.writeHeader(into: $0, source: routerAddress, destination: sender,
                                   nextHeader: IPv6Packet.NextHeader.icmpv6, payloadLength: icmp.count, hopLimit: 64)
        }
        return Array(frame[6..<12]) + Array(frame[0..<6]) + [0x86, 0xDD] + ip + icmp
    }

    private func put(_ frames: [[UInt8]]) {
        for var frame in frames {
            if frame[12] == 0x86 && frame[13] == 0xDD {
                lastIPv6Frame = frame
                if let mtu = pathMTU, frame.count - 14 > mtu {
                    tooBigAnswered += 1
                    inbox.append(WireNIC.packetTooBig(about: frame, mtu: reportedMTU ?? mtu))
                    continue
                }
            }
            largestOnWire = max(largestOnWire, frame.count)
            if skipTransportChecksums && frame[23] == IPProtocolNumber.tcp { frame[50] = 0; frame[51] = 0 }
            peer?.inbox.append(frame)
        }
    }
}

/// One host: NIC, interface, TCP over it.
final class OffloadHost {
    let nic: WireNIC
    let interface: Interface<WireNIC>
    let glue: TCPOverIP<WireNIC>
    let tcp: TCPLayer
    let address: IPv4Address
    /// The link-local address (EUI-64 from the MAC), usable once DAD is over (with `ipv6`).
    let linkLocal: IPv6Address

    init(index: UInt8, offloads: TransmitOffloads, ipv6: Bool = false) {
        address = IPv4Address(10, 0, 0, index)
        nic = WireNIC(mac: MACAddress(0x02_00_00_00_00_00 | UInt64(index)), offloads: offloads)
        interface = Interface(nic: nic)
        try! interface.configure(IPv4Configuration(address: address, prefixLength: 24), now: .zero)
        glue = TCPOverIP(interface: interface)
        tcp = TCPLayer(configuration: TCPConfiguration(seed: UInt64(index)), output: glue)
        glue.tcp = tcp
        try! interface.register(glue, forProtocol: IPProtocolNumber.tcp)
        linkLocal = IPv6Address(prefix: .linkLocalPrefix, mac: nic.macAddress)
        if ipv6 {
            try! interface.registerIPv6(glue, forNextHeader: IPProtocolNumber.tcp)
            interface.startIPv6(now: .zero, seed: UInt64(index))
        }
    }

    func turn(now: Instant) {
        interface.poll(now: now)
        tcp.poll(now: now)
        interface.flush()
    }
}

@Suite struct OffloadTests {
    static let tso = TransmitOffloads(checksum: true, segmentationLimit: 32 * 1024)

    /// Sends `size` bytes from a server at A to a client at B and returns what B read, with both hosts.
    /// With `ipv6` the hosts speak over their link-local addresses, once duplicate address detection is over.
    static func transfer(size: Int, server: TransmitOffloads, client: TransmitOffloads, ipv6: Bool = false,
                         prepare: (OffloadHost, OffloadHost) -> Void = { _, _ in },
                         during: (_ received: Int, OffloadHost, OffloadHost) -> Void = { _, _, _ in })
        -> (received: [UInt8], sent: [UInt8], a: OffloadHost, b: OffloadHost) {
        let a = OffloadHost(index: 1, offloads: server, ipv6: ipv6), b = OffloadHost(index: 2, offloads: client, ipv6: ipv6)
        prepare(a, b)
        a.nic.peer = b.nic
        b.nic.peer = a.nic
        var generator = SplitMix64(seed: 9)
        let data = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let listener = try! a.tcp.listen(port: 80, backlog: 1)
        var client: TCPHandle? = nil
        var server: TCPHandle? = nil
        var sent = 0
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        for step in 0..<20_000 where received.count < size {
            let now = Instant.zero + Interval.milliseconds(UInt64(step))
            if client == nil {
                if !ipv6 {
                    client = try! b.tcp.connect(from: IPAddress(b.address), to: Endpoint(a.address, 80), now: now)
                } else if a.interface.ipv6.isOurs(a.linkLocal) && b.interface.ipv6.isOurs(b.linkLocal) {
                    client = try! b.tcp.connect(from: IPAddress(b.linkLocal), to: Endpoint(IPAddress(a.linkLocal), 80),
                                                now: now)
                }
            }
            during(received.count, a, b)
            a.turn(now: now)
            b.turn(now: now)
            while a.tcp.nextChanged() != nil {}
            while b.tcp.nextChanged() != nil {}
            if server == nil { server = try? a.tcp.accept(listener) }
            if let server, sent < size {
                sent += data.withByteView { (try? a.tcp.send(server, $0.suffix(from: sent)!)) ?? 0 }
            }
            while let client, let n = buffer.withMutableByteView({ try? b.tcp.receive(client, into: $0) }), n > 0 {
                received += buffer[0..<n]
            }
        }
        return (received, data, a, b)
    }

    @Test func segmentationOffloadDeliversEveryByteAndEveryChecksumVerifies() {
        let (received, sent, a, b) = Self.transfer(size: 300_000, server: Self.tso, client: Self.tso)
        #expect(received == sent)
        #expect(a.nic.framesCut > 0)
        #expect(a.nic.largestHandedOver > 14 + 1500 && a.nic.largestHandedOver <= 14 + 32 * 1024)
        #expect(a.nic.largestOnWire <= 14 + 1500)
        #expect(b.tcp.counters.badChecksum == 0 && b.interface.counters.ipv4.badChecksum == 0)
        #expect(a.tcp.counters.badChecksum == 0 && a.interface.counters.ipv4.badChecksum == 0)
    }

    /// TCP over IPv6 through the appliance's glue: a listener on port 80 accepts an IPv6 connection, the
    /// NIC finishes checksums but is never handed a segment to cut (it cuts IPv4 only), and full-sized
    /// segments fill a 1500-byte packet exactly (MSS 1440: IPv6's header is 20 bytes longer).
    @Test func tcpOverIPv6UsesChecksumOffloadButNeverSegmentation() {
        let (received, sent, a, b) = Self.transfer(size: 300_000, server: Self.tso, client: Self.tso, ipv6: true)
        let whole = received == sent
        #expect(whole, "\(received.count) of \(sent.count) bytes")
        #expect(a.nic.offloadedFrames > 0 && a.nic.framesCut == 0)
        #expect(a.nic.largestHandedOver == 14 + 1500 && a.nic.largestOnWire == 14 + 1500)
        #expect(a.interface.counters.ipv6.tooLarge == 0 && a.glue.sourceMismatches == 0)
        #expect(b.tcp.counters.badChecksum == 0 && a.tcp.counters.badChecksum == 0)
        #expect(a.interface.counters.ipv4.sent == 0 && a.interface.counters.ipv6.sent > 200)
    }

    @Test func checksumOffloadAloneSendsOnlyOrdinarySegments() {
        let checksumOnly = TransmitOffloads(checksum: true, segmentationLimit: 0)
        let (received, sent, a, b) = Self.transfer(size: 100_000, server: checksumOnly, client: .none)
        #expect(received == sent)
        #expect(a.nic.offloadedFrames > 0 && a.nic.framesCut == 0 && a.nic.largestHandedOver <= 14 + 1500)
        #expect(b.nic.offloadedFrames == 0)
        #expect(b.tcp.counters.badChecksum == 0)
    }

    @Test func withoutOffloadsTheStackChecksumsEverything() {
        let (received, sent, a, b) = Self.transfer(size: 100_000, server: .none, client: .none)
        #expect(received == sent)
        #expect(a.nic.offloadedFrames == 0 && b.nic.offloadedFrames == 0)
        #expect(b.tcp.counters.badChecksum == 0)
    }

    @Test func aChecksumTheNICVouchesForIsNotVerifiedAgain() {
        let (received, sent, _, b) = Self.transfer(size: 100_000, server: Self.tso, client: .none) { a, b in
            a.nic.skipTransportChecksums = true
            b.nic.vouchForReceived = true
        }
        #expect(received == sent)
        #expect(b.tcp.counters.badChecksum == 0)
    }

    @Test func withoutTheNICsWordEveryChecksumIsVerifiedAndBadOnesCounted() {
        let (received, _, _, b) = Self.transfer(size: 10_000, server: Self.tso, client: .none) { a, _ in
            a.nic.skipTransportChecksums = true
        }
        #expect(received.isEmpty)
        #expect(b.tcp.counters.badChecksum > 0)
    }

    @Test func offloadsNeedChecksumAndStayWithinAnIPv4Packet() {
        #expect(TransmitOffloads(checksum: false, segmentationLimit: 65_000).segmentationLimit == 0)
        #expect(TransmitOffloads(checksum: true, segmentationLimit: 1 << 20).segmentationLimit == IPv4Packet.maximumLength)
        #expect(TCPOutputOffload(checksum: false, segmentationLimit: 30_000).segmentationLimit == 0)
    }
}
