import Testing
import Bytes
import TestSupport
@testable import TCP

/// A TIME-WAIT record restarts its wait only for the peer's own FIN, and sends at most one ACK per
/// `invalidAckInterval` (issue 16): no spoofer can keep it alive or use it to reflect ACKs.
@Suite struct TimeWaitGuardTests {
    /// A closes first and waits in TIME-WAIT; returns the record.
    func timeWait() throws -> (TwoHosts, TimeWaitEntry) {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        try net.a.close(client)
        net.run(for: .seconds(1)) { net.b.isPeerFinished(server) }
        try net.b.close(server)
        net.run(for: .seconds(1)) { net.a.timeWaitCount == 1 }
        let entry = try #require(net.a.timeWait.entries.values.first)
        return (net, entry)
    }

    func fin(_ entry: TimeWaitEntry, seqOffset: Int = 0) -> OutgoingSegment {
        OutgoingSegment(sourcePort: entry.key.remote.port, destinationPort: entry.key.local.port,
                        seq: entry.rcvNxt - 1 + seqOffset, ack: entry.seq, flags: [.fin, .ack], window: 1000)
    }

    @Test func onlyThePeersOwnFinRestartsTheWait() throws {
        let (net, entry) = try timeWait()
        net.run(for: .seconds(50))
        net.inject(fin(entry, seqOffset: 5000), from: 1)          // not the peer's FIN
        net.run(for: .seconds(11))
        #expect(net.a.timeWaitCount == 0)                          // expired on time
    }

    @Test func theRetransmittedFinRestartsTheWait() throws {
        let (net, entry) = try timeWait()
        net.run(for: .seconds(50))
        net.inject(fin(entry), from: 1)
        net.run(for: .seconds(11))
        #expect(net.a.timeWaitCount == 1)
    }

    @Test func acksFromTimeWaitAreRateLimited() throws {
        let (net, entry) = try timeWait()
        let before = net.a.counters.segmentsSent
        for _ in 0..<10 { net.inject(fin(entry), from: 1) }
        #expect(net.a.counters.segmentsSent - before == 1)
        #expect(net.a.counters.timeWaitAcksSuppressed == 9)
        net.clock.advance(by: net.a.configuration.invalidAckInterval)
        net.inject(fin(entry), from: 1)
        #expect(net.a.counters.segmentsSent - before == 2)
    }
}
