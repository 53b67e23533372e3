import Testing
import Bytes
@testable import TCP

/// The table answers "when do you next expire" from a kept value, not a scan: it must never be later
/// than the true earliest expiry (or a quiet period would overrun), and `expire` makes it exact again.
@Suite struct TimeWaitTableTests {
    private func entry(_ port: UInt16, expires: Instant) -> TimeWaitEntry {
        TimeWaitEntry(key: ConnectionKey(local: Endpoint(IPAddress(IPv4Address(10, 0, 0, 1)), 80),
                                         remote: Endpoint(IPAddress(IPv4Address(10, 0, 0, 2)), port)),
                      seq: SequenceNumber(1), rcvNxt: SequenceNumber(1), timestampsEnabled: false,
                      timestampOffset: 0, tsRecent: 0, expires: expires)
    }

    @Test func nextExpiryFollowsInsertsEvictionsAndExpiry() {
        var table = TimeWaitTable(capacity: 3, duration: .seconds(60))
        #expect(table.nextExpiry == .never)
        for (port, s) in [(1000, 30), (1001, 10), (1002, 20)] as [(UInt16, UInt64)] {
            _ = table.insert(entry(port, expires: Instant.zero + .seconds(s)))
        }
        #expect(table.nextExpiry == Instant.zero + .seconds(10))
        // Full: the entry nearest expiry (10 s) is evicted; the kept value may stay early, never late.
        let evicted = table.insert(entry(1003, expires: Instant.zero + .seconds(40)))
        #expect(evicted)
        #expect(table.nextExpiry <= Instant.zero + .seconds(20))
        table.expire(now: Instant.zero + .seconds(20))
        #expect(table.count == 2)
        #expect(table.nextExpiry == Instant.zero + .seconds(30))
        table.expire(now: Instant.zero + .seconds(40))
        #expect(table.count == 0 && table.nextExpiry == .never)
    }
}
