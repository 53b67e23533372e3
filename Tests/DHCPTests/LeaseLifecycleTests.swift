import Bytes
import Testing
@testable import DHCP

/// A client bound with a 1000 s lease (T1 500 s, T2 875 s by default); returns the harness and the
/// instant the lease counts from.
private func boundClient(_ configure: (ScriptedServer) -> Void = { _ in }) -> (Harness, Instant) {
    let h = Harness()
    h.server.leaseSeconds = 1000
    configure(h.server)
    h.start()
    h.runUntilBound()
    return (h, h.client.lease?.obtainedAt ?? .never)
}

private func ms(_ n: UInt64) -> Interval { .milliseconds(n) }

@Suite struct LeaseLifecycleTests {
    @Test func renewsByUnicastAtT1() throws {
        let (h, o) = boundClient()
        #expect(h.client.nextDeadline() == o + .seconds(500))
        let before = h.sent.count
        h.run(until: o + .seconds(500) + ms(10))
        let renew = try #require(h.sent.dropFirst(before).first)
        #expect(renew.sentAt == o + .seconds(500))
        #expect(renew.type == 3 && renew.destination == .server(h.server.serverID))
        #expect(renew.ciaddr == [192, 168, 7, 50] && renew.flags == 0)
        #expect(renew.requested == nil && renew.serverID == nil)
        #expect(renew.xid != h.sent[0].xid)
        #expect(h.configured.count == 2 && h.client.state == .bound)
        let renewed = try #require(h.client.lease)
        #expect(renewed.obtainedAt == renew.sentAt)
        #expect(h.client.nextDeadline() == renew.sentAt + .seconds(500))
        #expect(h.client.counters.renewals == 1)
        #expect(h.deconfigured.isEmpty)
    }

    @Test func serverTimersDecideWhenToRenewAndRebind() throws {
        let (h, o) = boundClient { $0.t1 = 100; $0.t2 = 200 }
        #expect(h.client.nextDeadline() == o + .seconds(100))
        h.server.answering = false
        let before = h.sent.count
        h.run(until: o + .seconds(201))
        let after = h.sent.dropFirst(before)
        // RENEWING at T1 = 100 s; half the 100 s left to T2 is under the 60 s floor, so the retry is
        // at 160 s; REBINDING at T2 = 200 s.
        #expect(after.map { $0.sentAt.since(o) } == [.seconds(100), .seconds(160), .seconds(200)])
        #expect(after.map { $0.destination } == [.server(h.server.serverID), .server(h.server.serverID), .broadcast])
        #expect(h.client.state == .rebinding)
    }

    @Test func unansweredRenewalRebindsAtT2ThenExpires() throws {
        let (h, o) = boundClient()
        h.server.answering = false
        let before = h.sent.count
        h.run(until: o + .seconds(1000) + ms(1))
        let after = Array(h.sent.dropFirst(before))
        // RENEWING: half the time left to T2, at least 60 s, never past T2 (RFC 2131 §4.4.5).
        // REBINDING: half the time left to expiry, at least 60 s, never past expiry.
        let expected: [Interval] = [ms(500_000), ms(687_500), ms(781_250), ms(841_250),
                                    ms(875_000), ms(937_500), ms(997_500), ms(1_000_000)]
        #expect(after.map { $0.sentAt.since(o) } == expected)
        let renewing = after[0..<4], rebinding = after[4..<7]
        #expect(renewing.allSatisfy { $0.type == 3 && $0.destination == .server(h.server.serverID) })
        #expect(rebinding.allSatisfy { $0.type == 3 && $0.destination == .broadcast })
        #expect(rebinding.allSatisfy { $0.ciaddr == [192, 168, 7, 50] && $0.serverID == nil && $0.requested == nil })
        #expect(Set(renewing.map { $0.xid }).count == 1 && Set(rebinding.map { $0.xid }).count == 1)
        #expect(renewing.first?.xid != rebinding.first?.xid)
        // At expiry: address withdrawn, discovery begins at once.
        #expect(after[7].type == 1 && after[7].ciaddr == [0, 0, 0, 0])
        #expect(h.deconfigured.count == 1)
        #expect(h.deconfigured.first?.at == o + .seconds(1000) && h.deconfigured.first?.reason == .leaseExpired)
        #expect(h.client.state == .selecting && h.client.lease == nil)
        #expect(h.client.counters.expirations == 1)
        // The console hears each transition once; the withdrawal itself is the wiring's to report.
        #expect(h.logs.dropFirst() == [
            "dhcp: renewing 192.168.7.50 with server 192.168.7.1 (lease ends in 500 s)",
            "dhcp: rebinding 192.168.7.50 with any server (lease ends in 125 s)",
            "dhcp: lease on 192.168.7.50 ran out in REBINDING; restarting discovery",
        ])
    }

    @Test func rebindingIsAnsweredByAnyServer() throws {
        let (h, o) = boundClient { $0.answerUnicast = false }
        h.run(until: o + .seconds(876))
        #expect(h.client.state == .bound)
        #expect(h.configured.count == 2)
        #expect(h.client.lease?.obtainedAt == o + .seconds(875))
        #expect(h.sent.last?.destination == .broadcast)
        #expect(h.client.counters.renewals == 1 && h.deconfigured.isEmpty)
    }

    @Test func expiryRestartsDiscoveryAndBindsAgain() throws {
        let (h, o) = boundClient()
        h.server.answering = false
        h.run(until: o + .seconds(1000))
        h.server.answering = true
        #expect(h.runUntilBound())
        #expect(h.configured.count == 2 && h.deconfigured.map { $0.reason } == [.leaseExpired])
    }

    @Test func aLeaseThatRunsOutDuringTheProbeIsNeverConfigured() throws {
        let h = Harness()
        h.server.leaseSeconds = 10
        h.probeDelay = .seconds(11)
        h.start()
        h.run(for: .seconds(12))
        #expect(h.configured.isEmpty && h.deconfigured.isEmpty)
        #expect(h.logs.contains("dhcp: the lease on 192.168.7.50 ran out while it was probed; restarting discovery"))
        #expect(h.sentOf(type: 1).count == 2)
        #expect(h.client.counters.expirations == 1 && h.client.counters.leasesBound == 0)
    }

    @Test func aLatePollSkipsStraightToExpiry() throws {
        let (h, o) = boundClient()
        let before = h.sent.count
        h.clock.advance(to: o + .seconds(2000))
        h.client.poll(now: h.now)
        h.drain()
        // No stale RENEW or REBIND burst: the lease is gone, so the address goes and discovery starts.
        #expect(h.sent.dropFirst(before).map { $0.type } == [1])
        #expect(h.deconfigured.map { $0.reason } == [.leaseExpired])
        #expect(h.client.nextDeadline() > h.now)
    }

    @Test func nakWhileRenewingWithdrawsTheAddress() throws {
        let (h, o) = boundClient()
        h.server.nakRequests = 1
        h.run(until: o + .seconds(500) + ms(2))
        #expect(h.deconfigured.map { $0.reason } == [.nak])
        #expect(h.deconfigured.first?.at == o + .seconds(500) + ms(2))
        #expect(h.sent.last?.type == 1)
        #expect(h.client.rememberedAddress == nil)
        #expect(h.runUntilBound())
        #expect(h.configured.count == 2)
    }

    @Test func aRenewalAckWithoutServerIdentifierKeepsTheServer() throws {
        let (h, o) = boundClient { $0.answerUnicast = false }
        h.run(until: o + .seconds(500) + ms(10))
        let renew = try #require(h.sent.last)
        var r = ServerReply(xid: renew.xid, chaddr: renew.chaddr)
        r.yiaddr = [192, 168, 7, 50]
        r.options = opt(53, [5]) + opt(51, be32(600)) + opt(1, [255, 255, 255, 0]) + [255]
        h.inject(r.bytes)
        #expect(h.client.state == .bound)
        #expect(h.client.lease?.server == h.server.serverID && h.client.lease?.leaseSeconds == 600)
    }

    @Test func whileRenewingOnlyTheLeasingServerIsHeard() throws {
        let (h, o) = boundClient { $0.answerUnicast = false }
        h.run(until: o + .seconds(500) + ms(10))
        let renew = try #require(h.sent.last)
        #expect(h.client.state == .renewing)
        for type: UInt8 in [6, 5] {
            var r = ServerReply(xid: renew.xid, chaddr: renew.chaddr)
            r.yiaddr = type == 5 ? [192, 168, 7, 50] : [0, 0, 0, 0]
            r.options = opt(53, [type]) + opt(54, [192, 168, 7, 2]) + opt(51, be32(600)) + [255]
            h.inject(r.bytes)
        }
        #expect(h.client.counters.otherServer == 2)
        #expect(h.client.state == .renewing && h.deconfigured.isEmpty && h.configured.count == 1)
    }

    @Test func aRenewalThatMovesTheAddressWithdrawsAndProbesFirst() throws {
        let (h, o) = boundClient { $0.acceptAnyRequest = true }
        h.server.pool = [IPv4Address(192, 168, 7, 60)]
        h.run(until: o + .seconds(500) + ms(2))
        #expect(h.deconfigured.map { $0.reason } == [.addressChanged])
        #expect(h.client.state == .probing)
        #expect(h.probes.last?.address == IPv4Address(192, 168, 7, 60))
        #expect(h.runUntilBound())
        #expect(h.configured.last?.lease.address == IPv4Address(192, 168, 7, 60))
    }
}
