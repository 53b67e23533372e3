import Bytes

/// An IPv4 packet (RFC 791), validated and read in place.
///
/// Validation, in order: at least 20 bytes; version 4; IHL >= 5; the header and the total length fit in
/// the frame (Ethernet padding beyond the total length is ignored); total length >= header length; the
/// header checksum verifies. Options are skipped, not interpreted.
///
/// Fragments are dropped, not reassembled: a packet with More Fragments set or a non-zero fragment
/// offset fails with `.fragment`. Reassembly would need buffer memory an attacker can fill and a
/// timeout to reclaim it; the appliance's own traffic (TCP with MSS, small UDP, ICMP up to the MTU)
/// never needs it, so the stack keeps no reassembly state at all. Peers that fragment are counted.
public struct IPv4Packet {
    public static let minimumHeaderLength = 20
    /// The total length field's limit.
    public static let maximumLength = 65535
    public static let version: UInt8 = 4
    /// TTL for packets we originate (the usual host default).
    public static let defaultTTL: UInt8 = 64

    /// The whole datagram, header and payload, without any link padding after it.
    public let bytes: ByteView
    /// The header, options included (IHL * 4 bytes).
    public let header: ByteView
    /// The payload, exactly `totalLength - headerLength` bytes.
    public let payload: ByteView

    public init(parsing view: ByteView) throws(PacketError) {
        guard view.count >= IPv4Packet.minimumHeaderLength else { throw .truncated }
        guard view[0] >> 4 == IPv4Packet.version else { throw .badHeader }
        let headerLength = Int(view[0] & 0x0F) * 4
        guard headerLength >= IPv4Packet.minimumHeaderLength else { throw .badHeader }
        let totalLength = Int(view.u16(at: 2))
        guard totalLength >= headerLength else { throw .badHeader }
        guard let bytes = view.slice(0, totalLength), let header = view.slice(0, headerLength),
              let payload = view.slice(headerLength, totalLength - headerLength) else { throw .truncated }
        guard InternetChecksum.of(header) == 0 else { throw .badChecksum }
        let flagsAndOffset = view.u16(at: 6)
        let moreFragments = flagsAndOffset & 0x2000 != 0
        let fragmentOffset = flagsAndOffset & 0x1FFF
        guard !moreFragments, fragmentOffset == 0 else { throw .fragment }
        self.bytes = bytes
        self.header = header
        self.payload = payload
    }

    public var headerLength: Int { header.count }
    public var totalLength: Int { header.count + payload.count }
    public var identification: UInt16 { header.u16(at: 4) }
    public var ttl: UInt8 { header[8] }
    public var protocolNumber: UInt8 { header[9] }
    public var source: IPv4Address { IPv4Address(header.u32(at: 12)) }
    public var destination: IPv4Address { IPv4Address(header.u32(at: 16)) }

    /// Writes a 20-byte header (no options, DF clear: we never fragment, and letting routers fragment our
    /// largest ICMP replies beats having them dropped) with its checksum at the start of `view`.
    public static func writeHeader(into view: MutableByteView, source: IPv4Address, destination: IPv4Address,
                                   protocolNumber: UInt8, payloadLength: Int, identification: UInt16,
                                   ttl: UInt8 = defaultTTL) {
        view[0] = version << 4 | UInt8(minimumHeaderLength / 4)
        view[1] = 0
        view.setU16(UInt16(truncatingIfNeeded: minimumHeaderLength + payloadLength), at: 2)
        view.setU16(identification, at: 4)
        view.setU16(0, at: 6)
        view[8] = ttl
        view[9] = protocolNumber
        view.setU16(0, at: 10)
        view.setU32(source.value, at: 12)
        view.setU32(destination.value, at: 16)
        if let header = view.slice(0, minimumHeaderLength) {
            view.setU16(InternetChecksum.of(header.readOnly), at: 10)
        }
    }

    /// The checksum of the TCP/UDP pseudo-header (RFC 768, RFC 793), to start an upper-layer checksum.
    public static func pseudoHeaderChecksum(source: IPv4Address, destination: IPv4Address,
                                            protocolNumber: UInt8, length: Int) -> InternetChecksum {
        var sum = InternetChecksum()
        sum.add(u32: source.value)
        sum.add(u32: destination.value)
        sum.add(u16: UInt16(protocolNumber))
        sum.add(u16: UInt16(truncatingIfNeeded: length))
        return sum
    }
}
