import Testing
import Bytes
@testable import TCP

/// The table answers "when do you next expire" and "which entry goes when full" from the front of its
/// queue, not a scan: the answer must never be later than the true earliest expiry (or a quiet period
/// would overrun), stale records must not be taken for live ones, and the queue must stay bounded.
@Suite struct TimeWaitTableTests {
    private func entry(_ port: UInt16) -> TimeWaitEntry {
        TimeWaitEntry(key: key(port), seq: SequenceNumber(1), rcvNxt: SequenceNumber(1), timestampsEnabled: false,
                      timestampOffset: 0, tsRecent: 0)
    }
    private func key(_ port: UInt16) -> ConnectionKey {
        ConnectionKey(local: Endpoint(IPAddress(IPv4Address(10, 0, 0, 1)), 80),
                      remote: Endpoint(IPAddress(IPv4Address(10, 0, 0, 2)), port))
    }
    private func at(_ seconds: UInt64) -> Instant { Instant.zero + .seconds(seconds) }

    @Test func nextExpiryFollowsInsertsEvictionsAndExpiry() {
        var table = TimeWaitTable(capacity: 3, duration: .seconds(60))
        #expect(table.nextExpiry == .never)
        for (port, s) in [(1000, 1), (1001, 2), (1002, 3)] as [(UInt16, UInt64)] { _ = table.insert(entry(port), now: at(s)) }
        #expect(table.nextExpiry == at(61) && table[key(1000)]?.expires == at(61))
        // Full: the oldest entry (expiring at 61 s) is evicted; the answer may stay early, never late.
        let evicted = table.insert(entry(1003), now: at(4))
        #expect(evicted && table[key(1000)] == nil)
        #expect(table.nextExpiry <= at(62))
        table.expire(now: at(62))
        #expect(table.count == 2)
        #expect(table.nextExpiry == at(63))
        table.expire(now: at(64))
        #expect(table.count == 0 && table.nextExpiry == .never)
    }

    /// Always full, as under a stream of closes: each insert evicts the oldest entry, never a newer one.
    @Test func fullTableEvictsInOrderOfExpiry() {
        var table = TimeWaitTable(capacity: 4, duration: .seconds(60))
        for port in UInt16(1)...4 {
            let evicted = table.insert(entry(port), now: at(UInt64(port)))
            #expect(!evicted)
        }
        for port in UInt16(5)...100 {
            let evicted = table.insert(entry(port), now: at(UInt64(port)))
            #expect(evicted && table.count == 4)
            #expect(table[key(port - 4)] == nil && table[key(port - 3)] != nil)
        }
        #expect(table.queuedRecords <= 2 * 4 + 16)
    }

    /// A restarted entry moves behind the others; a removed one is neither evicted nor expired later.
    @Test func restartAndRemoveKeepTheOrder() {
        var table = TimeWaitTable(capacity: 3, duration: .seconds(60))
        for port in UInt16(1)...3 { _ = table.insert(entry(port), now: at(UInt64(port))) }   // expire 61, 62, 63
        table.restart(key(1), now: at(10))                                                 // now 70
        table.remove(key(2))
        let evictedFor4 = table.insert(entry(4), now: at(11))    // room: 2 was removed
        let evictedFor5 = table.insert(entry(5), now: at(12))    // evicts 3 (63), not 1 (70)
        #expect(!evictedFor4 && evictedFor5)
        #expect(table[key(3)] == nil && table[key(1)] != nil)
        table.expire(now: at(69))
        #expect(table.count == 3)
        table.expire(now: at(70))
        #expect(table.count == 2 && table[key(1)] == nil)
        #expect(table.nextExpiry == at(71))
    }

    /// A peer repeating its FIN restarts the wait each time: the queue of expiries stays bounded.
    @Test func repeatedRestartsDoNotGrowTheQueue() {
        var table = TimeWaitTable(capacity: 2, duration: .seconds(60))
        _ = table.insert(entry(1), now: .zero)
        _ = table.insert(entry(2), now: .zero)
        for ms in 1...10_000 as ClosedRange<UInt64> {
            table.restart(key(1), now: Instant.zero + .milliseconds(ms))
            table.restart(key(1), now: Instant.zero + .milliseconds(ms))    // the same instant: no new record
            #expect(table.queuedRecords <= 2 * 2 + 16 + 1)
        }
        table.expire(now: at(60))
        #expect(table.count == 1 && table[key(1)] != nil)
        #expect(table.nextExpiry <= Instant.zero + .milliseconds(70_000))    // stale records may still lead
        table.expire(now: Instant.zero + .milliseconds(69_999))
        #expect(table.count == 1 && table.nextExpiry == Instant.zero + .milliseconds(70_000))
    }
}
