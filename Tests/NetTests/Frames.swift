import Bytes
@testable import Net

/// Builders and readers for test frames. Well-formed frames come from Net's own writers (tested
/// separately against hand-computed bytes); malformed ones are well-formed frames then corrupted.
enum Frames {
    static let peerMAC = MACAddress(0x02, 0, 0, 0, 0, 0x02)
    static let ourMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01)

    static func ethernet(to destination: MACAddress, from source: MACAddress, etherType: UInt16,
                         payload: [UInt8]) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: EthernetFrame.headerLength + payload.count)
        frame.withMutableByteView { f in
            EthernetFrame.writeHeader(into: f, destination: destination, source: source, etherType: etherType,
                                      payloadLength: payload.count)
            f.copy(payload, to: EthernetFrame.headerLength)
        }
        return frame
    }

    static func arp(_ packet: ARPPacket, to destination: MACAddress = .broadcast) -> [UInt8] {
        var body = [UInt8](repeating: 0, count: ARPPacket.length)
        body.withMutableByteView { packet.write(into: $0) }
        return ethernet(to: destination, from: packet.senderMAC, etherType: EtherType.arp, payload: body)
    }

    static func ipv4(source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, payload: [UInt8],
                     identification: UInt16 = 7) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: IPv4Packet.minimumHeaderLength + payload.count)
        packet.withMutableByteView { p in
            IPv4Packet.writeHeader(into: p, source: source, destination: destination, protocolNumber: protocolNumber,
                                   payloadLength: payload.count, identification: identification)
            p.copy(payload, to: IPv4Packet.minimumHeaderLength)
        }
        return packet
    }

    static func udp(source: Endpoint, destination: Endpoint, payload: [UInt8]) -> [UInt8] {
        var datagram = [UInt8](repeating: 0, count: UDPDatagram.headerLength + payload.count)
        datagram.withMutableByteView { d in
            payload.withByteView { UDPDatagram.write(into: d, source: source, destination: destination, payload: $0) }
        }
        return datagram
    }

    static func echoRequest(identifier: UInt16, sequence: UInt16, data: [UInt8]) -> [UInt8] {
        var message = [UInt8](repeating: 0, count: ICMPMessage.headerLength + data.count)
        message.withMutableByteView { m in
            data.withByteView { ICMPMessage.writeEchoRequest(into: m, identifier: identifier, sequence: sequence, data: $0) }
        }
        return message
    }

    /// A full Ethernet frame carrying an IPv4 packet from the peer to us.
    static func ipFrame(_ ipPacket: [UInt8], to destination: MACAddress = ourMAC) -> [UInt8] {
        ethernet(to: destination, from: peerMAC, etherType: EtherType.ipv4, payload: ipPacket)
    }

    /// Recomputes the IPv4 header checksum after a test corrupted a field (header at `offset`).
    static func fixIPv4Checksum(_ frame: inout [UInt8], at offset: Int = EthernetFrame.headerLength) {
        let headerLength = Int(frame[offset] & 0x0F) * 4
        frame[offset + 10] = 0
        frame[offset + 11] = 0
        let sum = Array(frame[offset..<(offset + headerLength)]).withByteView { InternetChecksum.of($0) }
        frame[offset + 10] = UInt8(sum >> 8)
        frame[offset + 11] = UInt8(sum & 0xFF)
    }
}

/// A sent frame, decoded with Net's parsers for assertions.
struct Decoded {
    let bytes: [UInt8]

    var destinationMAC: MACAddress { bytes.withByteView { MACAddress(reading: $0, at: 0) } }
    var etherType: UInt16 { bytes.withByteView { $0.u16(at: 12) } }

    var arp: ARPPacket? {
        guard etherType == EtherType.arp else { return nil }
        return bytes.withByteView { v in try? ARPPacket(parsing: v.suffix(from: EthernetFrame.headerLength)!) }
    }

    /// The IPv4 packet's header fields and payload, if it parses.
    var ipv4: (source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, payload: [UInt8])? {
        guard etherType == EtherType.ipv4 else { return nil }
        return bytes.withByteView { v in
            guard let p = try? IPv4Packet(parsing: v.suffix(from: EthernetFrame.headerLength)!) else { return nil }
            return (p.source, p.destination, p.protocolNumber, p.payload.toArray())
        }
    }
}
