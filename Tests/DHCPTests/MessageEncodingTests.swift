import Bytes
import Testing
@testable import DHCP

@Suite struct MessageEncodingTests {
    private let mac = MACAddress(0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF)

    @Test func discoverHasTheBOOTPLayoutAndTable5Options() {
        let m = DHCPClientMessage(type: .discover, transactionID: 0x0102_0304, secondsElapsed: 7,
                                  broadcastReply: true, hardwareAddress: mac, hostName: Array("box".utf8),
                                  parameterRequestList: [1, 3, 6])
        let p = ClientPacket(m.encoded(), to: .broadcast, at: .zero)
        #expect(p.bytes.count == 300)
        #expect(p.op == 1 && p.htype == 1 && p.hlen == 6)
        #expect(p.xid == 0x0102_0304 && p.secs == 7 && p.flags == 0x8000)
        #expect(p.ciaddr == [0, 0, 0, 0] && p.yiaddr == [0, 0, 0, 0])
        #expect(p.chaddr == [0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF])
        #expect(p.chaddrPadding == [UInt8](repeating: 0, count: 10))
        #expect(Array(p.bytes[44..<236]) == [UInt8](repeating: 0, count: 192))   // sname, file empty
        #expect(p.cookie == [99, 130, 83, 99])
        #expect(p.endSeen)
        #expect(p.order == [53, 61, 12, 55])
        #expect(p.type == 1)
        #expect(p.options[61] == [1, 0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF])
        #expect(p.options[12] == Array("box".utf8))
        #expect(p.options[55] == [1, 3, 6])
    }

    @Test func requestAndReleaseCarryAddressesWhereTheRFCSays() {
        let request = DHCPClientMessage(type: .request, transactionID: 9, secondsElapsed: 0, broadcastReply: false,
                                        clientAddress: IPv4Address(10, 1, 2, 3), hardwareAddress: mac,
                                        requestedAddress: IPv4Address(10, 1, 2, 4),
                                        serverIdentifier: IPv4Address(10, 1, 2, 1))
        let p = ClientPacket(request.encoded(), to: .broadcast, at: .zero)
        #expect(p.flags == 0 && p.ciaddr == [10, 1, 2, 3])
        #expect(p.requested == [10, 1, 2, 4] && p.serverID == [10, 1, 2, 1])
        #expect(p.options[12] == nil && p.options[55] == nil)
    }

    @Test func encoderOutputRoundTripsThroughTheDecoder() throws {
        // With op flipped to BOOTREPLY, the client's decoder reads back what its encoder wrote.
        var bytes = DHCPClientMessage(type: .offer, transactionID: 77, secondsElapsed: 0, broadcastReply: true,
                                      hardwareAddress: mac, serverIdentifier: IPv4Address(10, 9, 8, 7)).encoded()
        bytes[0] = 2
        let m = try bytes.withByteView { v throws(DHCPMessageError) in try DHCPMessage.decode(v) }
        #expect(m.transactionID == 77 && m.options.messageType == .offer)
        #expect(m.options.serverIdentifier == IPv4Address(10, 9, 8, 7))
        #expect(m.clientHardwareAddress == mac)
    }
}
