import Bytes
import Testing
@testable import Net

@Suite struct UDPTests {
    typealias F = StackFixture

    @Test func boundSocketReceivesWithTheSourceEndpoint() throws {
        let f = StackFixture()
        let socket = try f.stack.bindUDP(port: 7)
        #expect(f.peerUDP(from: 4321, to: 7, payload: [1, 2, 3]).isEmpty)
        let d = try #require(f.stack.receiveUDP(socket))
        #expect(d.source == Endpoint(F.peerIP, 4321))
        #expect(d.destination == IPAddress(F.ourIP))
        #expect(d.payload == [1, 2, 3])
        #expect(f.stack.receiveUDP(socket) == nil)
        #expect(f.stack.counters.udp.received == 1)
    }

    @Test func sentDatagramsCarryAVerifiableChecksum() throws {
        let f = StackFixture()
        f.learnPeer()
        let socket = try f.stack.bindUDP(port: 7)
        let result = [5, 6, 7].withByteView { f.stack.sendUDP(from: socket, to: Endpoint(F.peerIP, 4321), payload: $0, now: f.now) }
        #expect(result == .sent)
        let ip = try #require(f.poll().first?.ipv4)
        #expect(ip.protocolNumber == IPProtocolNumber.udp)
        try ip.payload.withByteView { v in
            let d = try UDPDatagram(parsing: v, source: IPAddress(ip.source), destination: IPAddress(ip.destination))
            #expect(d.checksum != 0)
            #expect(d.sourcePort == 7 && d.destinationPort == 4321)
            #expect(d.payload.toArray() == [5, 6, 7])
        }
        #expect(f.stack.counters.udp.sent == 1)
    }

    @Test func badChecksumIsDroppedAndZeroChecksumAccepted() throws {
        let f = StackFixture()
        let socket = try f.stack.bindUDP(port: 7)
        var udp = Frames.udp(source: Endpoint(F.peerIP, 1), destination: Endpoint(F.ourIP, 7), payload: [1, 2])
        udp[8] ^= 0x10
        f.deliver(Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp)))
        #expect(f.stack.counters.udp.badChecksum == 1)
        #expect(f.stack.receiveUDP(socket) == nil)
        udp[6] = 0; udp[7] = 0
        f.deliver(Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp)))
        #expect(f.stack.receiveUDP(socket)?.payload == [0x11, 2])
    }

    @Test func aChecksumTheNICVouchesForIsNotVerifiedButTheIPHeaderStillIs() throws {
        let f = StackFixture()
        f.nic.vouchForReceived = true
        let socket = try f.stack.bindUDP(port: 7)
        var udp = Frames.udp(source: Endpoint(F.peerIP, 1), destination: Endpoint(F.ourIP, 7), payload: [1, 2])
        udp[6] ^= 0x40   // a checksum the host never finished
        f.deliver(Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp)))
        #expect(f.stack.receiveUDP(socket)?.payload == [1, 2])
        #expect(f.stack.counters.udp.badChecksum == 0)
        var frame = Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp))
        frame[14 + 10] ^= 0x01   // the IPv4 header checksum is the stack's to verify, always
        f.deliver(frame)
        #expect(f.stack.counters.ipv4.badChecksum == 1)
        #expect(f.stack.receiveUDP(socket) == nil)
    }

    @Test func ethernetPaddingIsNotPayload() throws {
        let f = StackFixture()
        let socket = try f.stack.bindUDP(port: 7)
        let udp = Frames.udp(source: Endpoint(F.peerIP, 1), destination: Endpoint(F.ourIP, 7), payload: [1])
        let frame = Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp))
        f.deliver(frame + [UInt8](repeating: 0xEE, count: EthernetFrame.minimumLength - frame.count))
        #expect(f.stack.receiveUDP(socket)?.payload == [1])
    }

    @Test func malformedLengthsAreCounted() throws {
        let f = StackFixture()
        _ = try f.stack.bindUDP(port: 7)
        var short = Frames.udp(source: Endpoint(F.peerIP, 1), destination: Endpoint(F.ourIP, 7), payload: [1])
        short[4] = 0; short[5] = 4
        f.deliver(Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: short)))
        #expect(f.stack.counters.udp.badHeader == 1)
        f.deliver(Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: [0, 1, 0, 7])))
        #expect(f.stack.counters.udp.truncated == 1)
    }

    @Test func fullReceiveQueueDropsAndCounts() throws {
        let f = StackFixture()
        let socket = try f.stack.bindUDP(port: 7)
        for i in 0...UDPSocketTable.maxQueuedDatagrams { f.peerUDP(to: 7, payload: [UInt8(i)]) }
        #expect(f.stack.queuedUDPCount(socket) == UDPSocketTable.maxQueuedDatagrams)
        #expect(f.stack.counters.udp.queueFull == 1)
        #expect(f.stack.receiveUDP(socket)?.payload == [0])   // oldest first; the newest was dropped
    }

    @Test func bindingRulesAndLimits() throws {
        let f = StackFixture()
        #expect(throws: UDPSocketTable.BindError.portZero) { try f.stack.bindUDP(port: 0) }
        let first = try f.stack.bindUDP(port: 1000)
        #expect(throws: UDPSocketTable.BindError.portInUse) { try f.stack.bindUDP(port: 1000) }
        for port in 1..<UDPSocketTable.maxSockets { _ = try f.stack.bindUDP(port: UInt16(1000 + port)) }
        #expect(throws: UDPSocketTable.BindError.tableFull) { try f.stack.bindUDP(port: 2000) }
        f.stack.closeUDP(first)
        let again = try f.stack.bindUDP(port: 1000)
        #expect(again != first)
        // The stale handle does not reach the new socket.
        #expect([1].withByteView { f.stack.sendUDP(from: first, to: Endpoint(F.peerIP, 9), payload: $0, now: f.now) }
                == .dropped(.socketClosed))
        f.peerUDP(to: 1000, payload: [1])
        #expect(f.stack.receiveUDP(first) == nil)
        #expect(f.stack.receiveUDP(again)?.payload == [1])
    }

    @Test func broadcastsAreDeliveredAndSent() throws {
        let f = StackFixture()
        let socket = try f.stack.bindUDP(port: 520)
        f.peerUDP(to: 520, payload: [1], destination: .broadcast, linkDestination: .broadcast)
        f.peerUDP(to: 520, payload: [2], destination: IPv4Address(192, 168, 1, 255), linkDestination: .broadcast)
        #expect(f.stack.receiveUDP(socket)?.destination == IPAddress(.broadcast))
        #expect(f.stack.receiveUDP(socket)?.destination == IPAddress(IPv4Address(192, 168, 1, 255)))
        let result = [3].withByteView { f.stack.sendUDP(from: socket, to: Endpoint(IPv4Address(192, 168, 1, 255), 520), payload: $0, now: f.now) }
        #expect(result == .sent)   // no ARP for a broadcast
        let sent = f.poll()
        #expect(sent.first?.destinationMAC == .broadcast)
        #expect(sent.first?.ipv4?.source == F.ourIP)
    }

    @Test func datagramsForOtherHostsAreNotForUs() throws {
        let f = StackFixture()
        _ = try f.stack.bindUDP(port: 7)
        f.peerUDP(to: 7, payload: [1], destination: IPv4Address(192, 168, 1, 11))
        #expect(f.stack.counters.ipv4.notForUs == 1)
        #expect(f.stack.counters.udp.received == 0)
    }

    @Test func oversizedDatagramIsRefused() throws {
        let f = StackFixture()
        f.learnPeer()
        let socket = try f.stack.bindUDP(port: 7)
        let fits = [UInt8](repeating: 0, count: 1472).withByteView { f.stack.sendUDP(from: socket, to: Endpoint(F.peerIP, 9), payload: $0, now: f.now) }
        #expect(fits == .sent)
        let tooBig = [UInt8](repeating: 0, count: 1473).withByteView { f.stack.sendUDP(from: socket, to: Endpoint(F.peerIP, 9), payload: $0, now: f.now) }
        #expect(tooBig == .dropped(.tooLarge))
        #expect(f.stack.counters.ipv4.tooLarge == 1)
    }
}

@Suite struct DHCPStyleTests {
    typealias F = StackFixture

    @Test func unconfiguredStackBroadcastsFromTheZeroAddress() throws {
        let f = StackFixture(configured: false)
        let client = try f.stack.bindUDP(port: 68)
        let result = [1, 2, 3].withByteView { f.stack.sendUDP(from: client, to: Endpoint(.broadcast, 67), payload: $0, now: f.now) }
        #expect(result == .sent)
        let sent = f.poll()
        #expect(sent.first?.destinationMAC == .broadcast)
        let ip = try #require(sent.first?.ipv4)
        #expect(ip.source == .any && ip.destination == .broadcast)
        try ip.payload.withByteView { v in
            let d = try UDPDatagram(parsing: v, source: IPAddress(.any), destination: IPAddress(.broadcast))
            #expect(d.sourcePort == 68 && d.destinationPort == 67)
        }
    }

    @Test func unconfiguredStackCannotSendUnicast() throws {
        let f = StackFixture(configured: false)
        let client = try f.stack.bindUDP(port: 68)
        let result = [1].withByteView { f.stack.sendUDP(from: client, to: Endpoint(F.peerIP, 67), payload: $0, now: f.now) }
        #expect(result == .dropped(.noRoute))
        #expect(f.stack.counters.ipv4.noRoute == 1)
    }

    @Test func unconfiguredStackReceivesBroadcastAndUnicastOffers() throws {
        let f = StackFixture(configured: false)
        let client = try f.stack.bindUDP(port: 68)
        let offered = IPv4Address(192, 168, 1, 50)
        f.peerUDP(from: 67, to: 68, payload: [1], destination: .broadcast, linkDestination: .broadcast)
        f.peerUDP(from: 67, to: 68, payload: [2], destination: offered)
        #expect(f.stack.receiveUDP(client)?.payload == [1])
        let unicast = try #require(f.stack.receiveUDP(client))
        #expect(unicast.payload == [2] && unicast.destination == IPAddress(offered) && unicast.source == Endpoint(F.peerIP, 67))
    }

    @Test func unconfiguredStackSendsNoUnreachablesAndAnswersNoPings() {
        let f = StackFixture(configured: false)
        #expect(f.peerUDP(to: 9999, payload: [1], destination: IPv4Address(192, 168, 1, 50)).isEmpty)
        #expect(f.stack.counters.udp.noSocket == 1)
        #expect(f.deliver(ICMPTests.echoFrame(data: [1], to: IPv4Address(192, 168, 1, 50))).isEmpty)
        #expect(f.stack.counters.ipv4.notForUs == 1)
    }
}
