import Bytes
import Testing
@testable import DHCP

@Suite struct ClientBindingTests {
    @Test func happyPathDiscoverOfferRequestAckProbeBound() throws {
        let h = Harness()
        h.start()
        let discover = try #require(h.sent.first)
        #expect(discover.type == 1 && discover.destination == .broadcast)
        #expect(discover.flags == 0x8000 && discover.ciaddr == [0, 0, 0, 0])
        #expect(discover.requested == nil && discover.serverID == nil)
        #expect(discover.options[12] == Array("appliance".utf8))
        #expect(discover.options[61] == [1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56])
        #expect(discover.chaddr == [0x52, 0x54, 0x00, 0x12, 0x34, 0x56])
        let prl = try #require(discover.options[55])
        #expect([1, 3, 6, 26, 51, 58, 59].allSatisfy { prl.contains($0) })
        #expect(h.client.state == .selecting)

        #expect(h.runUntilBound())
        #expect(h.sent.count == 2)
        let request = h.sent[1]
        #expect(request.type == 3 && request.destination == .broadcast)
        #expect(request.xid == discover.xid)
        #expect(request.requested == ip(h.server.offered) && request.serverID == ip(h.server.serverID))
        #expect(request.ciaddr == [0, 0, 0, 0] && request.flags == 0x8000)
        #expect(request.sentAt == .milliseconds(2))      // OFFER after 1 ms each way

        // The ACK arrives at 4 ms; the probe runs before anything is configured.
        #expect(h.probes.count == 1 && h.probes[0].at == .milliseconds(4))
        #expect(h.probes[0].address == h.server.offered)
        let (at, lease) = try #require(h.configured.first)
        #expect(at == .milliseconds(1004))
        #expect(lease.address == IPv4Address(192, 168, 7, 50) && lease.prefixLength == 24)
        #expect(lease.router == IPv4Address(192, 168, 7, 1))
        #expect(lease.dnsServers == [IPv4Address(192, 168, 7, 53), IPv4Address(9, 9, 9, 9)])
        #expect(lease.mtu == 1400 && lease.server == h.server.serverID && lease.leaseSeconds == 3600)
        // The lease counts from the REQUEST, not from the ACK or the end of the probe.
        #expect(lease.obtainedAt == request.sentAt)
        #expect(h.client.nextDeadline() == .milliseconds(2) + .seconds(1800))
        #expect(h.client.rememberedAddress == lease.address)
        #expect(h.logs.contains("dhcp: bound 192.168.7.50/24 from server 192.168.7.1 for 3600 s (router 192.168.7.1)"))

        let c = h.client.counters
        #expect(c.sent == 2 && c.offers == 1 && c.acks == 1 && c.leasesBound == 1)
        #expect(c.retransmissions == 0 && c.malformed == 0 && c.unexpected == 0)

        h.run(until: .seconds(601))
        let status = h.client.status(now: h.now)
        for line in ["dhcp.state BOUND\n", "dhcp.address 192.168.7.50/24\n", "dhcp.server 192.168.7.1\n",
                     "dhcp.dns 192.168.7.53 9.9.9.9\n", "dhcp.lease-seconds 3600\n", "dhcp.renew-in 1199 s\n",
                     "dhcp.expires-in 2999 s\n"] {
            #expect(status.contains(line), "\(line)")
        }
        #expect(h.client.counters.metrics.lines.contains("dhcp.leases-bound 1"))
    }

    @Test func hostNameIsCutToOneDNSLabel() throws {
        let h = Harness(hostName: String(repeating: "a", count: 100))
        h.start()
        #expect(try #require(h.sent.first).options[12] == [UInt8](repeating: UInt8(ascii: "a"), count: 63))
        let unnamed = Harness(hostName: "")
        unnamed.start()
        #expect(try #require(unnamed.sent.first).options[12] == nil)
    }

    @Test func infiniteLeaseHasNoTimers() {
        let h = Harness()
        h.server.leaseSeconds = 0xFFFF_FFFF
        h.start()
        #expect(h.runUntilBound())
        #expect(h.client.nextDeadline() == .never)
        #expect(h.client.status(now: h.now).contains("dhcp.expires-in never\n"))
    }

    @Test func startWhileRunningIsIgnored() {
        let h = Harness()
        h.start()
        h.start()
        #expect(h.sent.count == 1)
    }

    @Test func initRebootAckKeepsTheRememberedAddress() throws {
        let h = Harness(remembered: IPv4Address(192, 168, 7, 50))
        h.start()
        let first = try #require(h.sent.first)
        #expect(first.type == 3 && first.destination == .broadcast)
        #expect(first.requested == [192, 168, 7, 50] && first.serverID == nil)
        #expect(first.ciaddr == [0, 0, 0, 0] && first.flags == 0x8000)
        #expect(h.client.state == .rebooting)
        #expect(h.runUntilBound())
        #expect(h.sentOf(type: 1).isEmpty)
        #expect(h.probes.map { $0.address } == [IPv4Address(192, 168, 7, 50)])
        #expect(h.configured.first?.lease.server == h.server.serverID)
    }

    @Test func initRebootNakFallsBackToDiscovery() throws {
        let h = Harness(remembered: IPv4Address(192, 168, 7, 99))
        h.start()
        #expect(h.runUntilBound())
        #expect(h.client.counters.naks == 1)
        #expect(h.sent.map { $0.type } == [3, 1, 3])
        #expect(h.sent[1].sentAt == h.sent[0].sentAt + .milliseconds(2))   // at once, on the NAK
        #expect(h.sent[1].xid != h.sent[0].xid)
        #expect(h.deconfigured.isEmpty)
        #expect(h.client.rememberedAddress == IPv4Address(192, 168, 7, 50))
    }

    @Test func releaseGivesTheLeaseBackAndStops() throws {
        let h = Harness()
        h.start()
        #expect(h.runUntilBound())
        h.run(for: .seconds(5))
        h.client.release(now: h.now)
        h.drain()
        let release = try #require(h.sent.last)
        #expect(release.type == 7 && release.destination == .server(h.server.serverID))
        #expect(release.ciaddr == [192, 168, 7, 50] && release.serverID == ip(h.server.serverID))
        #expect(release.requested == nil && release.options[12] == nil)
        #expect(h.deconfigured.map { $0.reason } == [.released])
        #expect(h.client.state == .stopped && h.client.nextDeadline() == .never)
        #expect(h.client.rememberedAddress == nil)
        let count = h.sent.count
        h.run(for: .seconds(100_000))
        #expect(h.sent.count == count)
    }

    @Test func releaseBeforeBindingJustStops() {
        let h = Harness()
        h.probeConflict = { _ in nil }
        h.start()
        h.run(until: .seconds(1))
        #expect(h.client.state == .probing)
        h.client.release(now: h.now)
        h.drain()
        #expect(h.sent.map { $0.type } == [1, 3] && h.deconfigured.isEmpty)
        #expect(h.client.state == .stopped && h.client.nextDeadline() == .never)
        h.client.start(now: h.now)
        h.drain()
        #expect(h.client.state == .selecting && h.sent.last?.type == 1)
    }

    @Test func bindsAcrossALossyLinkForEverySeed() {
        var retransmissions: UInt64 = 0
        for seed in 1...12 as ClosedRange<UInt64> {
            let h = Harness(seed: seed, impairment: .init(lossPercent: 40, delay: .milliseconds(3)))
            h.start()
            #expect(h.runUntilBound(limit: .seconds(900)), "seed \(seed)")
            retransmissions += h.client.counters.retransmissions
        }
        #expect(retransmissions > 0)
    }
}
