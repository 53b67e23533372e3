import Bytes
import Testing
@testable import Net

/// Neighbour discovery, DAD, SLAAC, MLD and ICMPv6 on one stack, against crafted frames.
@Suite struct NDPTests {
    typealias F = StackFixture

    @Test func startReportsGroupsProbesTheLinkLocalAddressThenSolicitsRouters() throws {
        let f = F()
        let sent = f.startIPv6()
        // MLDv2 report first (hop limit 1, router alert, from :: before the address is ours), listing
        // our solicited-node group; then DAD's solicitation from ::; then, the address ours, an RS.
        let report = try #require(sent.first { $0.icmpv6Type == ICMPv6Message.Kind.mldv2Report }?.ipv6)
        #expect(report.source == .unspecified && report.destination == .allMLDv2Routers && report.hopLimit == 1)
        #expect(Array(report.payload[12..<28]) == V6.bytes(V6.ourLinkLocal.solicitedNode))
        let dad = try #require(sent.first { $0.icmpv6Type == ICMPv6Message.Kind.neighbourSolicitation })
        #expect(dad.ipv6?.source == .unspecified && dad.ipv6?.destination == V6.ourLinkLocal.solicitedNode)
        #expect(dad.destinationMAC == V6.ourLinkLocal.solicitedNode.multicastMAC)
        #expect(dad.ipv6?.payload.count == NDP.targetMessageLength)       // no address option from ::
        #expect(f.stack.ipv6.entry(V6.ourLinkLocal)?.state == .preferred)
        let rs = try #require(sent.first { $0.icmpv6Type == ICMPv6Message.Kind.routerSolicitation }?.ipv6)
        #expect(rs.source == V6.ourLinkLocal && rs.destination == .allRouters && rs.hopLimit == 255)
        #expect(f.stack.counters.nd.mldReportsSent >= 1 && f.stack.counters.nd.solicitationsSent == 1)
        // Three solicitations in all, four seconds apart, then quiet.
        var later: [Decoded] = []
        for _ in 0..<20 { f.advance(.seconds(1)); later += f.poll() }
        #expect(f.stack.counters.nd.routerSolicitationsSent == UInt64(IPv6Limits.solicitations))
        #expect(later.allSatisfy { $0.icmpv6Type != ICMPv6Message.Kind.neighbourSolicitation })
        #expect(f.stack.nextDeadline() == .never)
    }

    @Test func answersSolicitationsAndEchoOnItsAddressesOnly() throws {
        let f = F()
        f.startIPv6()
        let answer = f.deliver(V6.solicitation(target: V6.ourLinkLocal))
        let na = try #require(answer.first)
        #expect(na.icmpv6Type == ICMPv6Message.Kind.neighbourAdvertisement && na.destinationMAC == Frames.peerMAC)
        let p = try #require(na.ipv6)
        #expect(p.source == V6.ourLinkLocal && p.destination == V6.peerLinkLocal && p.hopLimit == 255)
        #expect(p.payload[4] == NDP.solicitedFlag | NDP.overrideFlag)
        #expect(Array(p.payload[8..<24]) == V6.bytes(V6.ourLinkLocal))
        #expect(Array(p.payload[24..<32]) == V6.macOption(NDP.Option.targetLinkLayer, Frames.ourMAC))
        // The asker was learnt (STALE), and answering it moved it to DELAY (RFC 4861 7.3.3); the echo
        // reply goes straight back.
        #expect(f.stack.ipv6.neighbours.state(of: V6.peerLinkLocal, now: f.now) == .delay)
        let reply = try #require(f.deliver(V6.echoRequest(to: V6.ourLinkLocal)).first)
        #expect(reply.icmpv6Type == ICMPv6Message.Kind.echoReply && reply.ipv6?.payload.suffix(4) == [1, 2, 3, 4])
        #expect(f.stack.ipv6.neighbours.state(of: V6.peerLinkLocal, now: f.now) == .delay)
        // Not ours: counted, unanswered.
        let other = try #require(IPv6Address(parsing: "fe80::77"))
        #expect(f.deliver(V6.solicitation(target: other)).isEmpty)     // its group's MAC is not ours
        #expect(f.stack.counters.ethernet.notForUs == 1)
        #expect(f.deliver(V6.frame(V6.icmpPacket(type: ICMPv6Message.Kind.neighbourSolicitation,
                                                 rest: [0, 0, 0, 0] + V6.bytes(other)))).isEmpty)
        #expect(f.stack.counters.nd.notForUs == 1)
        #expect(f.deliver(V6.echoRequest(to: other)).isEmpty)
        #expect(f.stack.counters.ipv6.notForUs >= 1)
        // Echo to all-nodes is not answered (no amplification).
        #expect(f.deliver(V6.frame(V6.icmpPacket(type: ICMPv6Message.Kind.echoRequest, rest: [0, 1, 0, 1], destination: .allNodes),
                                   to: IPv6Address.allNodes.multicastMAC)).isEmpty)
        #expect(f.stack.counters.icmpv6.multicastEchoIgnored == 1)
        #expect(f.stack.counters.icmpv6.echoRepliesSent == 1)
    }

    @Test func slaacFromARouterAdvertisement() throws {
        let f = F()
        f.startIPv6()
        f.deliver(V6.routerAdvertisement())
        #expect(f.stack.counters.nd.routerAdvertisementsReceived == 1)
        #expect(f.stack.ipv6.routers.map(\.address) == [V6.routerLinkLocal])
        #expect(f.stack.ipv6.entry(V6.ourGlobal)?.state == .tentative)
        var sent: [Decoded] = []
        for _ in 0..<25 { f.advance(.milliseconds(100)); sent += f.poll() }
        #expect(sent.contains { $0.ipv6?.destination == V6.ourGlobal.solicitedNode && $0.icmpv6Type == ICMPv6Message.Kind.neighbourSolicitation })
        let entry = try #require(f.stack.ipv6.entry(V6.ourGlobal))
        #expect(entry.state == .preferred && entry.origin == .autoconfigured && entry.prefixLength == 64)
        // Off-link destinations go through the router, whose MAC the advertisement gave; the source
        // is the global address (RFC 6724 rule 2), on-link ones are asked for directly.
        let remote = try #require(IPv6Address(parsing: "2001:db8::99"))
        let result = f.stack.sendIPv6(to: remote, nextHeader: 59, payloadLength: 0, now: f.now) { _, _ in }
        #expect(result == .sent)
        f.stack.flush()
        let out = try #require(f.nic.takeSent().first.map { Decoded(bytes: $0) })
        #expect(out.destinationMAC == V6.routerMAC && out.ipv6?.source == V6.ourGlobal && out.ipv6?.hopLimit == 64)
        #expect(f.stack.ipv6.source(for: V6.peerLinkLocal) == V6.ourLinkLocal)
        // The same prefix again with a 60 s valid lifetime: the two-hour rule keeps two hours.
        f.deliver(V6.routerAdvertisement(valid: 60, preferred: 30))
        #expect(f.stack.ipv6.entry(V6.ourGlobal)?.validUntil == f.now + IPv6Limits.twoHours)
        // Preferred lifetime over: deprecated, still ours; valid lifetime over: gone.
        f.advance(.seconds(31)); _ = f.poll()
        #expect(f.stack.ipv6.entry(V6.ourGlobal)?.state == .deprecated)
        f.advance(IPv6Limits.twoHours); _ = f.poll()
        #expect(f.stack.ipv6.entry(V6.ourGlobal) == nil)
        #expect(f.stack.ipv6.routers.isEmpty)          // its 1800 s lifetime ended too
    }

    @Test func invalidRouterAdvertisementsAreDroppedAndCounted() {
        let f = F()
        f.startIPv6()
        let global = IPv6Address(parsing: "2001:db8::1")!
        f.deliver(V6.routerAdvertisement(hopLimit: 64))                 // forwarded: not from the link
        f.deliver(V6.routerAdvertisement(code: 1))
        f.deliver(V6.routerAdvertisement(source: global))               // not link-local
        #expect(f.stack.counters.nd.invalid == 3)
        f.deliver(V6.routerAdvertisement(prefix: IPv6Address.linkLocalPrefix))
        f.deliver(V6.routerAdvertisement(valid: 10, preferred: 20))     // preferred over valid
        #expect(f.stack.counters.nd.prefixesRefused == 2)
        #expect(f.stack.ipv6.addresses.count == 1)
        // A zero-length option makes the whole message invalid (RFC 4861 6.1.2).
        var bad = V6.routerAdvertisement()
        bad[14 + 40 + 16 + 1] = 0
        f.deliver(bad)
        #expect(f.stack.counters.nd.invalid == 4 || f.stack.counters.icmpv6.badChecksum == 1)
    }

    @Test func duplicateAddressDetectionRefusesAnAddressSomeoneHas() {
        let f = F()
        let manual = IPv6Address(parsing: "fd00::64")!
        f.stack.startIPv6(manual: (manual, 64), now: f.now, seed: 1)
        // Another node answers for the tentative address before DAD ends.
        f.deliver(V6.advertisement(target: manual, flags: NDP.overrideFlag, destination: .allNodes))
        for _ in 0..<30 { f.advance(.milliseconds(100)); _ = f.poll() }
        #expect(f.stack.ipv6.entry(manual)?.state == .duplicate)
        #expect(f.stack.ipv6.entry(V6.ourLinkLocal)?.state == .preferred)
        #expect(f.stack.counters.nd.duplicateAddresses == 1)
        // A duplicate is never a source, and solicitations for it are not answered.
        #expect(f.stack.ipv6.source(for: IPv6Address(parsing: "fd00::1")!) == V6.ourLinkLocal)
        #expect(f.deliver(V6.solicitation(target: manual)).isEmpty)
        // Another node's DAD probe (from ::) for our tentative address also means duplicate.
        let g = F()
        g.stack.startIPv6(manual: (manual, 64), now: g.now, seed: 1)
        g.deliver(V6.solicitation(target: manual, source: .unspecified))
        #expect(g.stack.ipv6.entry(manual)?.state == .duplicate)
    }

    @Test func resolvesNeighboursWithBoundedQueues() throws {
        let f = F()
        f.startIPv6()
        let target = V6.peerLinkLocal
        func send() -> SendResult {
            f.stack.sendIPv6(to: target, nextHeader: 59, payloadLength: 8, now: f.now) { p, _ in p.fill(7, from: 0, count: 8) }
        }
        #expect(send() == .queuedForARP)
        f.stack.flush()
        let ns = try #require(f.nic.takeSent().first.map { Decoded(bytes: $0) })
        #expect(ns.icmpv6Type == ICMPv6Message.Kind.neighbourSolicitation && ns.ipv6?.destination == target.solicitedNode)
        for _ in 1..<NeighbourWaitQueue.capacity { #expect(send() == .queuedForARP) }
        #expect(send() == .dropped(.arpQueueFull))
        #expect(f.stack.counters.nd.queueFull == 1)
        // The solicited answer sends all sixteen, and the neighbour is REACHABLE.
        let released = f.deliver(V6.advertisement(target: target, flags: NDP.solicitedFlag | NDP.overrideFlag))
        #expect(released.count == NeighbourWaitQueue.capacity)
        #expect(f.stack.ipv6.neighbours.state(of: target, now: f.now) == .reachable)
        // After REACHABLE_TIME it is STALE; a send moves it to DELAY, then PROBE asks by unicast.
        f.advance(NeighbourCache.reachableTime)
        #expect(f.stack.ipv6.neighbours.state(of: target, now: f.now) == .stale)
        #expect(send() == .sent)
        _ = f.nic.takeSent()
        f.advance(NeighbourCache.delayFirstProbe)
        let probe = try #require(f.poll().first)
        #expect(probe.destinationMAC == Frames.peerMAC && probe.ipv6?.destination == target)
        #expect(f.stack.ipv6.neighbours.state(of: target, now: f.now) == .probe)
        // No answer to three probes: forgotten.
        for _ in 0..<3 { f.advance(.seconds(1)); _ = f.poll() }
        #expect(f.stack.ipv6.neighbours.state(of: target, now: f.now) == nil)
        // Resolutions nobody answers fail after three solicitations; what waited is counted.
        let silent = IPv6Address(parsing: "fe80::99")!
        #expect(f.stack.sendIPv6(to: silent, nextHeader: 59, payloadLength: 0, now: f.now) { _, _ in } == .queuedForARP)
        for _ in 0..<4 { f.advance(.seconds(1)); _ = f.poll() }
        #expect(f.stack.counters.nd.resolutionFailed == 1)
        // Nobody's addresses (the fuzz target found :: sent to the router): no route.
        for nobody in [IPv6Address.unspecified, .loopback, IPv6Address(parsing: "::ffff:a00:1")!] {
            #expect(f.stack.sendIPv6(to: nobody, nextHeader: 59, payloadLength: 0, now: f.now) { _, _ in } == .dropped(.noRoute))
        }
        // Off-link with no router: no route.
        #expect(f.stack.sendIPv6(to: IPv6Address(parsing: "2001:db8::1")!, nextHeader: 59, payloadLength: 0, now: f.now) { _, _ in }
                == .dropped(.noRoute))
    }

    @Test func unsolicitedNeighboursDoNotFillTheCache() {
        let f = F()
        f.startIPv6()
        for i in 0..<100 {
            let stranger = IPv6Address(high: 0xFE80 << 48, low: UInt64(1000 + i))
            f.deliver(V6.advertisement(target: stranger, flags: NDP.overrideFlag, destination: .allNodes))
        }
        #expect(f.stack.ipv6.neighbours.count == 0)
        // Solicitations for us from many askers: bounded, the oldest evicted and counted.
        for i in 0..<(NeighbourCache.capacity + 5) {
            let asker = IPv6Address(high: 0xFE80 << 48, low: UInt64(2000 + i))
            f.deliver(V6.solicitation(target: V6.ourLinkLocal, source: asker))
        }
        #expect(f.stack.ipv6.neighbours.count == NeighbourCache.capacity)
        #expect(f.stack.counters.nd.cacheEvictions == 5)
    }

    @Test func malformedPacketsAreDroppedAndCounted() {
        let f = F()
        f.startIPv6()
        let c0 = f.stack.counters
        f.deliver(V6.frame(Array(V6.icmpPacket(type: 128, rest: [0, 0, 0, 0], destination: V6.ourLinkLocal).prefix(30))))
        f.deliver(V6.frame(V6.packet(source: V6.peerLinkLocal, destination: V6.ourLinkLocal, nextHeader: 58,
                                     payload: [0, 0, 0, 0, 0, 0, 0, 0], extensions: [58, 0, 0, 0, 0, 0, 0, 1], firstNext: 44)))
        f.deliver(V6.frame(V6.packet(source: V6.peerLinkLocal, destination: V6.ourLinkLocal, nextHeader: 58,
                                     payload: [0, 0, 0, 0, 0, 0, 0, 0], extensions: [58, 0, 0, 1, 0, 0, 0, 0], firstNext: 43)))
        var badSum = V6.echoRequest(to: V6.ourLinkLocal)
        badSum[badSum.count - 1] ^= 0xFF
        f.deliver(badSum)
        // A jumbogram (RFC 2675): payload length 0, the length in a hop-by-hop option.
        var jumbo = V6.packet(source: V6.peerLinkLocal, destination: V6.ourLinkLocal, nextHeader: 58, payload: [0, 0, 0, 0],
                              extensions: [58, 0, 0xC2, 4, 0, 1, 0x11, 0x70], firstNext: 0)
        jumbo[4] = 0; jumbo[5] = 0
        f.deliver(V6.frame(jumbo))
        f.deliver(V6.solicitation(target: V6.ourLinkLocal, hopLimit: 64))
        f.deliver(V6.echoRequest(to: V6.ourLinkLocal, from: IPv6Address.allNodes))     // multicast source
        // An unknown next header to us: a rate-limited parameter problem back (to a known neighbour).
        f.deliver(V6.solicitation(target: V6.ourLinkLocal))
        let answer = f.deliver(V6.frame(V6.packet(source: V6.peerLinkLocal, destination: V6.ourLinkLocal, nextHeader: 200, payload: [1])))
        let c = f.stack.counters
        #expect(c.ipv6.truncated == c0.ipv6.truncated + 1)
        #expect(c.ipv6.fragments == 1 && c.ipv6.routingHeaders == 1 && c.ipv6.jumbograms == 1)
        #expect(c.icmpv6.badChecksum == 1 && c.nd.invalid == 1 && c.ipv6.badSource == 1)
        #expect(c.ipv6.unknownNextHeader == 1 && answer.first?.icmpv6Type == ICMPv6Message.Kind.parameterProblem)
        #expect(answer.first?.ipv6?.payload[1] == ICMPv6Message.ProblemCode.unrecognizedNextHeader)
        #expect(c.icmpv6.echoRepliesSent == 0)
        for _ in 0..<20 {
            f.deliver(V6.frame(V6.packet(source: V6.peerLinkLocal, destination: V6.ourLinkLocal, nextHeader: 200, payload: [1])))
        }
        #expect(f.stack.counters.icmpv6.rateLimited > 0)
    }

    /// RFC 8200 4.2: an unknown option's two high bits say what to do, and RFC 4443 2.4 (e.3) lets
    /// action 10 alone be answered for a packet sent to a group.
    @Test func unknownOptionsByAction() {
        let f = F()
        f.startIPv6()
        f.deliver(V6.solicitation(target: V6.ourLinkLocal))     // the peer known: answers leave at once
        func send(option: UInt8, to destination: IPv6Address, from source: IPv6Address = V6.peerLinkLocal) -> [Decoded] {
            let echo = V6.icmp(type: ICMPv6Message.Kind.echoRequest, rest: [0, 1, 0, 1], source: source,
                               destination: destination)
            let packet = V6.packet(source: source, destination: destination, nextHeader: 58, payload: echo,
                                   extensions: [58, 0, option, 4, 0, 0, 0, 0], firstNext: 60)
            let mac = destination.isMulticast ? destination.multicastMAC : Frames.ourMAC
            return f.deliver(V6.frame(packet, to: mac))
        }
        func problem(_ sent: [Decoded]) -> Bool {
            guard let p = sent.first?.ipv6, sent.first?.icmpv6Type == ICMPv6Message.Kind.parameterProblem else { return false }
            // Code 2 (unrecognized option), pointing at the option type, byte 42 of the packet.
            return p.source == V6.ourLinkLocal && p.payload[1] == ICMPv6Message.ProblemCode.unrecognizedOption && p.payload[7] == 42
        }
        #expect(send(option: 0x1E, to: V6.ourLinkLocal).first?.icmpv6Type == ICMPv6Message.Kind.echoReply)    // 00: skipped
        #expect(send(option: 0x5E, to: V6.ourLinkLocal).isEmpty)                                             // 01: silent
        #expect(problem(send(option: 0x9E, to: V6.ourLinkLocal)))                                            // 10
        #expect(problem(send(option: 0x9E, to: .allNodes)))                                                  // 10, to a group too
        #expect(problem(send(option: 0xDE, to: V6.ourLinkLocal)))                                            // 11
        #expect(send(option: 0xDE, to: .allNodes).isEmpty)                                                   // 11, not to a group
        #expect(send(option: 0x9E, to: IPv6Address(parsing: "ff05::1")!).isEmpty)      // a group we are not in (all-nodes' MAC)
        // A source that is no other single host (RFC 4443 2.4 e): our own address, loopback. No error,
        // and no resolution of our own address for one.
        #expect(send(option: 0x9E, to: V6.ourLinkLocal, from: V6.ourLinkLocal).isEmpty)
        #expect(send(option: 0x9E, to: V6.ourLinkLocal, from: IPv6Address(parsing: "::1")!).isEmpty)
        #expect(f.stack.counters.ipv6.unknownOptions == 8 && f.stack.counters.icmpv6.errorsSent == 3)
    }

    @Test func answersMLDQueries() throws {
        let f = F()
        f.startIPv6()
        let before = f.stack.counters.nd.mldReportsSent
        let query = [0, 100, 0, 0] + V6.bytes(.unspecified) + [0, 0, 0, 0]
        let hbh: [UInt8] = [58, 0, 5, 2, 0, 0, 1, 0]
        let message = V6.icmp(type: ICMPv6Message.Kind.mldQuery, rest: query, source: V6.routerLinkLocal, destination: .allNodes)
        let packet = V6.packet(source: V6.routerLinkLocal, destination: .allNodes, nextHeader: 58, hopLimit: 1,
                               payload: message, extensions: hbh, firstNext: 0)
        f.deliver(V6.frame(packet, to: IPv6Address.allNodes.multicastMAC, from: V6.routerMAC))
        #expect(f.stack.counters.nd.mldQueriesReceived == 1)
        f.advance(.milliseconds(100))
        let report = try #require(f.poll().first)
        #expect(report.icmpv6Type == ICMPv6Message.Kind.mldv2Report && report.ipv6?.source == V6.ourLinkLocal)
        #expect(report.ipv6?.payload[8] == MLDv2.modeIsExclude)
        #expect(f.stack.counters.nd.mldReportsSent == before + 1)
    }
}
