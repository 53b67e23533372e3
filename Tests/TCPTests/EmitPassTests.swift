import Testing
import Bytes
import TestSupport
@testable import TCP

/// The one-way path: receiving changes state and writes nothing; the emit pass writes every segment,
/// so ACKs join the answers of the same turn, while the ACK rules a sender relies on still hold for a
/// whole receive batch.
@Suite struct EmitPassTests {
    /// A connection whose congestion window has grown past its initial one (a warm-up transfer), so one
    /// send puts many full segments on the link at once.
    func warmedUp() throws -> (TwoHosts, TCPHandle, TCPHandle) {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        let warmUp = pattern(64 * 1024, seed: 5)
        var sent = 0, got = 0
        net.run(for: .seconds(10)) {
            if sent < warmUp.count { sent += (try? net.a.send(client, Array(warmUp[sent...]))) ?? 0 }
            got += ((try? net.b.readAll(server)) ?? []).count
            return got == warmUp.count
        }
        // The last (delayed) ACK settles, well within an RTO: idle longer, and the window would restart.
        let a = net.a.connection(client)!
        net.run(for: .milliseconds(100)) { a.snd.una == a.snd.max }
        return (net, client, server)
    }

    /// A's next flight of full segments, taken off the link undelivered.
    func flight(_ net: TwoHosts, _ client: TCPHandle, segments: Int) throws -> [[UInt8]] {
        let payload = net.a.connection(client)!.maximumPayload
        _ = try net.a.send(client, pattern(segments * payload, seed: 9))
        net.a.poll(now: net.now)
        return net.link.arrivals(upTo: .never).filter { $0.to == 1 }.map { $0.packet }
    }

    /// Hands `packets` to B as one receive batch (receiving must write nothing), then runs B's emit
    /// pass; returns what it wrote.
    func oneBatch(_ net: TwoHosts, _ packets: ArraySlice<[UInt8]>) -> ArraySlice<Wire.Summary> {
        let before = net.sent(by: 1).count
        for packet in packets { net.deliver(packet, to: 1) }
        #expect(net.sent(by: 1).count == before)
        net.b.emit(now: net.now)
        return net.sent(by: 1)[before...]
    }

    @Test func aBatchOfFullSegmentsIsStillAcknowledgedEverySecondSegment() throws {
        let (net, client, server) = try warmedUp()
        let packets = try flight(net, client, segments: 12)
        #expect(packets.count >= 6)
        let start = net.b.connection(server)!.rcv.nxt
        let acks = oneBatch(net, packets[...]).map { $0.ack }
        let payload = net.a.connection(client)!.maximumPayload
        // One ACK per two segments, each two segments further on: what immediate ACKs would have been.
        #expect(acks == (1...(packets.count / 2)).map { start + 2 * $0 * payload })
    }

    @Test func outOfOrderSegmentsInOneBatchDrawOneDuplicateAckEach() throws {
        let (net, client, server) = try warmedUp()
        let packets = try flight(net, client, segments: 8)
        #expect(packets.count >= 4)
        let hole = net.b.connection(server)!.rcv.nxt
        let replies = oneBatch(net, packets.dropFirst())          // the first is lost
        #expect(replies.count == packets.count - 1)            // RFC 5681 4.2: one each, at once
        #expect(replies.allSatisfy { $0.ack == hole && $0.payload.isEmpty && !$0.sackBlocks.isEmpty })
    }

    @Test func theAckOfAFinRidesOnTheFinOfTheAnswer() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10)))
        let (client, server) = try net.establish()
        try net.a.close(client)
        net.a.poll(now: net.now)
        net.clock.advance(by: .milliseconds(10))
        let before = net.sent(by: 1).count
        for (to, packet) in net.link.arrivals(upTo: net.now) { net.deliver(packet, to: to) }
        #expect(net.b.isPeerFinished(server))
        // The service closes in the same turn: one segment carries both our FIN and the ACK of theirs
        // (when the ACK left from inside the receive, there were two).
        try net.b.close(server)
        net.b.poll(now: net.now)
        let replies = net.sent(by: 1)[before...]
        #expect(replies.count == 1)
        #expect(replies.first.map { $0.flags.contains(.fin) && $0.flags.contains(.ack) } == true)
    }

    @Test func repliesBeyondTheQueueLimitAreDroppedAndCounted() throws {
        let net = TwoHosts()
        // SYNs to a closed port, more than one turn's reply queue holds, all in one receive batch.
        let count = TCPLayer.replyQueueLimit + 10
        for i in 0..<count {
            let syn = OutgoingSegment(sourcePort: UInt16(20_000 + i), destinationPort: 9, seq: SequenceNumber(UInt32(i)),
                                      ack: SequenceNumber(0), flags: [.syn], window: 1000)
            Wire.craft(syn, source: net.addresses[0], destination: net.addresses[1]).withByteView {
                net.b.receive(source: net.addresses[0], destination: net.addresses[1], segment: $0, now: net.now)
            }
        }
        #expect(net.sent(by: 1).isEmpty)
        net.b.emit(now: net.now)
        #expect(net.sent(by: 1).count == TCPLayer.replyQueueLimit)
        #expect(net.sent(by: 1).allSatisfy { $0.flags.contains(.rst) })
        #expect(net.b.counters.repliesDropped == 10 && net.b.counters.resetsSent == UInt64(TCPLayer.replyQueueLimit))
    }
}
