import Bytes
import Testing
@testable import Net

@Suite struct ICMPTests {
    typealias F = StackFixture

    static func echoFrame(data: [UInt8], to destination: IPv4Address = F.ourIP, linkDestination: MACAddress = Frames.ourMAC) -> [UInt8] {
        let icmp = Frames.echoRequest(identifier: 0xBEEF, sequence: 3, data: data)
        return Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: destination, protocolNumber: IPProtocolNumber.icmp,
                                          payload: icmp), to: linkDestination)
    }

    static func message(_ decoded: Decoded?) throws -> (type: UInt8, code: UInt8, id: UInt16, seq: UInt16, body: [UInt8]) {
        let ip = try #require(decoded?.ipv4)
        #expect(ip.protocolNumber == IPProtocolNumber.icmp)
        return try ip.payload.withByteView { v in
            let m = try ICMPMessage(parsing: v)   // verifies the checksum
            return (m.type, m.code, m.identifier, m.sequence, m.body.toArray())
        }
    }

    @Test func echoRequestIsAnswered() throws {
        let f = StackFixture()
        f.learnPeer()
        let sent = f.deliver(Self.echoFrame(data: Array(0..<56)))
        #expect(sent.count == 1)
        #expect(sent.first?.destinationMAC == Frames.peerMAC)
        #expect(sent.first?.ipv4?.source == F.ourIP && sent.first?.ipv4?.destination == F.peerIP)
        let m = try Self.message(sent.first)
        #expect(m.type == ICMPMessage.Kind.echoReply && m.code == 0)
        #expect(m.id == 0xBEEF && m.seq == 3)
        #expect(m.body == Array(0..<56))
        #expect(f.stack.counters.icmp.echoRequestsReceived == 1 && f.stack.counters.icmp.echoRepliesSent == 1)
    }

    @Test func largestEchoThatFitsTheMTUIsAnswered() throws {
        let f = StackFixture()
        f.learnPeer()
        let data = (0..<1472).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let sent = f.deliver(Self.echoFrame(data: data))
        #expect(sent.first?.bytes.count == 1514)
        #expect(try Self.message(sent.first).body == data)
        // One byte more cannot be answered within the MTU: dropped and counted, nothing sent.
        #expect(f.deliver(Self.echoFrame(data: data + [0])).isEmpty)
        #expect(f.stack.counters.ipv4.tooLarge == 1)
    }

    @Test func echoFromAnUnknownNeighbourWaitsForARP() throws {
        let f = StackFixture()
        let first = f.deliver(Self.echoFrame(data: [1, 2, 3]))
        #expect(first.first?.arp?.targetIP == F.peerIP)
        let released = f.deliver(ARPTests.reply(from: F.peerIP))
        #expect(try Self.message(released.first).body == [1, 2, 3])
    }

    @Test func broadcastEchoIsIgnored() {
        let f = StackFixture()
        f.learnPeer()
        #expect(f.deliver(Self.echoFrame(data: [1], to: IPv4Address(192, 168, 1, 255), linkDestination: .broadcast)).isEmpty)
        #expect(f.deliver(Self.echoFrame(data: [1], to: .broadcast, linkDestination: .broadcast)).isEmpty)
        #expect(f.stack.counters.icmp.broadcastEchoIgnored == 2)
    }

    @Test func badChecksumAndTruncatedICMPAreCounted() {
        let f = StackFixture()
        f.learnPeer()
        var bad = Self.echoFrame(data: [1, 2, 3, 4])
        bad[bad.count - 1] ^= 0xFF
        #expect(f.deliver(bad).isEmpty)
        #expect(f.stack.counters.icmp.badChecksum == 1)
        let short = Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.icmp,
                                               payload: [8, 0, 0, 0]))
        #expect(f.deliver(short).isEmpty)
        #expect(f.stack.counters.icmp.truncated == 1)
    }

    @Test func udpToAClosedPortGetsPortUnreachable() throws {
        let f = StackFixture()
        f.learnPeer()
        let sent = f.peerUDP(to: 9999, payload: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(f.stack.counters.udp.noSocket == 1)
        let m = try Self.message(sent.first)
        #expect(m.type == ICMPMessage.Kind.destinationUnreachable)
        #expect(m.code == ICMPMessage.UnreachableCode.portUnreachable)
        // The quote is the offending datagram: its IPv4 header, then the UDP header with the ports.
        let quoted = m.body
        #expect(quoted.count == 20 + 8 + 9)
        #expect(quoted[0] == 0x45)
        #expect(Array(quoted[12..<16]) == [192, 168, 1, 2])
        #expect(Array(quoted[22..<24]) == [0x27, 0x0F])
        #expect(f.stack.counters.icmp.unreachableSent == 1)
    }

    @Test func longDatagramsAreQuotedWithinTheLimit() throws {
        let f = StackFixture()
        f.learnPeer()
        let sent = f.peerUDP(to: 9999, payload: [UInt8](repeating: 1, count: 1000))
        #expect(try Self.message(sent.first).body.count == InterfaceLimits.icmpErrorQuote)
    }

    @Test func noUnreachableForBroadcasts() {
        let f = StackFixture()
        f.learnPeer()
        #expect(f.peerUDP(to: 9999, payload: [1], destination: .broadcast, linkDestination: .broadcast).isEmpty)
        #expect(f.peerUDP(to: 9999, payload: [1], destination: IPv4Address(192, 168, 1, 255), linkDestination: .broadcast).isEmpty)
        #expect(f.stack.counters.udp.noSocket == 2)
        #expect(f.stack.counters.icmp.unreachableSent == 0)
    }

    @Test func unreachablesAreRateLimited() {
        let f = StackFixture()
        f.learnPeer()
        for _ in 0..<InterfaceLimits.icmpErrorBurst { #expect(f.peerUDP(to: 9999, payload: [1]).count == 1) }
        #expect(f.peerUDP(to: 9999, payload: [1]).isEmpty)
        #expect(f.stack.counters.icmp.rateLimited == 1)
        f.advance(InterfaceLimits.icmpErrorInterval)
        #expect(f.peerUDP(to: 9999, payload: [1]).count == 1)
        #expect(f.peerUDP(to: 9999, payload: [1]).isEmpty)
        #expect(f.stack.counters.icmp.unreachableSent == UInt64(InterfaceLimits.icmpErrorBurst + 1))
        #expect(f.stack.counters.icmp.rateLimited == 2)
    }

    @Test func unknownProtocolGetsProtocolUnreachable() throws {
        let f = StackFixture()
        f.learnPeer()
        let gre = Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: 47, payload: [0, 0, 8, 0]))
        let m = try Self.message(f.deliver(gre).first)
        #expect(m.type == ICMPMessage.Kind.destinationUnreachable && m.code == ICMPMessage.UnreachableCode.protocolUnreachable)
        #expect(f.stack.counters.ipv4.unknownProtocol == 1)
    }

    @Test func echoRepliesAreQueuedForTheCaller() {
        let f = StackFixture()
        f.learnPeer()
        #expect([9, 9].withByteView { f.stack.sendEchoRequest(to: F.peerIP, identifier: 5, sequence: 1, data: $0, now: f.now) } == .sent)
        var reply = Frames.echoRequest(identifier: 5, sequence: 1, data: [9, 9])
        reply[0] = ICMPMessage.Kind.echoReply
        reply[2] = 0; reply[3] = 0
        let sum = reply.withByteView { InternetChecksum.of($0) }
        reply[2] = UInt8(sum >> 8); reply[3] = UInt8(sum & 0xFF)
        for _ in 0...InterfaceLimits.maxQueuedEchoReplies {
            f.deliver(Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.icmp,
                                                 payload: reply)))
        }
        #expect(f.stack.takeEchoReply() == ICMPEchoReply(source: F.peerIP, identifier: 5, sequence: 1, data: [9, 9]))
        #expect(f.stack.counters.icmp.echoReplyQueueFull == 1)
    }
}

@Suite struct TokenBucketTests {
    /// Which of `instants` (in order) the bucket allowed.
    static func allowed(_ bucket: inout TokenBucket, at instants: [Instant]) -> [Bool] {
        instants.map { bucket.take(now: $0) }
    }

    @Test func burstThenSteadyRate() {
        var bucket = TokenBucket(capacity: 3, refillInterval: .milliseconds(100))
        let t0 = Instant.zero
        let results = Self.allowed(&bucket, at: [t0, t0, t0, t0, t0 + .milliseconds(99), t0 + .milliseconds(100),
                                                 t0 + .milliseconds(150), t0 + .milliseconds(200)])
        // Three in a burst, then one per interval; the half interval at 150 ms counts toward 200 ms.
        #expect(results == [true, true, true, false, false, true, false, true])
    }

    @Test func refillStopsAtCapacity() {
        var bucket = TokenBucket(capacity: 2, refillInterval: .milliseconds(10))
        let later = Instant.zero + .seconds(100)
        #expect(Self.allowed(&bucket, at: [.zero, later, later, later]) == [true, true, true, false])
    }
}
