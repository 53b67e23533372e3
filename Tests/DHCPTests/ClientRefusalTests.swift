import Bytes
import Testing
@testable import DHCP

/// A harness whose client has sent its first DISCOVER and waits in SELECTING; the server stays
/// silent so the test hands in every reply itself.
private func selecting() -> (Harness, ClientPacket) {
    let h = Harness()
    h.server.answering = false
    h.start()
    return (h, h.sent[0])
}

/// A valid OFFER answering `p`, as the scripted server would send it.
private func offer(for p: ClientPacket, _ server: ScriptedServer) -> ServerReply {
    var r = ServerReply(xid: p.xid, chaddr: p.chaddr)
    r.yiaddr = ip(server.offered)
    r.options = opt(53, [2]) + server.leaseOptions() + [255]
    return r
}

@Suite struct ClientRefusalTests {
    @Test func malformedRepliesAreCountedAndIgnored() throws {
        let (h, discover) = selecting()
        let good = offer(for: discover, h.server)

        h.inject(Array(good.bytes.prefix(200)))
        var r = good; r.cookie = [1, 2, 3, 4]
        h.inject(r.bytes)
        r = good; r.op = 1
        h.inject(r.bytes)
        r = good; r.options = opt(53, [2]) + [54, 9, 10, 0] + [255]            // length past the end
        h.inject(r.bytes)
        r = good; r.options = opt(53, [2]) + opt(51, [0, 0, 1]) + [255]         // lease time of 3 bytes
        h.inject(r.bytes)
        r = good; r.options = opt(53, [2]) + opt(52, [1]) + [255]; r.file = [52, 1, 2, 255]  // overload loop
        h.inject(r.bytes)
        r = good; r.options = h.server.leaseOptions() + [255]                    // BOOTP, not DHCP
        h.inject(r.bytes)

        let c = h.client.counters
        #expect(c.received == 7)
        #expect(c.truncated == 1 && c.badMagicCookie == 1 && c.badHeader == 1)
        #expect(c.badOptions == 3 && c.notDHCP == 1 && c.malformed == 7)
        #expect(c.offers == 0)
        #expect(h.client.lastMessageError == .missingMessageType)
        #expect(h.client.state == .selecting && h.sent.count == 1)

        // The client is unharmed: the real offer still works.
        h.inject(good.bytes)
        #expect(h.client.state == .requesting && h.sent.last?.type == 3)
    }

    @Test func repliesForOtherTransactionsOrClientsAreIgnored() {
        let (h, discover) = selecting()
        var r = offer(for: discover, h.server)
        r.xid = discover.xid &+ 1
        h.inject(r.bytes)
        r = offer(for: discover, h.server)
        r.chaddr = [0x52, 0x54, 0x00, 0x12, 0x34, 0x57]
        h.inject(r.bytes)
        let c = h.client.counters
        #expect(c.otherTransaction == 1 && c.otherClient == 1 && c.offers == 0)
        #expect(h.client.state == .selecting && h.sent.count == 1)
    }

    @Test func offersThatCannotBecomeLeasesAreSkipped() {
        let (h, discover) = selecting()
        var r = offer(for: discover, h.server)
        r.yiaddr = [0, 0, 0, 0]
        h.inject(r.bytes)
        #expect(h.client.lastLeaseError == .unusableAddress)
        r = offer(for: discover, h.server)
        r.options = opt(53, [2]) + opt(51, be32(600)) + [255]
        h.inject(r.bytes)
        #expect(h.client.lastLeaseError == .missingServerIdentifier)
        #expect(h.client.counters.unusable == 2 && h.client.state == .selecting)
    }

    @Test func messagesTheStateDoesNotWaitForAreIgnored() throws {
        let (h, discover) = selecting()
        var ack = offer(for: discover, h.server)
        ack.options = opt(53, [5]) + h.server.leaseOptions() + [255]
        h.inject(ack.bytes)                                  // ACK before any REQUEST
        h.inject(offer(for: discover, h.server).bytes)       // -> REQUESTING
        h.inject(offer(for: discover, h.server).bytes)       // a second OFFER, too late
        #expect(h.client.counters.unexpected == 2 && h.client.state == .requesting)
        h.client.probeResult(conflict: false, now: h.now)    // nobody asked for a probe
        #expect(h.client.counters.unexpectedProbeResults == 1)
    }

    @Test func ackWithoutLeaseTimeIsRefused() throws {
        let (h, discover) = selecting()
        h.inject(offer(for: discover, h.server).bytes)
        var ack = offer(for: discover, h.server)
        ack.options = opt(53, [5]) + opt(54, ip(h.server.serverID)) + opt(1, [255, 255, 255, 0]) + [255]
        h.inject(ack.bytes)
        #expect(h.client.lastLeaseError == .missingLeaseTime)
        #expect(h.client.state == .requesting && h.probes.isEmpty)
    }

    @Test func nakInRequestingRestartsDiscoveryAtOnce() throws {
        let h = Harness()
        h.server.nakRequests = 1
        h.start()
        #expect(h.runUntilBound())
        #expect(h.sent.map { $0.type } == [1, 3, 1, 3])
        #expect(h.sent[2].sentAt == h.sent[1].sentAt + .milliseconds(2))
        #expect(h.sent[2].xid != h.sent[0].xid)
        #expect(h.client.counters.naks == 1 && h.deconfigured.isEmpty && h.configured.count == 1)
        #expect(h.logs.contains("dhcp: DHCPNAK from 192.168.7.1 in REQUESTING; restarting discovery"))
    }

    @Test func answersFromAServerWeDidNotSelectAreIgnored() throws {
        let (h, discover) = selecting()
        h.inject(offer(for: discover, h.server).bytes)
        #expect(h.client.state == .requesting)
        for type: UInt8 in [6, 5] {
            var r = offer(for: discover, h.server)
            r.options = opt(53, [type]) + opt(54, [192, 168, 7, 2]) + opt(51, be32(600)) + [255]
            h.inject(r.bytes)
        }
        #expect(h.client.counters.otherServer == 2 && h.client.state == .requesting)
    }

    @Test func conflictDeclinesWaitsTenSecondsAndTriesAgain() throws {
        let h = Harness()
        h.server.pool = [IPv4Address(192, 168, 7, 50), IPv4Address(192, 168, 7, 51)]
        h.probeConflict = { $0 == IPv4Address(192, 168, 7, 50) }
        h.start()
        #expect(h.runUntilBound())
        let decline = try #require(h.sentOf(type: 4).first)
        #expect(decline.destination == .broadcast && decline.ciaddr == [0, 0, 0, 0])
        #expect(decline.requested == [192, 168, 7, 50] && decline.serverID == ip(h.server.serverID))
        #expect(decline.options[12] == nil && decline.options[55] == nil)
        #expect(decline.xid == h.sent[0].xid)
        #expect(decline.sentAt == h.probes[0].at + h.probeDelay)
        let rediscover = try #require(h.sentOf(type: 1).dropFirst().first)
        #expect(rediscover.sentAt == decline.sentAt + .seconds(10))        // RFC 2131 §3.1 step 5
        #expect(h.configured.map { $0.lease.address } == [IPv4Address(192, 168, 7, 51)])
        #expect(h.client.counters.conflicts == 1)
        #expect(h.logs.contains("dhcp: 192.168.7.50 is already in use; declined it"))
    }

    @Test func repeatedConflictsAreRateLimited() throws {
        let h = Harness()
        h.server.pool = (1...30).map { IPv4Address(192, 168, 7, UInt8($0 + 100)) }
        h.probeConflict = { _ in true }
        h.start()
        h.run(until: .seconds(600))
        let declines = h.sentOf(type: 4)
        let discovers = h.sentOf(type: 1)
        #expect(declines.count >= 12)
        // RFC 5227 MAX_CONFLICTS: after the tenth conflict in a row, one attempt a minute.
        for (i, d) in declines.prefix(12).enumerated() {
            let next = try #require(discovers.first { $0.sentAt > d.sentAt })
            let wait: Interval = i < 9 ? .seconds(10) : .seconds(60)          // RFC 5227 MAX_CONFLICTS 10
            #expect(next.sentAt.since(d.sentAt) == wait, "decline \(i)")
        }
        #expect(h.configured.isEmpty)
    }

    @Test func anUnansweredProbeTimesOutIntoDiscovery() throws {
        let h = Harness()
        h.probeConflict = { _ in nil }
        h.start()
        h.run(until: .seconds(20))
        let probeAt = try #require(h.probes.first).at
        #expect(h.sentOf(type: 1).count == 2)
        #expect(h.sentOf(type: 1)[1].sentAt == probeAt + DHCPClient.probeTimeout)
        #expect(h.client.counters.probeTimeouts == 1 && h.configured.isEmpty)
    }
}

@Suite struct ClientCorruptionTests {
    /// Mutated replies, thrown at a client in every state the happy path passes through, never trap
    /// and never leave the client without a timer while it still has work to do.
    @Test func corruptedRepliesInEveryStateAreSurvived() {
        var random = SplitMix64(seed: 5227)
        for round in 0..<40 {
            let h = Harness(seed: UInt64(round))
            h.server.leaseSeconds = 120
            h.start()
            // Stop at a different point of the exchange each round.
            h.run(until: .milliseconds(UInt64(round % 8) * 700))
            let last = h.sent[h.sent.count - 1]
            let template = h.server.reply(last.type == 1 ? 2 : 5, to: last, yiaddr: h.server.offered)
            let receivedBefore = h.client.counters.received
            for _ in 0..<50 {
                var bytes = template
                for _ in 0...Int(random.next(below: 3)) {
                    let at = Int(random.next(below: UInt64(bytes.count)))
                    bytes[at] = UInt8(truncatingIfNeeded: random.next())
                }
                bytes = Array(bytes.prefix(Int(random.next(below: UInt64(bytes.count + 1)))))
                h.inject(bytes)
            }
            // Every mutated reply reached the client's parser (the scripted server may add answers),
            // and some were refused as malformed: the mutations did reach the decoder's checks.
            #expect(h.client.counters.received - receivedBefore >= 50)
            #expect(h.client.counters.malformed > 0)
            // Only an infinite lease may leave the client with nothing to wait for.
            #expect(h.client.nextDeadline() != .never || h.client.lease?.expiresAt == .never)
            h.run(for: .seconds(300))
            #expect(h.client.state != .stopped)
        }
    }
}
