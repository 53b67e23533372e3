import Testing
import Bytes
import TestSupport
@testable import TCP

/// New connections per address (issue 16): once the table is contended, an address opens at most its
/// burst and then its rate; further SYNs are dropped silently and counted. Uncontended, one busy address
/// is never throttled. The table that remembers addresses is bounded and forgets full buckets first.
@Suite struct SourceRateTests {
    static func limited(_ config: inout TCPConfiguration) {
        config.maximumConnections = 64
        config.newConnectionBurstPerSource = 3
        config.newConnectionsPerSourcePerSecond = 10
    }

    @Test func newConnectionsPerAddressAreRateLimitedOnceTheTableIsContended() throws {
        let net = TwoHosts { config, _ in SourceRateTests.limited(&config) }
        _ = try net.b.listen(port: 80, backlog: 128)
        // One half-open connection from each of 32 addresses: half the table, contended from here on.
        for i in 0..<32 { net.synToB(from: IPAddress(IPv4Address(192, 0, 2, UInt8(100 + i))), port: 1000) }
        #expect(net.b.isContended && net.b.counters.synDroppedSourceRate == 0)
        let flooder = IPAddress(IPv4Address(192, 0, 2, 1))
        let sentBefore = net.b.counters.segmentsSent
        for i in 0..<6 { net.synToB(from: flooder, port: UInt16(10_000 + i)) }
        #expect(net.b.halfOpen(from: flooder) == 3 && net.b.counters.synDroppedSourceRate == 3)
        // Three SYN-ACKs and nothing for the dropped SYNs: no reset, no cookie.
        #expect(net.b.counters.segmentsSent == sentBefore + 3 && net.b.counters.synCookiesSent == 0)

        // On the virtual clock: one token back per 100 ms.
        net.clock.advance(by: .milliseconds(100))
        net.synToB(from: flooder, port: 10_006)
        net.synToB(from: flooder, port: 10_007)
        #expect(net.b.halfOpen(from: flooder) == 4 && net.b.counters.synDroppedSourceRate == 4)
        // Another address is not held to the flooder's rate.
        net.synToB(from: IPAddress(IPv4Address(192, 0, 2, 2)), port: 20_000)
        #expect(net.b.halfOpen(from: IPAddress(IPv4Address(192, 0, 2, 2))) == 1 && net.b.counters.synDroppedSourceRate == 4)
    }

    /// SYNs arriving faster than the backlog is served are contention too: an address over its rate
    /// gets no cookie, and one that had been opening connections fast has no tokens left then.
    @Test func aFullBacklogEnforcesTheRate() throws {
        let net = TwoHosts { config, _ in
            SourceRateTests.limited(&config)
            config.maximumConnections = 1024
        }
        _ = try net.b.listen(port: 80, backlog: 8)
        let flooder = IPAddress(IPv4Address(192, 0, 2, 1))
        for i in 0..<8 { net.synToB(from: flooder, port: UInt16(10_000 + i)) }
        #expect(net.b.halfOpen(from: flooder) == 8 && net.b.counters.synDroppedSourceRate == 0)
        // The backlog is full: the flooder used its burst already, so its next SYNs get nothing.
        for i in 8..<12 { net.synToB(from: flooder, port: UInt16(10_000 + i)) }
        #expect(net.b.counters.synDroppedSourceRate == 4 && net.b.counters.synCookiesSent == 0)
        // Another address within its rate still gets a cookie.
        net.synToB(from: IPAddress(IPv4Address(192, 0, 2, 2)), port: 20_000)
        #expect(net.b.counters.synCookiesSent == 1)
    }

    /// A benchmark or a reverse proxy from one address, far below half the table: never throttled.
    @Test func oneBusyAddressIsNotThrottledWhileTheTableIsUncontended() throws {
        let net = TwoHosts { config, _ in
            SourceRateTests.limited(&config)
            config.maximumConnections = 1024
        }
        _ = try net.b.listen(port: 80, backlog: 128)
        let busy = IPAddress(IPv4Address(192, 0, 2, 1))
        for i in 0..<100 { net.synToB(from: busy, port: UInt16(10_000 + i)) }
        #expect(!net.b.isContended)
        #expect(net.b.halfOpen(from: busy) == 100 && net.b.counters.synDroppedSourceRate == 0)
    }

    /// One set of 4 places: a newcomer takes the place of the fullest bucket, so an address that used
    /// its burst stays remembered (and limited) while addresses come and go around it.
    @Test func theTableIsBoundedAndForgetsFullBucketsFirst() {
        var config = TCPConfiguration(seed: 1)
        config.sourceRateTableSize = SourceRateLimiter.ways
        config.newConnectionBurstPerSource = 2
        config.newConnectionsPerSourcePerSecond = 1
        var limiter = SourceRateLimiter(configuration: config, hash: SipHash24(key0: 1, key1: 2))
        let now = Instant.zero
        let drained = IPAddress(IPv4Address(10, 0, 0, 1))
        let burst = [limiter.admits(drained, now: now), limiter.admits(drained, now: now), limiter.admits(drained, now: now)]
        #expect(burst == [true, true, false])
        // Eight more addresses through the three other places, one connection each.
        var newcomers: [Bool] = []
        for i in 0..<8 { newcomers.append(limiter.admits(IPAddress(IPv4Address(10, 0, 1, UInt8(i))), now: now)) }
        #expect(newcomers.allSatisfy { $0 })
        let stillLimited = limiter.admits(drained, now: now)
        let refilled = limiter.admits(drained, now: now + .seconds(1))
        #expect(!stillLimited && refilled)
    }
}
