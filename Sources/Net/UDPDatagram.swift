import Bytes

/// A UDP datagram (RFC 768), read in place from an IPv4 or IPv6 payload.
public struct UDPDatagram {
    public static let headerLength = 8

    /// Header and data, exactly the UDP length field long (IP-level slack beyond it is ignored).
    public let view: ByteView
    public let payload: ByteView

    /// Parses `ipPayload`; a non-zero checksum must verify over the pseudo-header of the addresses'
    /// family. A zero checksum means the sender did not compute one: allowed over IPv4 and accepted,
    /// forbidden over IPv6 (RFC 8200 8.1) and refused as a bad checksum. `verifyChecksum` false: the
    /// NIC vouched for it.
    public init(parsing ipPayload: ByteView, source: IPAddress, destination: IPAddress,
                verifyChecksum: Bool = true) throws(PacketError) {
        guard ipPayload.count >= UDPDatagram.headerLength else { throw .truncated }
        let length = Int(ipPayload.u16(at: 4))
        guard length >= UDPDatagram.headerLength else { throw .badHeader }
        guard let view = ipPayload.slice(0, length),
              let payload = view.suffix(from: UDPDatagram.headerLength) else { throw .truncated }
        if view.u16(at: 6) == 0 {
            guard source.isIPv4 else { throw .badChecksum }
        } else if verifyChecksum {
            var sum = InternetChecksum.pseudoHeader(source: source, destination: destination,
                                                    protocolNumber: IPProtocolNumber.udp, length: length)
            sum.add(view)
            guard sum.verifies else { throw .badChecksum }
        }
        self.view = view
        self.payload = payload
    }

    public var sourcePort: UInt16 { view.u16(at: 0) }
    public var destinationPort: UInt16 { view.u16(at: 2) }
    public var checksum: UInt16 { view.u16(at: 6) }

    /// Writes header and `payload` into `view` (`headerLength + payload.count` long), always with a
    /// checksum: a computed zero is sent as 0xFFFF, since zero on the wire means "none".
    public static func write(into view: MutableByteView, source: Endpoint, destination: Endpoint, payload: ByteView) {
        writeUnchecksummed(into: view, sourcePort: source.port, destinationPort: destination.port, payload: payload)
        var sum = InternetChecksum.pseudoHeader(source: source.address, destination: destination.address,
                                                protocolNumber: IPProtocolNumber.udp, length: view.count)
        sum.add(view.readOnly)
        let value = sum.value
        view.setU16(value == 0 ? 0xFFFF : value, at: 6)
    }

    /// Writes header (checksum 0) and `payload`, for a sender that finishes the checksum once the
    /// source address is chosen (`IPv6Packet.finishChecksum`).
    public static func writeUnchecksummed(into view: MutableByteView, sourcePort: UInt16, destinationPort: UInt16,
                                          payload: ByteView) {
        view.setU16(sourcePort, at: 0)
        view.setU16(destinationPort, at: 2)
        view.setU16(UInt16(truncatingIfNeeded: headerLength + payload.count), at: 4)
        view.setU16(0, at: 6)
        view.copy(payload, to: headerLength)
    }
}
