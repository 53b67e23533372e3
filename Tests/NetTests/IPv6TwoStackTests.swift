import Bytes
import Testing
import TestSupport
@testable import Net

/// Two stacks on one simulated link speaking IPv6 to each other: DAD, neighbour discovery, echo.
@Suite struct IPv6TwoStackTests {
    static func linkLocal(_ s: Interface<LinkNIC>) -> IPv6Address { IPv6Address(prefix: .linkLocalPrefix, mac: s.nic.macAddress) }

    /// An echo request from `from` to `to` (an ICMPv6 message written with Net's checksum helper).
    static func ping(_ from: Interface<LinkNIC>, _ to: IPv6Address, sequence: UInt16, now: Instant) -> SendResult {
        from.sendIPv6(to: to, nextHeader: IPv6Packet.NextHeader.icmpv6, payloadLength: 16, now: now) { m, source in
            m[0] = ICMPv6Message.Kind.echoRequest; m[1] = 0
            m.setU16(7, at: 4); m.setU16(sequence, at: 6)
            m.fill(UInt8(truncatingIfNeeded: sequence), from: 8, count: 8)
            ICMPv6Message.finishChecksum(m, source: source, destination: to)
        }
    }

    @Test func stacksResolveEachOtherAndPingOverLinkLocal() {
        let net = TwoStacks(seed: 3, impairment: .init(delay: .microseconds(200)))
        net.a.startIPv6(now: net.clock.now(), seed: 1)
        net.b.startIPv6(now: net.clock.now(), seed: 2)
        net.run(until: net.clock.now() + .seconds(3))
        let b = Self.linkLocal(net.b)
        #expect(net.a.ipv6.isOurs(Self.linkLocal(net.a)) && net.b.ipv6.isOurs(b))
        for seq in 0..<5 {
            #expect(Self.ping(net.a, b, sequence: UInt16(seq), now: net.clock.now()) == (seq == 0 ? .queuedForARP : .sent))
            net.run(until: net.clock.now() + .milliseconds(10))
        }
        #expect(net.b.counters.icmpv6.echoRequestsReceived == 5 && net.b.counters.icmpv6.echoRepliesSent == 5)
        #expect(net.a.counters.icmpv6.echoRepliesReceived == 5)
        #expect(net.a.ipv6.neighbours.state(of: b, now: net.clock.now()) == .reachable)
        #expect(net.a.counters.nd.duplicateAddresses == 0 && net.b.counters.nd.duplicateAddresses == 0)
        // Both IPv4 and IPv6 work at once: an IPv4 ping still answers.
        let v4 = [UInt8](repeating: 1, count: 8).withByteView {
            net.a.sendEchoRequest(to: TwoStacks.addressB, identifier: 1, sequence: 1, data: $0, now: net.clock.now())
        }
        #expect(v4 == .queuedForARP)
        net.run(until: net.clock.now() + .milliseconds(10))
        #expect(net.a.takeEchoReply() != nil)
    }

    @Test func aLateComerFindsItsStaticAddressTaken() {
        let net = TwoStacks(seed: 4, impairment: .init(delay: .microseconds(200)))
        let shared = IPv6Address(parsing: "fd00:100:200::64")!
        net.a.startIPv6(manual: (shared, 64), now: net.clock.now(), seed: 1)
        net.run(until: net.clock.now() + .seconds(3))
        net.b.startIPv6(manual: (shared, 64), now: net.clock.now(), seed: 2)
        net.run(until: net.clock.now() + .seconds(3))
        #expect(net.a.ipv6.entry(shared)?.state == .preferred)
        #expect(net.b.ipv6.entry(shared)?.state == .duplicate)
        #expect(net.b.counters.nd.duplicateAddresses == 1 && net.a.counters.nd.advertisementsSent >= 1)
        // Both link-local addresses are fine, and the address answers from A only.
        #expect(net.b.ipv6.isOurs(Self.linkLocal(net.b)))
        #expect(Self.ping(net.b, shared, sequence: 1, now: net.clock.now()) == .queuedForARP)
        net.run(until: net.clock.now() + .milliseconds(10))
        #expect(net.a.counters.icmpv6.echoRepliesSent == 1 && net.b.counters.icmpv6.echoRepliesReceived == 1)
    }
}
