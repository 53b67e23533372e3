import Bytes
import Testing
@testable import Net

@Suite struct EthernetFrameTests {
    @Test func shorterThanTheHeaderIsTruncated() {
        let runt = [UInt8](repeating: 0xFF, count: 13)
        let result = runt.withByteView { v in Result { () throws(PacketError) in try EthernetFrame(parsing: v) } }
        #expect(throws: PacketError.truncated) { try result.get() }
    }

    @Test func shortFramesArePaddedWithZeros() {
        #expect(EthernetFrame.length(payloadLength: 28) == 60)
        #expect(EthernetFrame.length(payloadLength: 1500) == 1514)
        var frame = [UInt8](repeating: 0xA5, count: 60)
        frame.withMutableByteView { f in
            EthernetFrame.writeHeader(into: f, destination: .broadcast, source: Frames.ourMAC,
                                      etherType: EtherType.arp, payloadLength: 28)
        }
        #expect(frame[0..<6].allSatisfy { $0 == 0xFF })
        #expect(frame[12] == 0x08 && frame[13] == 0x06)
        #expect(frame[42..<60].allSatisfy { $0 == 0 })
    }
}

@Suite struct ARPPacketTests {
    static func parse(_ bytes: [UInt8]) -> Result<ARPPacket, PacketError> {
        bytes.withByteView { v in Result { () throws(PacketError) in try ARPPacket(parsing: v) } }
    }

    static let request = ARPPacket(operation: .request, senderMAC: Frames.peerMAC, senderIP: IPv4Address(10, 0, 0, 2),
                                   targetMAC: .zero, targetIP: IPv4Address(10, 0, 0, 1))

    static func bytes(_ p: ARPPacket) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: ARPPacket.length)
        b.withMutableByteView { p.write(into: $0) }
        return b
    }

    @Test func roundTripsWithTheRFC826Layout() throws {
        let b = Self.bytes(Self.request)
        #expect(Array(b[0..<8]) == [0, 1, 8, 0, 6, 4, 0, 1])
        #expect(Array(b[14..<18]) == [10, 0, 0, 2])
        #expect(try Self.parse(b).get() == Self.request)
    }

    @Test func shortPacketIsTruncated() {
        #expect(throws: PacketError.truncated) { try Self.parse(Array(Self.bytes(Self.request).prefix(27))).get() }
    }

    @Test func otherHardwareProtocolOrOperationIsUnsupported() {
        var hardware = Self.bytes(Self.request)
        hardware[1] = 6
        #expect(throws: PacketError.unsupported) { try Self.parse(hardware).get() }
        var lengths = Self.bytes(Self.request)
        lengths[5] = 16
        #expect(throws: PacketError.unsupported) { try Self.parse(lengths).get() }
        var operation = Self.bytes(Self.request)
        operation[7] = 3
        #expect(throws: PacketError.unsupported) { try Self.parse(operation).get() }
    }
}

@Suite struct UDPDatagramTests {
    static let source = Endpoint(IPv4Address(10, 0, 0, 2), 5000)
    static let destination = Endpoint(IPv4Address(10, 0, 0, 1), 7)

    static func parse(_ bytes: [UInt8]) -> Result<UDPDatagram, PacketError> {
        bytes.withByteView { v in
            Result { () throws(PacketError) in try UDPDatagram(parsing: v, source: source.address, destination: destination.address) }
        }
    }

    @Test func writtenDatagramVerifies() throws {
        let b = Frames.udp(source: Self.source, destination: Self.destination, payload: [104, 105, 33])
        #expect(b[4] == 0 && b[5] == 11)
        let d = try Self.parse(b).get()
        #expect(d.sourcePort == 5000 && d.destinationPort == 7)
        #expect(d.payload.toArray() == [104, 105, 33])
        #expect(d.checksum != 0)
    }

    @Test func corruptedPayloadFailsTheChecksum() {
        var b = Frames.udp(source: Self.source, destination: Self.destination, payload: [1, 2, 3])
        b[9] ^= 0x40
        #expect(throws: PacketError.badChecksum) { try Self.parse(b).get() }
    }

    @Test func checksumCoversThePseudoHeader() {
        let b = Frames.udp(source: Self.source, destination: Self.destination, payload: [1, 2, 3])
        let elsewhere = b.withByteView { v in
            Result { () throws(PacketError) in
                try UDPDatagram(parsing: v, source: Self.source.address, destination: IPAddress(IPv4Address(10, 0, 0, 9)))
            }
        }
        #expect(throws: PacketError.badChecksum) { try elsewhere.get() }
    }

    @Test func zeroChecksumMeansNoneAndIsAccepted() throws {
        var b = Frames.udp(source: Self.source, destination: Self.destination, payload: [1, 2, 3])
        b[6] = 0; b[7] = 0
        b[9] ^= 0x40   // even corrupted: nothing to verify against
        #expect(try Self.parse(b).get().payload.toArray() == [1, 0x42, 3])
    }

    @Test func computedZeroIsSentAsAllOnes() throws {
        // Choose two payload bytes that make the one's-complement sum 0xFFFF, so the checksum is 0.
        let base = Frames.udp(source: Self.source, destination: Self.destination, payload: [0, 0])
        var sum = IPv4Packet.pseudoHeaderChecksum(source: Self.source.address.ipv4!, destination: Self.destination.address.ipv4!,
                                                  protocolNumber: IPProtocolNumber.udp, length: 10)
        var zeroed = base
        zeroed[6] = 0; zeroed[7] = 0
        sum.add(zeroed)
        let word = 0xFFFF - sum.folded
        let b = Frames.udp(source: Self.source, destination: Self.destination, payload: [UInt8(word >> 8), UInt8(word & 0xFF)])
        #expect(b[6] == 0xFF && b[7] == 0xFF)
        _ = try Self.parse(b).get()
    }

    @Test func lengthFieldUnderEightIsABadHeader() {
        var b = Frames.udp(source: Self.source, destination: Self.destination, payload: [1])
        b[5] = 7
        #expect(throws: PacketError.badHeader) { try Self.parse(b).get() }
    }

    @Test func lengthFieldBeyondThePayloadIsTruncated() {
        var b = Frames.udp(source: Self.source, destination: Self.destination, payload: [1])
        b[5] = 10
        #expect(throws: PacketError.truncated) { try Self.parse(b).get() }
        #expect(throws: PacketError.truncated) { try Self.parse(Array(b.prefix(7))).get() }
    }
}

@Suite struct ICMPMessageTests {
    static func parse(_ bytes: [UInt8]) -> Result<ICMPMessage, PacketError> {
        bytes.withByteView { v in Result { () throws(PacketError) in try ICMPMessage(parsing: v) } }
    }

    @Test func echoRequestRoundTrips() throws {
        let b = Frames.echoRequest(identifier: 0x1234, sequence: 9, data: [7, 7, 7])
        let m = try Self.parse(b).get()
        #expect(m.type == ICMPMessage.Kind.echoRequest)
        #expect(m.identifier == 0x1234 && m.sequence == 9)
        #expect(m.body.toArray() == [7, 7, 7])
    }

    @Test func badChecksumAndTruncationAreRejected() {
        var b = Frames.echoRequest(identifier: 1, sequence: 1, data: [1, 2])
        b[9] ^= 1
        #expect(throws: PacketError.badChecksum) { try Self.parse(b).get() }
        #expect(throws: PacketError.truncated) { try Self.parse([8, 0, 0, 0, 0, 0, 0]).get() }
    }
}
