import Testing
import Bytes
@testable import TCP

/// A NIC with no free transmit buffer refuses a segment. Found by the benchmark at -m 16M: the refused
/// segments used to count as sent (SND.NXT moved on), so each became a loss that only fast retransmit
/// or a retransmission timeout recovered — enough timeouts to stall a 1 MiB download past a client's
/// patience. A refused segment must simply go out later, with no retransmission at all.
@Suite struct TransmitRefusedTests {
    @Test func refusedSegmentsGoOutLaterWithoutRetransmission() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(1)))
        let (client, server) = try net.establish()
        let data = pattern(64 * 1024, seed: 9)
        net.outputs[0].transmitBuffers = 2            // the NIC takes two segments, then is full
        _ = try net.a.send(client, data)
        net.a.poll(now: net.now)
        #expect(net.a.counters.emitFailed >= 1)
        #expect(net.a.nextDeadline() == .zero)         // output still pending: the main loop comes back
        net.outputs[0].transmitBuffers = nil           // the device drained its ring
        var received: [UInt8] = []
        _ = net.run(for: .seconds(5)) {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = buffer.withMutableByteView { (try? net.b.receive(server, into: $0)) ?? 0 }
            received += buffer[0..<n]
            return received.count == data.count
        }
        #expect(received == data)
        #expect(net.a.counters.segmentsRetransmitted == 0)
        #expect(net.a.counters.retransmissionTimeouts == 0)
    }

    /// The same for a bare ACK: it used to count as sent before the NIC was asked (the pending-ACK
    /// state was settled while the segment was built, and the result ignored), so a refused ACK was
    /// lost until the peer's retransmission timeout. It must stay due and go out on the next turn.
    @Test func refusedAckGoesOutOnTheNextTurn() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(1)))
        let (client, _) = try net.establish()
        net.outputs[1].transmitBuffers = 0            // the server's NIC is full
        _ = try net.a.send(client, pattern(4 * 1460, seed: 3))
        net.a.poll(now: net.now)
        let arrival = try #require(net.link.nextArrival)
        net.clock.advance(to: arrival + .milliseconds(1))
        for (to, packet) in net.link.arrivals(upTo: net.now) { net.deliver(packet, to: to) }
        net.b.poll(now: net.now)
        #expect(net.b.counters.emitFailed >= 1)
        #expect(net.b.nextDeadline() == .zero)         // the ACK is still due: the main loop comes back
        net.outputs[1].transmitBuffers = nil
        net.b.poll(now: net.now)
        net.run(for: .milliseconds(100))               // past the delayed ACK, short of any RTO
        let sender = try #require(net.a.connection(client))
        #expect(sender.snd.una == sender.snd.max)         // everything acknowledged
        #expect(net.a.counters.retransmissionTimeouts == 0)
        #expect(net.a.counters.segmentsRetransmitted == 0)
    }
}
