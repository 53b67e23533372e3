import Bytes

/// Why an IPv6 packet was refused; the interface counts each reason.
public enum IPv6PacketError: Error, Equatable {
    /// Shorter than 40 bytes, than its payload length, or than an extension header claims.
    case truncated
    /// Version not 6, or a hop-by-hop options header anywhere but first.
    case badHeader
    /// A fragment header: dropped, never reassembled (as for IPv4).
    case fragment
    /// A jumbo payload option (RFC 2675): never needed on a 1500-byte link.
    case jumbogram
    /// A routing header of type 0 (deprecated by RFC 5095), or one with segments left: we are no router.
    case routingHeader
    /// More than `IPv6Packet.maxExtensionHeaders` extension headers.
    case tooManyExtensionHeaders
    /// An option whose type says "discard" (RFC 8200 4.2: its two high bits not 00); `pointer` is its
    /// offset in the packet and `action` those two bits, for the parameter problem message.
    case unknownOption(pointer: Int, action: UInt8)
}

/// An IPv6 packet (RFC 8200), validated and read in place, its extension headers walked.
///
/// Validation: at least 40 bytes, version 6, the payload length fits (link padding after it is
/// ignored). Then the extension headers, at most `maxExtensionHeaders` of them: hop-by-hop (first
/// only) and destination options are skipped option by option per the option type's high bits,
/// a routing header is refused when it is type 0 or still has segments left, a fragment header is
/// refused (no reassembly, as for IPv4), a jumbo payload option is refused, and so is a packet of
/// payload length 0 before a hop-by-hop header (a jumbogram's form). What remains is the
/// upper-layer payload with its protocol number (`nextHeader`; 59 "no next header" included).
public struct IPv6Packet {
    public static let headerLength = 40
    public static let version: UInt8 = 6
    /// Hop limit for packets we originate unless a router advertises another (RFC 8200's suggestion).
    public static let defaultHopLimit: UInt8 = 64
    /// Extension headers walked before the packet is refused (RFC 8200 allows any number; no legitimate
    /// packet to a host carries more than a few, and each costs a parse).
    public static let maxExtensionHeaders = 8

    public enum NextHeader {
        public static let hopByHop: UInt8 = 0
        public static let tcp: UInt8 = 6
        public static let udp: UInt8 = 17
        public static let routing: UInt8 = 43
        public static let fragment: UInt8 = 44
        public static let icmpv6: UInt8 = 58
        public static let noNextHeader: UInt8 = 59
        public static let destinationOptions: UInt8 = 60
    }

    /// The whole packet, header and payload, without link padding.
    public let bytes: ByteView
    /// The upper-layer payload, after every extension header.
    public let payload: ByteView
    /// The upper-layer protocol.
    public let nextHeader: UInt8
    /// Offset in `bytes` of the field that named `nextHeader` (a parameter problem's pointer).
    public let nextHeaderOffset: Int
    /// True when a hop-by-hop header carried a router alert (RFC 2711): MLD messages must.
    public let routerAlert: Bool

    public init(parsing view: ByteView) throws(IPv6PacketError) {
        guard view.count >= IPv6Packet.headerLength else { throw .truncated }
        guard view[0] >> 4 == IPv6Packet.version else { throw .badHeader }
        // A jumbogram (RFC 2675 3) says payload length 0 and carries its length in a hop-by-hop option;
        // no other packet can say 0 before a hop-by-hop header (8 bytes at least), so it is one, and
        // not merely "truncated" as the walk would find.
        guard view.u16(at: 4) != 0 || view[6] != NextHeader.hopByHop else { throw .jumbogram }
        guard let bytes = view.slice(0, IPv6Packet.headerLength + Int(view.u16(at: 4))) else { throw .truncated }
        var next = bytes[6]
        var fieldOffset = 6
        var offset = IPv6Packet.headerLength
        var headers = 0
        var alert = false
        walk: while true {
            switch next {
            case NextHeader.hopByHop, NextHeader.destinationOptions, NextHeader.routing:
                guard next != NextHeader.hopByHop || offset == IPv6Packet.headerLength else { throw .badHeader }
                guard headers < IPv6Packet.maxExtensionHeaders else { throw .tooManyExtensionHeaders }
                guard offset + 8 <= bytes.count else { throw .truncated }
                let length = (Int(bytes[offset + 1]) + 1) * 8
                guard offset + length <= bytes.count else { throw .truncated }
                if next == NextHeader.routing {
                    // Type 0 is refused whatever its segments left (RFC 5095); other types are
                    // ignored only when finished (RFC 8200 4.4), since we forward nothing.
                    guard bytes[offset + 2] != 0, bytes[offset + 3] == 0 else { throw .routingHeader }
                } else if try IPv6Packet.walkOptions(bytes, from: offset + 2, to: offset + length) {
                    alert = alert || next == NextHeader.hopByHop
                }
                headers += 1
                fieldOffset = offset
                next = bytes[offset]
                offset += length
            case NextHeader.fragment:
                throw .fragment
            default:
                break walk
            }
        }
        guard let payload = bytes.suffix(from: offset) else { throw .truncated }
        self.bytes = bytes
        self.payload = payload
        nextHeader = next
        nextHeaderOffset = fieldOffset
        routerAlert = alert
    }

    /// Walks the type-length-value options in `view[start..<end]`; true when a router alert was seen.
    private static func walkOptions(_ view: ByteView, from start: Int, to end: Int) throws(IPv6PacketError) -> Bool {
        var i = start
        var alert = false
        while i < end {
            let type = view[i]
            if type == 0 { i += 1; continue }           // Pad1
            guard i + 2 <= end, i + 2 + Int(view[i + 1]) <= end else { throw .truncated }
            switch type {
            case 1: break                               // PadN
            case 5: alert = true                        // router alert (RFC 2711)
            case 0xC2: throw .jumbogram                 // jumbo payload (RFC 2675)
            default:
                guard type >> 6 == 0 else { throw .unknownOption(pointer: i, action: type >> 6) }
            }
            i += 2 + Int(view[i + 1])
        }
        return alert
    }

    public var payloadLength: Int { bytes.count - IPv6Packet.headerLength }
    public var hopLimit: UInt8 { bytes[7] }
    public var source: IPv6Address { IPv6Address(reading: bytes, at: 8) }
    public var destination: IPv6Address { IPv6Address(reading: bytes, at: 24) }

    /// Writes the 40-byte header (traffic class and flow label zero) at the start of `view`; with
    /// `routerAlert` an 8-byte hop-by-hop header with a router alert follows it (for MLD), counted in
    /// `payloadLength` by the caller.
    public static func writeHeader(into view: MutableByteView, source: IPv6Address, destination: IPv6Address,
                                   nextHeader: UInt8, payloadLength: Int, hopLimit: UInt8, routerAlert: Bool = false) {
        view.setU32(UInt32(version) << 28, at: 0)
        view.setU16(UInt16(truncatingIfNeeded: payloadLength), at: 4)
        view[6] = routerAlert ? NextHeader.hopByHop : nextHeader
        view[7] = hopLimit
        source.write(to: view, at: 8)
        destination.write(to: view, at: 24)
        if routerAlert {
            // next header, length 0 (8 bytes), router alert (type 5, 2 bytes, value 0: MLD), PadN of 2
            view[40] = nextHeader; view[41] = 0
            view[42] = 5; view[43] = 2; view.setU16(0, at: 44)
            view[46] = 1; view[47] = 0
        }
    }

    /// Length of the hop-by-hop header `writeHeader` adds for a router alert.
    public static let routerAlertLength = 8

    /// The checksum of the IPv6 pseudo-header (RFC 8200 8.1) to start an upper-layer checksum (ICMPv6,
    /// and TCP and UDP over IPv6): both addresses, the upper-layer length, the next header.
    public static func pseudoHeaderChecksum(source: IPv6Address, destination: IPv6Address,
                                            nextHeader: UInt8, length: Int) -> InternetChecksum {
        InternetChecksum.pseudoHeader(source: IPAddress(source), destination: IPAddress(destination),
                                      protocolNumber: nextHeader, length: length)
    }

    /// Writes the checksum of an upper-layer message whose other bytes are in place: ICMPv6's at byte 2,
    /// UDP's at byte 6. A computed zero goes out as 0xFFFF, the same sum in one's complement, since a
    /// zero UDP checksum means "none".
    public static func finishChecksum(_ view: MutableByteView, nextHeader: UInt8, source: IPv6Address,
                                      destination: IPv6Address) {
        let offset = nextHeader == IPProtocolNumber.udp ? 6 : 2
        view.setU16(0, at: offset)
        var sum = pseudoHeaderChecksum(source: source, destination: destination, nextHeader: nextHeader, length: view.count)
        sum.add(view.readOnly)
        let value = sum.value
        view.setU16(value == 0 ? 0xFFFF : value, at: offset)
    }
}
