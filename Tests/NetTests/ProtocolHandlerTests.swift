import Bytes
import Testing
@testable import Net

/// Stands in for TCP: records what it is handed, and answers through the interface like TCP would.
final class RecordingHandler<NIC: NetworkInterface>: IPProtocolHandler {
    var received: [(source: IPv4Address, destination: IPv4Address, payload: [UInt8])] = []
    var interface: Interface<NIC>?
    var lastSendResult: SendResult?

    func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, now: Instant) {
        received.append((source, destination, payload.toArray()))
        // Reply from inside the receive call, as TCP does with an ACK.
        lastSendResult = interface?.sendIPv4(to: source, protocol: IPProtocolNumber.tcp, payloadLength: payload.count,
                                             now: now) { out, chosenSource in
            #expect(chosenSource == destination)
            out.copy(payload, to: 0)
        }
    }
}

@Suite struct ProtocolHandlerTests {
    typealias F = StackFixture

    @Test func registeredHandlerGetsUnicastPayloadsAndCanReply() throws {
        let f = StackFixture()
        f.learnPeer()
        let handler = RecordingHandler<FrameQueueNIC>()
        handler.interface = f.stack
        try f.stack.register(handler, forProtocol: IPProtocolNumber.tcp)
        let segment: [UInt8] = [0, 80, 0x1F, 0x90, 9, 9, 9, 9]
        let sent = f.deliver(Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP,
                                                        protocolNumber: IPProtocolNumber.tcp, payload: segment)))
        #expect(handler.received.count == 1)
        #expect(handler.received.first?.source == F.peerIP && handler.received.first?.destination == F.ourIP)
        #expect(handler.received.first?.payload == segment)
        #expect(handler.lastSendResult == .sent)
        #expect(sent.first?.ipv4?.payload == segment)
        #expect(sent.first?.ipv4?.protocolNumber == IPProtocolNumber.tcp)
        // Broadcast TCP is never handed up.
        f.deliver(Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: .broadcast, protocolNumber: IPProtocolNumber.tcp,
                                             payload: segment), to: .broadcast))
        #expect(handler.received.count == 1)
        #expect(f.stack.counters.ipv4.notForUs == 1)
    }

    @Test func registrationRules() throws {
        let f = StackFixture()
        let handler = RecordingHandler<FrameQueueNIC>()
        #expect(throws: ProtocolRegistrationError.reservedProtocol) { try f.stack.register(handler, forProtocol: IPProtocolNumber.udp) }
        #expect(throws: ProtocolRegistrationError.reservedProtocol) { try f.stack.register(handler, forProtocol: IPProtocolNumber.icmp) }
        try f.stack.register(handler, forProtocol: IPProtocolNumber.tcp)
        #expect(throws: ProtocolRegistrationError.alreadyRegistered) { try f.stack.register(handler, forProtocol: IPProtocolNumber.tcp) }
    }
}
