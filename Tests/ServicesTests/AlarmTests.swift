import Bytes
import Services
import Testing
import TestSupport

/// A connection's alarm (`wake(at:)` / `doWake`): a time of the service's own, apart from the idle
/// timeout, on the virtual clock.
@Suite struct AlarmTests {
    static func seconds(_ s: UInt64) -> Instant { Instant(nanoseconds: s * 1_000_000_000) }

    /// A service whose connections wait forever (no idle timeout) with an alarm at `at` from accept.
    static func bench(alarmAt at: Instant?, _ configure: (inout Behaviour) -> Void = { _ in }) -> (Bench, Recorder) {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = nil; conn.wake(at: at); return .waitForData }
        configure(&b)
        bench.register(recordedService(port: 9000, recorder: rec, b))
        return (bench, rec)
    }

    @Test func alarmFiresAtItsTimeAndNotBefore() {
        let (bench, rec) = Self.bench(alarmAt: Self.seconds(5))
        let peer = bench.open(9000)
        bench.settle()
        #expect(bench.registry.nextDeadline() == Self.seconds(5))   // the main loop halts exactly until then
        bench.advance(to: Instant(nanoseconds: Self.seconds(5).nanoseconds - 1))
        #expect(rec.count(.wake) == 0)
        bench.advance(to: Self.seconds(5))
        #expect(rec.times(.wake) == [Self.seconds(5)])
        // Once per setting, and it is no timeout: a doWake that does nothing leaves the connection open.
        bench.advance(to: Self.seconds(100))
        #expect(rec.count(.wake) == 1 && rec.count(.timeout) == 0)
        #expect(!peer.sawFinish && bench.registry.connectionCount == 1)
        #expect(bench.registry.counters.alarms == 1 && bench.registry.counters.callbacks.wake == 1)
    }

    @Test func alarmIsApartFromTheIdleTimeout() {
        // Bytes moving restart the idle timeout, never the alarm.
        let (bench, rec) = Self.bench(alarmAt: Self.seconds(5)) { b in
            b.accept = { conn in conn.receiveTimeout = .seconds(3); conn.wake(at: AlarmTests.seconds(5)); return .waitForData }
            b.receive = { conn in _ = drain(conn); return .waitForData }
            b.timeout = { conn in conn.receiveTimeout = .seconds(3) }
        }
        let peer = bench.open(9000)
        bench.settle()
        for s in 1...4 { bench.clock.advance(to: Self.seconds(UInt64(s))); peer.write("x"); bench.settle() }
        #expect(bench.registry.nextDeadline() == Self.seconds(5))
        bench.advance(to: Self.seconds(5))
        #expect(rec.times(.wake) == [Self.seconds(5)] && rec.count(.timeout) == 0)
        bench.advance(to: Self.seconds(7))
        #expect(rec.times(.timeout) == [Self.seconds(7)] && rec.count(.wake) == 1)
    }

    @Test func settingItAgainMovesIt() {
        // Later: from 5 s to 8 s; then earlier: from 20 s to 12 s. Only the instant set last fires.
        let (bench, rec) = Self.bench(alarmAt: Self.seconds(5)) { b in
            b.receive = { conn in
                let text = drain(conn)
                conn.wake(at: AlarmTests.seconds(text == bytes("later") ? 8 : text == bytes("far") ? 20 : 12))
                return .waitForData
            }
        }
        let peer = bench.open(9000)
        bench.settle()
        bench.clock.advance(to: Self.seconds(1)); peer.write("later"); bench.settle()
        #expect(bench.registry.nextDeadline() == Self.seconds(8))
        bench.advance(to: Self.seconds(7))
        #expect(rec.count(.wake) == 0)
        bench.advance(to: Self.seconds(8))
        #expect(rec.times(.wake) == [Self.seconds(8)])
        peer.write("far"); bench.settle()
        bench.clock.advance(to: Self.seconds(9)); peer.write("sooner"); bench.settle()
        #expect(bench.registry.nextDeadline() == Self.seconds(12))
        bench.advance(to: Instant(nanoseconds: Self.seconds(12).nanoseconds - 1))
        #expect(rec.times(.wake) == [Self.seconds(8)])
        bench.advance(to: Self.seconds(12))
        bench.advance(to: Self.seconds(30))     // past the 20 s it replaced
        #expect(rec.times(.wake) == [Self.seconds(8), Self.seconds(12)])
    }

    @Test func clearingItStopsIt() {
        let (bench, rec) = Self.bench(alarmAt: Self.seconds(5)) { b in
            b.receive = { conn in _ = drain(conn); conn.wake(at: nil); return .waitForData }
        }
        let peer = bench.open(9000)
        bench.settle()
        bench.clock.advance(to: Self.seconds(1)); peer.write("stop"); bench.settle()
        #expect(bench.registry.nextDeadline() == .never)
        bench.advance(to: Self.seconds(1_000))
        #expect(rec.count(.wake) == 0 && bench.registry.counters.alarms == 0)
    }

    @Test func clearingItAfterItCameDueWithdrawsTheWake() {
        // Due in the same turn as a receive whose callback clears it: the queued doWake is withdrawn.
        let (bench, rec) = Self.bench(alarmAt: Self.seconds(5)) { b in
            b.receive = { conn in _ = drain(conn); conn.wake(at: nil); return .waitForData }
        }
        let peer = bench.open(9000)
        bench.settle()
        bench.clock.advance(to: Self.seconds(5)); peer.write("stop"); bench.settle()
        #expect(rec.count(.receive) == 1 && rec.count(.wake) == 0)
        #expect(bench.registry.counters.alarms == 1)   // it came due, and was withdrawn
    }

    @Test func manyAlarmsFireInDeadlineOrder() {
        // Twenty connections whose alarms are set in an order that is neither theirs nor the deadlines'.
        let count = 20
        let accepted = Box(0)
        let (bench, rec) = Self.bench(alarmAt: nil) { b in
            b.accept = { conn in
                conn.receiveTimeout = nil
                conn.wake(at: AlarmTests.seconds(UInt64(1 + (accepted.value * 7) % count)))
                accepted.value += 1
                return .waitForData
            }
        }
        for _ in 0..<count { _ = bench.open(9000); bench.settle() }   // within the listener's backlog
        #expect(bench.registry.nextDeadline() == Self.seconds(1))
        bench.advance(to: Self.seconds(100))   // all due at once: they still go earliest first
        let expected = (0..<count).sorted { ($0 * 7) % count < ($1 * 7) % count }
            .map { Optional(ObjectIdentifier(rec.connections[$0])) }
        #expect(rec.order(.wake) == expected)
        #expect(bench.registry.nextDeadline() == .never)
    }

    @Test func aClosedConnectionsAlarmNeverFires() {
        // Alarms 5 s after accept. One connection the service closes, one its peer resets, and one whose
        // alarm comes due in the very turn in which its receive closes it.
        let (bench, rec) = Self.bench(alarmAt: nil) { b in
            b.accept = { conn in conn.receiveTimeout = nil; conn.wake(at: conn.now + .seconds(5)); return .waitForData }
            b.receive = { conn in _ = drain(conn); conn.close(); return .done }
        }
        let closedByService = bench.open(9000)
        let resetByPeer = bench.open(9000)
        bench.settle()
        bench.clock.advance(to: Self.seconds(1))
        closedByService.write("bye")
        resetByPeer.reset()
        bench.settle()
        bench.clock.advance(to: Self.seconds(2))
        let closedInTheSameTurn = bench.open(9000)
        bench.settle()
        bench.advance(to: Self.seconds(6))
        #expect(rec.count(.wake) == 0)
        bench.clock.advance(to: Self.seconds(7))
        closedInTheSameTurn.write("bye")
        bench.settle()
        #expect(rec.count(.receive) == 2)
        bench.advance(to: Self.seconds(100))
        #expect(rec.count(.wake) == 0 && rec.callbacksAfterFinal == 0)
        #expect(bench.registry.counters.alarms == 1)   // the same-turn one came due, and was withdrawn
    }
}
