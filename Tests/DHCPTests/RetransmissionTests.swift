import Bytes
import Testing
@testable import DHCP

/// Gaps between consecutive packets.
private func gaps(_ packets: [ClientPacket]) -> [Interval] {
    zip(packets.dropFirst(), packets).map { $0.sentAt.since($1.sentAt) }
}

/// True when `gap` is `base` seconds, give or take the RFC's one second.
private func within(_ gap: Interval, _ base: UInt64) -> Bool {
    gap >= .seconds(base - 1) && gap <= .seconds(base + 1)
}

@Suite struct RetransmissionTests {
    @Test func discoverBacksOffFrom4To64SecondsWithJitter() {
        let h = Harness(seed: 7)
        h.server.answering = false
        h.start()
        h.run(until: .seconds(400))
        let discovers = h.sentOf(type: 1)
        // 0, ~4, ~12, ~28, ~60, then every ~64 s: ten sends by 400 s.
        #expect(discovers.count == 10)
        let bases: [UInt64] = [4, 8, 16, 32, 64, 64, 64, 64, 64]
        for (gap, base) in zip(gaps(discovers), bases) {
            #expect(within(gap, base), "gap \(gap.milliseconds) ms, expected \(base) s ± 1 s")
        }
        // One exchange: one xid; `secs` counts from its start.
        #expect(Set(discovers.map { $0.xid }).count == 1)
        #expect(discovers.allSatisfy { UInt64($0.secs) == $0.sentAt.nanoseconds / 1_000_000_000 })
        #expect(h.client.counters.retransmissions == 9)
        // The console hears once, when the fifth DISCOVER goes out (about a minute in).
        #expect(h.logs == ["dhcp: no DHCPOFFER after \(discovers[4].sentAt.nanoseconds / 1_000_000_000) s; still trying"])
        // The randomisation is real: the gaps are not the bare doubling.
        #expect(zip(gaps(discovers), bases).contains { $0 != .seconds($1) })
    }

    @Test func theScheduleIsASeededFunction() {
        func times(seed: UInt64) -> [Instant] {
            let h = Harness(seed: seed)
            h.server.answering = false
            h.start()
            h.run(until: .seconds(200))
            return h.sent.map { $0.sentAt }
        }
        #expect(times(seed: 3) == times(seed: 3))
        #expect(times(seed: 3) != times(seed: 4))
    }

    @Test func lostDiscoverAndLostRequestAreRetransmittedOnTime() throws {
        let h = Harness()
        h.server.lose = [1: 1, 3: 1]
        h.start()
        #expect(h.runUntilBound())
        let discovers = h.sentOf(type: 1), requests = h.sentOf(type: 3)
        #expect(discovers.count == 2 && requests.count == 2)
        #expect(within(gaps(discovers)[0], 4) && within(gaps(requests)[0], 4))
        #expect(requests[0].xid == requests[1].xid && requests[0].xid == discovers[0].xid)
        // RFC 2131 §4.4.1: REQUESTs repeat the `secs` of the DISCOVER they answer.
        #expect(discovers[1].secs >= 3 && requests.allSatisfy { $0.secs == discovers[1].secs })
        // The lease counts from the first REQUEST: a retransmission never stretches it.
        #expect(h.client.lease?.obtainedAt == requests[0].sentAt)
        #expect(h.client.counters.retransmissions == 2)
    }

    @Test func unansweredRequestsGiveUpAndRediscover() throws {
        let h = Harness()
        h.server.ignoreRequests = true
        h.start()
        h.run(until: .seconds(70))
        let firstXid = h.sent[0].xid
        let requests = h.sentOf(type: 3).filter { $0.xid == firstXid }
        #expect(requests.count == DHCPRetransmission.requestTransmissions)
        for (gap, base) in zip(gaps(requests), [4, 8, 16] as [UInt64]) { #expect(within(gap, base)) }
        let discovers = h.sentOf(type: 1)
        #expect(discovers.count == 2)
        let restart = discovers[1]
        #expect(within(restart.sentAt.since(requests[3].sentAt), 32))
        #expect(restart.xid != requests[0].xid && restart.secs == 0)
        #expect(h.client.counters.exchangesAbandoned == 1)
        #expect(h.logs.contains("dhcp: no answer to DHCPREQUEST in REQUESTING; restarting discovery"))
    }

    @Test func rebootRequestsGiveUpToo() throws {
        let h = Harness(remembered: IPv4Address(192, 168, 7, 50))
        h.server.answering = false
        h.start()
        h.run(until: .seconds(70))
        #expect(h.sent.prefix(5).map { $0.type } == [3, 3, 3, 3, 1])
        #expect(h.client.rememberedAddress == nil)
        #expect(h.client.state == .selecting)
    }
}
