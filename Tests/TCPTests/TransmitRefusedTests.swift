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
}
