import Bytes
import Services
import Testing
import TestSupport

/// Receive timeouts, the close linger and heartbeats, on the virtual clock.
@Suite struct TimeoutTests {
    @Test func receiveTimeoutFiresAtExactlyTheRightInstant() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = .seconds(10); return .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        bench.clock.advance(to: Instant(nanoseconds: 1_000_000_000))
        let peer = bench.open(9000)
        bench.poll()
        let deadline = Instant(nanoseconds: 11_000_000_000)
        #expect(bench.registry.nextDeadline() == deadline)

        bench.advance(to: Instant(nanoseconds: deadline.nanoseconds - 1))
        #expect(rec.count(.timeout) == 0)
        bench.advance(to: deadline)
        #expect(rec.times(.timeout) == [deadline])
        // The default doTimeout closes in order: the peer sees FIN.
        #expect(peer.sawFinish)
        #expect(bench.registry.counters.timeouts == 1)
    }

    @Test func readingRestartsTheTimer() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = .seconds(10); return .waitForData }
        b.receive = { conn in _ = drain(conn); return .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        bench.clock.advance(to: Instant(nanoseconds: 4_000_000_000))
        peer.write("keepalive")
        bench.poll()
        #expect(bench.registry.nextDeadline() == Instant(nanoseconds: 14_000_000_000))
        bench.advance(to: Instant(nanoseconds: 13_999_999_999))
        #expect(rec.count(.timeout) == 0)
        bench.advance(to: Instant(nanoseconds: 14_000_000_000))
        #expect(rec.times(.timeout) == [Instant(nanoseconds: 14_000_000_000)])
    }

    @Test func dataThatIsNotReadDoesNotRestartTheTimer() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = .seconds(3); return .waitForData }
        b.receive = { _ in .waitForData }   // a service that never reads
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        for second in 1...2 {
            bench.clock.advance(to: Instant(nanoseconds: UInt64(second) * 1_000_000_000))
            peer.write("more")
            bench.poll()
        }
        bench.advance(to: Instant(nanoseconds: 3_000_000_000))
        #expect(rec.times(.timeout) == [Instant(nanoseconds: 3_000_000_000)])
        #expect(peer.sawFinish)     // the default doTimeout closed; the bytes it never read stay unread
        #expect(bench.registry.connectionCount == 1)
        peer.finish()
        bench.settle()
        #expect(rec.count(.close) == 1)
    }

    @Test func defaultTimeoutAppliesWhenTheServiceSetsNone() {
        let bench = Bench(limits: RegistryLimits(defaultReceiveTimeout: .seconds(2)))
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        _ = bench.open(9000)
        bench.poll()
        #expect(bench.registry.nextDeadline() == Instant(nanoseconds: 2_000_000_000))
        bench.advance(by: .seconds(2))
        #expect(rec.count(.timeout) == 1)
    }

    @Test func nextDeadlineFollowsTheEarliestConnectionAsDeadlinesMove() {
        let bench = Bench(limits: RegistryLimits(closeLinger: .seconds(30)))
        let rec = Recorder(clock: bench.clock)
        let timeouts: [UInt64] = [5, 7, 9]
        let accepted = Box(0)
        var b = Behaviour()
        b.accept = { conn in
            conn.receiveTimeout = .seconds(timeouts[accepted.value]); accepted.value += 1
            return .waitForData
        }
        b.receive = { conn in _ = drain(conn); return .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peers = (0..<3).map { _ in bench.open(9000) }
        bench.settle()
        func seconds(_ s: UInt64) -> Instant { Instant(nanoseconds: s * 1_000_000_000) }
        #expect(bench.registry.nextDeadline() == seconds(5))

        bench.clock.advance(to: seconds(1))
        peers[0].write("a")         // the earliest moves later: 1 + 5
        bench.settle()
        #expect(bench.registry.nextDeadline() == seconds(6))
        bench.clock.advance(to: seconds(3))
        peers[0].write("a")         // again: 3 + 5, so the second connection is now the earliest
        bench.settle()
        #expect(bench.registry.nextDeadline() == seconds(7))
        rec.connections[1].receiveTimeout = .seconds(1)   // lowered: 3 + 1
        #expect(bench.registry.nextDeadline() == seconds(4))
        rec.connections[1].close()                         // now lingering until 3 + 30
        #expect(bench.registry.nextDeadline() == seconds(8))
        bench.advance(to: seconds(8))
        #expect(rec.times(.timeout) == [seconds(8)])
        #expect(bench.registry.nextDeadline() == seconds(9))
    }

    @Test func nilTimeoutWaitsForever() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = nil; return .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        _ = bench.open(9000)
        bench.poll()
        #expect(bench.registry.nextDeadline() == .never)
        bench.advance(by: .seconds(1_000_000))
        #expect(rec.count(.timeout) == 0)
    }

    @Test func doTimeoutThatNeitherClosesNorRearmsIsClosedForIt() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = .seconds(1); return .waitForData }
        b.timeout = { _ in }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        bench.advance(by: .seconds(1))
        #expect(rec.count(.timeout) == 1)
        #expect(peer.sawFinish)
        #expect(rec.errors == [.closedAfterTimeout(peer: peer.endpoint)])
        #expect(bench.registry.counters.closedAfterTimeout == 1)
    }

    @Test func doTimeoutMayRearmAndKeepTheConnection() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = .seconds(1); return .waitForData }
        b.timeout = { conn in send(conn, bytes("still there?\n")); conn.receiveTimeout = .seconds(5) }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        bench.advance(by: .seconds(1))
        #expect(peer.read() == bytes("still there?\n"))
        #expect(!peer.sawFinish)
        bench.poll()    // the peer's read opened send space: an event to take in first
        #expect(bench.registry.nextDeadline() == Instant(nanoseconds: 6_000_000_000))
        bench.advance(by: .seconds(5))
        #expect(rec.times(.timeout) == [Instant(nanoseconds: 1_000_000_000), Instant(nanoseconds: 6_000_000_000)])
    }

    @Test func doTimeoutMayChooseToWaitForever() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = .seconds(1); return .waitForData }
        b.timeout = { conn in conn.receiveTimeout = nil }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        bench.advance(by: .seconds(1))
        #expect(rec.count(.timeout) == 1)
        #expect(!peer.sawFinish)
        #expect(bench.registry.nextDeadline() == .never)
        #expect(bench.registry.counters.closedAfterTimeout == 0)
    }

    @Test func closedConnectionTheTransportNeverFinishesIsAbortedAfterTheLinger() {
        let bench = Bench(limits: RegistryLimits(closeLinger: .seconds(30)))
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.close(); return .done }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        #expect(peer.sawFinish)
        #expect(bench.registry.nextDeadline() == Instant(nanoseconds: 30_000_000_000))
        bench.advance(to: Instant(nanoseconds: 29_999_999_999))
        #expect(rec.count(.close) == 0)
        bench.advance(to: Instant(nanoseconds: 30_000_000_000))
        #expect(rec.count(.close) == 1)
        #expect(peer.wasReset)
        #expect(bench.registry.counters.lingerAborts == 1)
        #expect(bench.registry.connectionCount == 0)
    }

    @Test func heartbeatKeepsItsGridAndSkipsMissedBeats() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.initialize = { context in context.beat(every: .seconds(5)) }
        bench.register(recordedService(port: nil, recorder: rec, b))
        #expect(bench.registry.nextDeadline() == Instant(nanoseconds: 5_000_000_000))
        bench.advance(to: Instant(nanoseconds: 4_999_999_999))
        #expect(rec.count(.beat) == 0)
        bench.advance(to: Instant(nanoseconds: 5_000_000_000))
        bench.advance(to: Instant(nanoseconds: 10_000_000_000))
        // A long stall: one beat, not a burst, and the next is a full interval later.
        bench.advance(to: Instant(nanoseconds: 32_000_000_000))
        #expect(rec.times(.beat) == [5, 10, 32].map { Instant(nanoseconds: $0 * 1_000_000_000) })
        #expect(bench.registry.nextDeadline() == Instant(nanoseconds: 37_000_000_000))
    }

    @Test func aZeroHeartbeatIsRaisedToTheMinimumAndNilStopsIt() {
        let bench = Bench(limits: RegistryLimits(minimumBeatInterval: .milliseconds(10)))
        let rec = Recorder(clock: bench.clock)
        let context = Box<ServiceContext?>(nil)
        var b = Behaviour()
        b.initialize = { ctx in context.value = ctx; ctx.beat(every: .zero) }
        bench.register(recordedService(port: nil, recorder: rec, b))
        #expect(bench.registry.nextDeadline() == Instant(nanoseconds: 10_000_000))
        bench.advance(by: .milliseconds(10))
        bench.advance(by: .milliseconds(10))
        #expect(rec.count(.beat) == 2)
        context.value?.beat(every: nil)
        #expect(bench.registry.nextDeadline() == .never)
        bench.advance(by: .seconds(1))
        #expect(rec.count(.beat) == 2)
    }
}
