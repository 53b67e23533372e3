import Bytes
import Services
import Testing
import TestSupport

/// The registry's documented defaults (README, "Service registry"), pinned by behaviour with
/// `RegistryLimits()` as the kernel uses it: 16 services, 1024 connections, 64 callbacks per service
/// per poll, a 60 s default receive timeout and a 30 s close linger, each timeout from both sides.
@Suite struct DefaultLimitTests {
    static func seconds(_ s: UInt64) -> Instant { Instant(nanoseconds: s * 1_000_000_000) }

    @Test func sixteenServicesRegisterAndTheSeventeenthIsRefused() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        for port in 1...16 { bench.register(recordedService(port: UInt16(port), recorder: rec)) }
        #expect(throws: RegistryError.serviceTableFull) {
            try bench.registry.register(recordedService(port: 17, recorder: rec), now: bench.clock.now())
        }
    }

    @Test func oneThousandAndTwentyFourConnectionsLiveAndTheNextIsReset() {
        let bench = Bench(transportLimits: MemoryTransportLimits(maxStreams: 2048, maxBacklog: 2048))
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, backlog: 2048, recorder: rec))
        let peers = (0..<1025).map { _ in bench.open(9000) }
        bench.settle()
        #expect(rec.count(.accept) == 1024)
        #expect(peers.filter(\.wasReset).count == 1 && peers.last?.wasReset == true)
        #expect(bench.registry.counters.refused == 1)
    }

    @Test func aServiceGetsSixtyFourCallbacksPerPoll() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, backlog: 200, recorder: rec))
        let peers = (0..<100).map { _ in bench.open(9000) }
        bench.settle()
        #expect(rec.count(.accept) == 100)
        for peer in peers { peer.write("x") }
        bench.poll()
        #expect(rec.count(.receive) == 64)
        bench.poll()
        #expect(rec.count(.receive) == 100)
    }

    @Test func aConnectionWhoseServiceSetsNoTimeoutIsTimedOutAfterSixtySeconds() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        let peer = bench.open(9000)
        bench.settle()
        #expect(bench.registry.nextDeadline() == Self.seconds(60))
        bench.advance(to: Instant(nanoseconds: 59_999_999_999))
        #expect(rec.count(.timeout) == 0 && !peer.sawFinish)
        bench.advance(to: Self.seconds(60))
        #expect(rec.count(.timeout) == 1 && peer.sawFinish)
    }

    @Test func aClosedConnectionTheTransportNeverFinishesIsAbortedAfterThirtySeconds() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.close(); return .done }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        bench.advance(to: Instant(nanoseconds: 29_999_999_999))
        #expect(rec.count(.close) == 0 && !peer.wasReset)
        bench.advance(to: Self.seconds(30))
        #expect(rec.count(.close) == 1 && peer.wasReset && bench.registry.counters.lingerAborts == 1)
    }
}
