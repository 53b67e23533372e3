import Bytes
import Testing
@testable import Net

@Suite struct IPv4PacketTests {
    /// A header captured from a real UDP packet, checksum 0xB861 computed independently of this code.
    static let knownHeader: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xB8, 0x61,
                                       0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7]

    static func parse(_ bytes: [UInt8]) -> Result<IPv4Packet, PacketError> {
        bytes.withByteView { v in Result { () throws(PacketError) in try IPv4Packet(parsing: v) } }
    }

    static func error(_ bytes: [UInt8]) -> PacketError? {
        if case .failure(let e) = parse(bytes) { return e }
        return nil
    }

    static func sample(payload: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        Frames.ipv4(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2),
                    protocolNumber: IPProtocolNumber.udp, payload: payload)
    }

    /// Rewrites the header checksum of a bare IPv4 packet after a field was changed.
    static func fixed(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        Frames.fixIPv4Checksum(&b, at: 0)
        return b
    }

    @Test func parsesAKnownHeader() throws {
        let packet = Self.knownHeader + [UInt8](repeating: 0, count: 0x73 - 20)
        try packet.withByteView { v in
            let p = try IPv4Packet(parsing: v)
            #expect(p.source == IPv4Address(192, 168, 0, 1))
            #expect(p.destination == IPv4Address(192, 168, 0, 199))
            #expect(p.protocolNumber == IPProtocolNumber.udp)
            #expect(p.ttl == 64)
            #expect(p.payload.count == 0x73 - 20)
        }
    }

    @Test func writtenHeaderHasAValidChecksumAndFields() throws {
        let bytes = Self.sample()
        #expect(bytes[0] == 0x45)
        #expect(bytes.withByteView { InternetChecksum.of($0.slice(0, 20)!) } == 0)
        try bytes.withByteView { v in
            let p = try IPv4Packet(parsing: v)
            #expect(p.totalLength == 24)
            #expect(p.identification == 7)
            #expect(p.payload.toArray() == [1, 2, 3, 4])
        }
    }

    @Test func shorterThanTwentyBytesIsTruncated() {
        #expect(Self.error(Array(Self.sample().prefix(19))) == .truncated)
    }

    @Test func wrongVersionIsABadHeader() {
        var b = Self.sample()
        b[0] = 0x65
        #expect(Self.error(Self.fixed(b)) == .badHeader)
    }

    @Test func headerLengthUnderFiveIsABadHeader() {
        var b = Self.sample()
        b[0] = 0x44
        // The checksum cannot be fixed over a 16-byte "header", and must not be reached anyway.
        #expect(Self.error(b) == .badHeader)
    }

    @Test func totalLengthBeyondTheFrameIsTruncated() {
        var b = Self.sample()
        b[3] = UInt8(b.count + 1)
        #expect(Self.error(Self.fixed(b)) == .truncated)
    }

    @Test func totalLengthUnderTheHeaderLengthIsABadHeader() {
        var b = Self.sample()
        b[3] = 19
        #expect(Self.error(Self.fixed(b)) == .badHeader)
    }

    @Test func headerLongerThanThePacketIsTruncated() {
        var b = Self.sample()
        b[0] = 0x4F   // a 60-byte header (and total length) in a 24-byte packet
        b[3] = 60
        #expect(Self.error(b) == .truncated)
    }

    @Test func badChecksumIsRejected() {
        var b = Self.sample()
        b[11] ^= 0x01
        #expect(Self.error(b) == .badChecksum)
    }

    @Test func optionsAreSkipped() throws {
        // IHL 6: one 4-byte option (NOPs) between the fixed header and the payload.
        var b = Self.sample()
        b.insert(contentsOf: [1, 1, 1, 0], at: 20)
        b[0] = 0x46
        b[3] = UInt8(b.count)
        b = Self.fixed(b)
        try b.withByteView { v in
            let p = try IPv4Packet(parsing: v)
            #expect(p.headerLength == 24)
            #expect(p.payload.toArray() == [1, 2, 3, 4])
        }
    }

    @Test func linkPaddingAfterTheTotalLengthIsIgnored() throws {
        let b = Self.sample() + [0, 0, 0, 0, 0, 0]
        try b.withByteView { v in
            let p = try IPv4Packet(parsing: v)
            #expect(p.payload.count == 4)
            #expect(p.bytes.count == 24)
        }
    }

    @Test func fragmentsAreRejected() {
        var moreFragments = Self.sample()
        moreFragments[6] = 0x20
        #expect(Self.error(Self.fixed(moreFragments)) == .fragment)
        var offset = Self.sample()
        offset[7] = 0x01
        #expect(Self.error(Self.fixed(offset)) == .fragment)
        var dontFragment = Self.sample()
        dontFragment[6] = 0x40
        #expect(Self.error(Self.fixed(dontFragment)) == nil)
    }
}
