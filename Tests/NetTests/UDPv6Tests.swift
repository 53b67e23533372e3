import Bytes
import Testing
@testable import Net

/// UDP over IPv6 (issue 19): the same sockets take and send both families; a closed port answers with
/// an ICMPv6 port unreachable under the shared error rate limit.
@Suite struct UDPv6Tests {
    typealias F = StackFixture

    /// A UDP datagram over IPv6 from the peer's link-local address to `destination`.
    static func datagram(from port: UInt16 = 40000, to destinationPort: UInt16, payload: [UInt8],
                         destination: IPv6Address = V6.ourLinkLocal, zeroChecksum: Bool = false) -> [UInt8] {
        var udp = Frames.udp(source: Endpoint(V6.peerLinkLocal, port), destination: Endpoint(destination, destinationPort),
                             payload: payload)
        if zeroChecksum { udp[6] = 0; udp[7] = 0 }
        let mac = destination.isMulticast ? destination.multicastMAC : Frames.ourMAC
        return V6.frame(V6.packet(source: V6.peerLinkLocal, destination: destination, nextHeader: IPProtocolNumber.udp,
                                  payload: udp), to: mac)
    }

    /// A stack with IPv6 up and the peer known (it solicited us), so replies leave at once.
    static func fixture() -> F {
        let f = F()
        f.startIPv6()
        _ = f.deliver(V6.solicitation(target: V6.ourLinkLocal))
        return f
    }

    @Test func aSocketReceivesIPv6DatagramsAndAnswersOverIPv6() throws {
        let f = Self.fixture()
        let socket = try f.stack.bindUDP(port: 7)
        #expect(f.deliver(Self.datagram(to: 7, payload: [1, 2, 3])).isEmpty)
        let d = try #require(f.stack.receiveUDP(socket))
        #expect(d.source == Endpoint(V6.peerLinkLocal, 40000) && d.destination == IPAddress(V6.ourLinkLocal))
        #expect(d.payload == [1, 2, 3] && f.stack.isOwnUnicast(d.destination))
        let result = d.payload.withByteView { f.stack.sendUDP(from: socket, to: d.source, payload: $0, now: f.now) }
        #expect(result == .sent)
        let ip = try #require(f.poll().first?.ipv6)
        #expect(ip.nextHeader == IPProtocolNumber.udp && ip.source == V6.ourLinkLocal && ip.destination == V6.peerLinkLocal)
        try ip.payload.withByteView { v in
            let reply = try UDPDatagram(parsing: v, source: IPAddress(ip.source), destination: IPAddress(ip.destination))
            #expect(reply.sourcePort == 7 && reply.destinationPort == 40000 && reply.payload.toArray() == [1, 2, 3])
        }
        #expect(f.stack.counters.udp.received == 1 && f.stack.counters.udp.sent == 1)
    }

    @Test func aZeroOrWrongChecksumIsRefusedOverIPv6() throws {
        let f = Self.fixture()
        let socket = try f.stack.bindUDP(port: 7)
        _ = f.deliver(Self.datagram(to: 7, payload: [1], zeroChecksum: true))     // RFC 8200 8.1: mandatory
        var bad = Self.datagram(to: 7, payload: [1])
        bad[bad.count - 1] ^= 0x01
        _ = f.deliver(bad)
        #expect(f.stack.counters.udp.badChecksum == 2 && f.stack.receiveUDP(socket) == nil)
    }

    @Test func aClosedPortAnswersPortUnreachableRateLimited() throws {
        let f = Self.fixture()
        let offending = Self.datagram(to: 9999, payload: [7, 7])
        let answer = try #require(f.deliver(offending).first)
        #expect(answer.icmpv6Type == ICMPv6Message.Kind.destinationUnreachable)
        let p = try #require(answer.ipv6)
        #expect(p.source == V6.ourLinkLocal && p.destination == V6.peerLinkLocal)
        #expect(p.payload[1] == ICMPv6Message.UnreachableCode.portUnreachable)
        #expect(Array(p.payload[8...]) == Array(offending[EthernetFrame.headerLength...]))     // the whole packet quoted
        #expect(f.stack.counters.udp.noSocket == 1 && f.stack.counters.icmpv6.errorsSent == 1)
        // A flood draws no more than the burst the ICMPv6 error limiter allows; the rest are counted.
        var answers = 0
        for _ in 0..<50 { answers += f.deliver(offending).count }
        #expect(answers == InterfaceLimits.icmpErrorBurst - 1)
        #expect(f.stack.counters.icmpv6.rateLimited == UInt64(50 - answers))
    }

    @Test func datagramsToAGroupAreNotForUsAndDrawNoError() throws {
        let f = Self.fixture()
        _ = try f.stack.bindUDP(port: 7)
        #expect(f.deliver(Self.datagram(to: 7, payload: [1], destination: .allNodes)).isEmpty)
        #expect(f.deliver(Self.datagram(to: 9999, payload: [1], destination: .allNodes)).isEmpty)
        #expect(f.stack.counters.udp.received == 0 && f.stack.counters.ipv6.notForUs == 2)
    }

    @Test func withoutIPv6SendingToAnIPv6EndpointIsNoRoute() throws {
        let f = F()
        let socket = try f.stack.bindUDP(port: 7)
        let result = [1].withByteView { f.stack.sendUDP(from: socket, to: Endpoint(V6.peerLinkLocal, 9), payload: $0, now: f.now) }
        #expect(result == .dropped(.noRoute) && f.stack.counters.ipv6.noRoute == 1 && f.stack.counters.ipv4.noRoute == 0)
    }
}
