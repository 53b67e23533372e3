import Bytes
import Testing
@testable import Net

/// Every malformed or unwanted frame is dropped, moves exactly its own counter, and leaves the stack
/// answering pings.
@Suite struct MalformedFrameTests {
    typealias F = StackFixture

    static func udpFrame() -> [UInt8] {
        let udp = Frames.udp(source: Endpoint(F.peerIP, 1), destination: Endpoint(F.ourIP, 7), payload: [1, 2, 3, 4])
        return Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp))
    }

    /// Delivers `frame` to a fresh stack with a socket on port 7, checks nothing came out and nothing
    /// was queued, that the stack still answers a ping, and returns its counters.
    static func drop(_ frame: [UInt8]) -> NetCounters {
        let f = StackFixture()
        f.learnPeer()
        let socket = try! f.stack.bindUDP(port: 7)
        let before = f.stack.counters
        #expect(f.deliver(frame).isEmpty)
        #expect(f.stack.counters.ethernet.rxFrames == before.ethernet.rxFrames + 1)
        #expect(f.stack.receiveUDP(socket) == nil)
        let counters = f.stack.counters
        // Exactly one reason counter moved, by one (the layers' "received" totals aside).
        let moved = zip(before.metrics.lines, counters.metrics.lines).filter { $0.0 != $0.1 }.map { $0.1 }
            .filter { !$0.hasPrefix("eth.rx_frames") && !$0.split(separator: " ")[0].hasSuffix("received") }
        #expect(moved.count == 1 && moved.first?.hasSuffix(" 1") == true, "counters moved: \(moved)")
        #expect(f.deliver(ICMPTests.echoFrame(data: [1])).count == 1)
        return counters
    }

    static func ipv4Offset(_ i: Int) -> Int { EthernetFrame.headerLength + i }

    @Test func wellFormedControlIsDelivered() throws {
        let f = StackFixture()
        let socket = try f.stack.bindUDP(port: 7)
        f.deliver(Self.udpFrame())
        #expect(f.stack.receiveUDP(socket)?.payload == [1, 2, 3, 4])
    }

    @Test func runtFrame() {
        #expect(Self.drop(Array(Self.udpFrame().prefix(13))).ethernet.truncated == 1)
    }

    @Test func frameForAnotherMAC() {
        var frame = Self.udpFrame()
        frame[5] = 0x77
        #expect(Self.drop(frame).ethernet.notForUs == 1)
        var multicast = Self.udpFrame()
        multicast.replaceSubrange(0..<6, with: [0x01, 0x00, 0x5E, 0, 0, 1])
        #expect(Self.drop(multicast).ethernet.notForUs == 1)
    }

    @Test func unknownEtherType() {
        var frame = Self.udpFrame()
        frame[12] = 0x86; frame[13] = 0xDD   // IPv6
        #expect(Self.drop(frame).ethernet.unknownEtherType == 1)
    }

    @Test func ipv4ShorterThanItsHeader() {
        #expect(Self.drop(Array(Self.udpFrame().prefix(EthernetFrame.headerLength + 19))).ipv4.truncated == 1)
    }

    @Test func ipv4HeaderLengthUnderFive() {
        var frame = Self.udpFrame()
        frame[Self.ipv4Offset(0)] = 0x44
        #expect(Self.drop(frame).ipv4.badHeader == 1)
    }

    @Test func ipv4WrongVersion() {
        var frame = Self.udpFrame()
        frame[Self.ipv4Offset(0)] = 0x65
        Frames.fixIPv4Checksum(&frame)
        #expect(Self.drop(frame).ipv4.badHeader == 1)
    }

    @Test func ipv4TotalLengthBeyondTheFrame() {
        var frame = Self.udpFrame()
        frame[Self.ipv4Offset(3)] += 1
        Frames.fixIPv4Checksum(&frame)
        #expect(Self.drop(frame).ipv4.truncated == 1)
    }

    @Test func ipv4BadChecksum() {
        var frame = Self.udpFrame()
        frame[Self.ipv4Offset(10)] ^= 0x80
        #expect(Self.drop(frame).ipv4.badChecksum == 1)
    }

    @Test func ipv4Fragment() {
        var frame = Self.udpFrame()
        frame[Self.ipv4Offset(6)] = 0x20   // more fragments
        Frames.fixIPv4Checksum(&frame)
        #expect(Self.drop(frame).ipv4.fragments == 1)
    }

    @Test func ipv4FromABroadcastSource() {
        let udp = Frames.udp(source: Endpoint(.broadcast, 1), destination: Endpoint(F.ourIP, 7), payload: [1])
        let frame = Frames.ipFrame(Frames.ipv4(source: .broadcast, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp))
        #expect(Self.drop(frame).ipv4.badSource == 1)
    }

    /// RFC 1812 martians: "this network", loopback, multicast and reserved sources never reach a socket.
    @Test(arguments: [IPv4Address(0, 1, 2, 3), IPv4Address(127, 0, 0, 1), IPv4Address(224, 0, 0, 1),
                      IPv4Address(240, 0, 0, 1), IPv4Address(250, 9, 9, 9)])
    func ipv4FromAMartianSource(source: IPv4Address) {
        let udp = Frames.udp(source: Endpoint(source, 1), destination: Endpoint(F.ourIP, 9999), payload: [1])
        let frame = Frames.ipFrame(Frames.ipv4(source: source, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp))
        let counters = Self.drop(frame)
        #expect(counters.ipv4.badSource == 1)
        #expect(counters.icmp.unreachableSent == 0)
    }

    @Test func ipv4FromOurOwnAddress() {
        let udp = Frames.udp(source: Endpoint(F.ourIP, 1), destination: Endpoint(F.ourIP, 9999), payload: [1])
        let frame = Frames.ipFrame(Frames.ipv4(source: F.ourIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp))
        let counters = Self.drop(frame)
        #expect(counters.ipv4.badSource == 1)
        #expect(counters.icmp.unreachableSent == 0)
    }

    @Test func udpBadChecksum() {
        var frame = Self.udpFrame()
        frame[frame.count - 1] ^= 0x01
        #expect(Self.drop(frame).udp.badChecksum == 1)
    }

    @Test func optionsDoNotHideThePayload() throws {
        let f = StackFixture()
        let socket = try f.stack.bindUDP(port: 7)
        var frame = Self.udpFrame()
        frame.insert(contentsOf: [1, 1, 1, 1], at: Self.ipv4Offset(20))
        frame[Self.ipv4Offset(0)] = 0x46
        frame[Self.ipv4Offset(3)] += 4
        Frames.fixIPv4Checksum(&frame)
        f.deliver(frame)
        #expect(f.stack.receiveUDP(socket)?.payload == [1, 2, 3, 4])
    }
}
