import Testing
import Bytes
@testable import TCP

/// RFC 3042 limited transmit. Found against Linux through a lossy link (Tests/VM/tcp_linux_test.sh):
/// about a fifth of our losses were recovered only by the retransmission timeout, because a loss in a
/// small window leaves fewer than three segments behind it to draw the duplicate ACKs fast retransmit
/// needs.
@Suite struct LimitedTransmitTests {
    /// The initial window holds three segments; the first is lost. The two behind it draw two duplicate
    /// ACKs; each lets one new segment out, those draw the third and fourth, and fast retransmit repairs
    /// the hole in about two round trips, with no timeout.
    @Test func aLossInTheInitialWindowIsRepairedByFastRetransmit() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10)))
        let (client, server) = try net.establish()
        let a = net.a.connection(client)!
        let firstByte = a.snd.nxt
        let initialSegments = a.cc.cwnd / a.maximumPayload
        let sentBefore = net.outputs[0].sent.count
        var dropped = false
        net.outputs[0].filter = { seg in
            guard seg.seq == firstByte, !seg.payload.isEmpty, !dropped else { return true }
            dropped = true
            return false
        }
        let data = pattern(20_000, seed: 3)
        #expect(try net.a.send(client, data) == data.count)
        net.a.poll(now: net.now)
        let start = net.now
        var got: [UInt8] = []
        let done = net.run(for: .seconds(10)) { got += (try? net.b.readAll(server)) ?? []; return got.count == data.count }
        #expect(done && got == data)
        #expect(dropped)
        #expect(net.a.counters.fastRetransmits == 1)
        #expect(net.a.counters.retransmissionTimeouts == 0)
        // Exactly two segments went out beyond the initial window before the retransmission.
        let dataSegments = net.sent(by: 0)[sentBefore...].filter { !$0.payload.isEmpty }
        let firstRetransmission = dataSegments.firstIndex { $0.seq == firstByte }
        #expect(firstRetransmission == initialSegments + 2 - 1)   // the lost first segment was never recorded
        // Well before even the minimum RTO (200 ms) would have fired: a few 20 ms round trips.
        #expect(net.now.since(start) < .milliseconds(200))
    }
}
