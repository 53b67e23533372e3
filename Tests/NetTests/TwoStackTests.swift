import Bytes
import Testing
import TestSupport
@testable import Net

/// A NIC on one end of a SimulatedLink; frames go on the wire when flushed, at the clock's time.
final class LinkNIC: NetworkInterface {
    let macAddress: MACAddress
    let mtu = 1500
    let end: Int
    let link: SimulatedLink
    let clock: VirtualClock
    var inbox: [[UInt8]] = []
    private var queued: [[UInt8]] = []

    init(mac: MACAddress, end: Int, link: SimulatedLink, clock: VirtualClock) {
        macAddress = mac; self.end = end; self.link = link; self.clock = clock
    }

    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int {
        let batch = inbox.prefix(limit)
        inbox.removeFirst(batch.count)
        for frame in batch { frame.withByteView { handler($0) } }
        return batch.count
    }

    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool {
        var buffer = [UInt8](repeating: 0xA5, count: length)
        buffer.withMutableByteView { fill($0) }
        queued.append(buffer)
        return true
    }

    func flush() {
        for frame in queued { link.send(from: end, frame, now: clock.now()) }
        queued.removeAll()
    }
}

/// Two stacks on one simulated link, 10.0.0.1 and 10.0.0.2 /24, driven by their deadlines.
final class TwoStacks {
    static let addressA = IPv4Address(10, 0, 0, 1)
    static let addressB = IPv4Address(10, 0, 0, 2)
    let clock = VirtualClock()
    let link: SimulatedLink
    let a: Interface<LinkNIC>
    let b: Interface<LinkNIC>

    init(seed: UInt64, impairment: SimulatedLink.Impairment = .init()) {
        link = SimulatedLink(seed: seed, impairment: impairment)
        a = Interface(nic: LinkNIC(mac: MACAddress(0x02, 0, 0, 0, 0, 0xA), end: 0, link: link, clock: clock))
        b = Interface(nic: LinkNIC(mac: MACAddress(0x02, 0, 0, 0, 0, 0xB), end: 1, link: link, clock: clock))
        try! a.configure(IPv4Configuration(address: TwoStacks.addressA, prefixLength: 24), now: clock.now())
        try! b.configure(IPv4Configuration(address: TwoStacks.addressB, prefixLength: 24), now: clock.now())
    }

    /// Runs the event loop (deliver arrivals, poll both, jump to the next event) up to `end`.
    func run(until end: Instant) {
        while true {
            for (to, frame) in link.arrivals(upTo: clock.now()) { (to == 0 ? a : b).nic.inbox.append(frame) }
            a.poll(now: clock.now())
            b.poll(now: clock.now())
            let next = min(link.nextArrival ?? .never, a.nextDeadline(), b.nextDeadline())
            if next <= clock.now() { continue }
            if next > end { clock.advance(to: end); return }
            clock.advance(to: next)
        }
    }
}

@Suite struct TwoStackTests {
    @Test func stacksPingEachOtherOverACleanLink() {
        let net = TwoStacks(seed: 1, impairment: .init(delay: .microseconds(200)))
        for seq in 0..<10 {
            let data = (0..<64).map { UInt8(truncatingIfNeeded: $0 + seq) }
            let result = data.withByteView { net.a.sendEchoRequest(to: TwoStacks.addressB, identifier: 7, sequence: UInt16(seq), data: $0, now: net.clock.now()) }
            #expect(result == (seq == 0 ? .queuedForARP : .sent))
            net.run(until: net.clock.now() + .milliseconds(10))
            let reply = net.a.takeEchoReply()
            #expect(reply == ICMPEchoReply(source: TwoStacks.addressB, identifier: 7, sequence: UInt16(seq), data: data))
        }
        #expect(net.b.counters.icmp.echoRepliesSent == 10)
        #expect(net.a.counters.arp.requestsSent == 1)
        #expect(net.b.arpCache.lookup(TwoStacks.addressA, now: net.clock.now()) != nil)
    }

    @Test func udpCrossesTheLinkBothWays() throws {
        let net = TwoStacks(seed: 2)
        let server = try net.b.bindUDP(port: 7)
        let client = try net.a.bindUDP(port: 40000)
        _ = [1, 2, 3].withByteView { net.a.sendUDP(from: client, to: Endpoint(TwoStacks.addressB, 7), payload: $0, now: net.clock.now()) }
        net.run(until: net.clock.now() + .milliseconds(5))
        let request = try #require(net.b.receiveUDP(server))
        #expect(request.source == Endpoint(TwoStacks.addressA, 40000))
        _ = request.payload.withByteView { net.b.sendUDP(from: server, to: request.source, payload: $0, now: net.clock.now()) }
        net.run(until: net.clock.now() + .milliseconds(5))
        #expect(net.a.receiveUDP(client)?.payload == [1, 2, 3])
    }

    @Test func lossyLinkLosesPingsButNeverCorruptsThem() {
        let impairment = SimulatedLink.Impairment(lossPercent: 20, duplicatePercent: 5, reorderPercent: 10,
                                                  delay: .milliseconds(1), jitter: .milliseconds(2))
        let net = TwoStacks(seed: 42, impairment: impairment)
        var replies = 0
        for seq in 0..<100 {
            let data = [UInt8(truncatingIfNeeded: seq), 0x55]
            _ = data.withByteView { net.a.sendEchoRequest(to: TwoStacks.addressB, identifier: 1, sequence: UInt16(seq), data: $0, now: net.clock.now()) }
            net.run(until: net.clock.now() + .milliseconds(50))
            while let reply = net.a.takeEchoReply() {
                #expect(reply.data == [UInt8(truncatingIfNeeded: reply.sequence), 0x55])
                replies += 1
            }
        }
        #expect(replies > 30)
        #expect(replies <= 100 + Int(net.link.stats.duplicated))
        #expect(net.a.counters.ipv4.badChecksum == 0 && net.b.counters.ipv4.badChecksum == 0)
    }
}
