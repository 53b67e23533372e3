import Testing
import Bytes
import TestSupport
@testable import TCP

/// TCP's documented defaults (README, "TCP"): the RFC 5961 challenge-ACK rate and TIME-WAIT's 60 s by
/// behaviour with the default configuration, and the remaining limits as the README states them, so a
/// changed default fails here until the README changes with it.
@Suite struct DefaultLimitTests {
    /// One challenge ACK per connection per 500 ms (the layer-wide budget, 500-1500 a second drawn at
    /// random, is far above what one connection may draw).
    @Test func oneChallengeAckPerConnectionPerHalfSecondThenSuppressed() throws {
        let net = TwoHosts()
        let (_, server) = try net.establish()
        let b = net.b.connection(server)!
        func blindReset(_ offset: Int) -> OutgoingSegment {
            OutgoingSegment(sourcePort: b.key.local.port, destinationPort: b.key.remote.port,
                            seq: b.snd.max + (1 + offset), ack: b.rcv.nxt, flags: [.rst], window: 1000)
        }
        for i in 0..<150 { net.inject(blindReset(i), from: 1) }
        #expect(net.a.counters.challengeAcksSent == 1)
        #expect(net.a.counters.challengeAcksSuppressedConnection == 149)
        net.clock.advance(by: Interval(nanoseconds: 500_000_000 - 1_000_000))
        net.inject(blindReset(0), from: 1)
        #expect(net.a.counters.challengeAcksSent == 1)
        net.clock.advance(by: .milliseconds(1))
        net.inject(blindReset(0), from: 1)
        #expect(net.a.counters.challengeAcksSent == 2)
    }

    @Test func timeWaitLastsSixtySeconds() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        try net.a.close(client)
        net.run(for: .seconds(1)) { net.b.isPeerFinished(server) }
        try net.b.close(server)
        var enteredAt: Instant? = nil
        net.run(for: .seconds(1)) {
            if enteredAt == nil, net.a.timeWaitCount == 1 { enteredAt = net.now }
            return enteredAt != nil
        }
        #expect(enteredAt == net.now)
        net.run(for: Interval(nanoseconds: 60_000_000_000 - 1_000_000))
        #expect(net.a.timeWaitCount == 1)
        net.run(for: .milliseconds(2))
        #expect(net.a.timeWaitCount == 0)
    }

    @Test func theRemainingLimitsAreTheDocumentedOnes() {
        let c = TCPConfiguration(seed: 1)
        #expect(c.maximumConnections == 256 && c.maximumListeners == 16 && c.maximumBacklog == 128)
        #expect(c.maximumOutOfOrderRanges == 8 && c.maximumTimeWait == 256)
        #expect(c.minimumRTO == .milliseconds(200) && c.maximumRTO == .seconds(60))
        #expect(c.maximumRetransmissions == 12 && c.maximumSynRetransmissions == 5)
        #expect(c.halfOpenReplacementWindow == .seconds(10) && c.halfOpenReplacementAge == .milliseconds(10))
        #expect(c.challengeAckLimitPerSecond == 1000 && c.invalidAckInterval == .milliseconds(500) && c.timeWaitDuration == .seconds(60))
    }
}
