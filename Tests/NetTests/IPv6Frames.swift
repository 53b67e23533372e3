import Bytes
@testable import Net

/// Builders for IPv6 test frames, written with Net's own writers (tested against hand-made bytes in
/// IPv6PacketTests) and then, for malformed cases, corrupted.
enum V6 {
    static let ourLinkLocal = IPv6Address(prefix: .linkLocalPrefix, mac: Frames.ourMAC)
    static let peerLinkLocal = IPv6Address(prefix: .linkLocalPrefix, mac: Frames.peerMAC)
    static let routerLinkLocal = IPv6Address(parsing: "fe80::1")!
    static let routerMAC = MACAddress(0x02, 0, 0, 0, 0, 0x0F)
    static let prefix = IPv6Address(parsing: "fd00:100:200::")!
    static let ourGlobal = IPv6Address(prefix: prefix, mac: Frames.ourMAC)

    /// An IPv6 packet; `extensions` (whole extension headers, their own next-header bytes set by the
    /// caller) go between the header and the payload, and `firstNext` names the first of them.
    static func packet(source: IPv6Address, destination: IPv6Address, nextHeader: UInt8, hopLimit: UInt8 = 64,
                       payload: [UInt8], extensions: [UInt8] = [], firstNext: UInt8? = nil) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: IPv6Packet.headerLength)
        p.withMutableByteView { v in
            IPv6Packet.writeHeader(into: v, source: source, destination: destination, nextHeader: firstNext ?? nextHeader,
                                   payloadLength: extensions.count + payload.count, hopLimit: hopLimit)
        }
        return p + extensions + payload
    }

    /// An ICMPv6 message with its checksum for `source` -> `destination`.
    static func icmp(type: UInt8, code: UInt8 = 0, rest: [UInt8], source: IPv6Address, destination: IPv6Address) -> [UInt8] {
        var m = [type, code, 0, 0] + rest
        m.withMutableByteView { ICMPv6Message.finishChecksum($0, source: source, destination: destination) }
        return m
    }

    static func icmpPacket(type: UInt8, code: UInt8 = 0, rest: [UInt8], source: IPv6Address = peerLinkLocal,
                           destination: IPv6Address = ourLinkLocal, hopLimit: UInt8 = 255) -> [UInt8] {
        packet(source: source, destination: destination, nextHeader: IPv6Packet.NextHeader.icmpv6, hopLimit: hopLimit,
               payload: icmp(type: type, code: code, rest: rest, source: source, destination: destination))
    }

    static func frame(_ ip: [UInt8], to mac: MACAddress = Frames.ourMAC, from: MACAddress = Frames.peerMAC) -> [UInt8] {
        Frames.ethernet(to: mac, from: from, etherType: EtherType.ipv6, payload: ip)
    }

    static func bytes(_ a: IPv6Address) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 16)
        b.withMutableByteView { a.write(to: $0, at: 0) }
        return b
    }

    static func macOption(_ type: UInt8, _ mac: MACAddress) -> [UInt8] {
        var b: [UInt8] = [type, 1, 0, 0, 0, 0, 0, 0]
        b.withMutableByteView { mac.write(to: $0, at: 2) }
        return b
    }

    static func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// A router advertisement of `prefix`/64 (on-link, autonomous), from `source` with its MAC.
    static func routerAdvertisement(source: IPv6Address = routerLinkLocal, hopLimit: UInt8 = 255, code: UInt8 = 0,
                                    routerLifetime: UInt16 = 1800, prefix: IPv6Address = prefix, prefixLength: UInt8 = 64,
                                    valid: UInt32 = 86400, preferred: UInt32 = 14400, flags: UInt8 = 0xC0) -> [UInt8] {
        let prefixOption: [UInt8] = [NDP.Option.prefixInformation, 4, prefixLength, flags] + u32(valid) + u32(preferred)
            + [0, 0, 0, 0] + bytes(prefix)
        let rest: [UInt8] = [64, 0, UInt8(routerLifetime >> 8), UInt8(routerLifetime & 0xFF)] + u32(0) + u32(0)
            + macOption(NDP.Option.sourceLinkLayer, routerMAC) + prefixOption
        return frame(icmpPacket(type: ICMPv6Message.Kind.routerAdvertisement, code: code, rest: rest, source: source,
                                destination: .allNodes, hopLimit: hopLimit), to: IPv6Address.allNodes.multicastMAC, from: routerMAC)
    }

    /// A neighbour solicitation for `target` from `source` (with our peer's MAC unless unspecified).
    static func solicitation(target: IPv6Address, source: IPv6Address = peerLinkLocal, hopLimit: UInt8 = 255) -> [UInt8] {
        let destination = target.solicitedNode
        let option = source.isUnspecified ? [] : macOption(NDP.Option.sourceLinkLayer, Frames.peerMAC)
        return frame(icmpPacket(type: ICMPv6Message.Kind.neighbourSolicitation, rest: [0, 0, 0, 0] + bytes(target) + option,
                                source: source, destination: destination, hopLimit: hopLimit),
                     to: destination.multicastMAC)
    }

    static func advertisement(target: IPv6Address, flags: UInt8, mac: MACAddress = Frames.peerMAC,
                              destination: IPv6Address = ourLinkLocal) -> [UInt8] {
        frame(icmpPacket(type: ICMPv6Message.Kind.neighbourAdvertisement, rest: [flags, 0, 0, 0] + bytes(target)
                         + macOption(NDP.Option.targetLinkLayer, mac), source: target, destination: destination),
              to: destination.isMulticast ? destination.multicastMAC : Frames.ourMAC, from: mac)
    }

    static func echoRequest(to destination: IPv6Address, from source: IPv6Address = peerLinkLocal, data: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        frame(icmpPacket(type: ICMPv6Message.Kind.echoRequest, rest: [0xBE, 0xEF, 0, 5] + data, source: source,
                         destination: destination, hopLimit: 64))
    }
}

extension Decoded {
    /// The IPv6 packet's fields and upper-layer payload, if it parses.
    var ipv6: (source: IPv6Address, destination: IPv6Address, nextHeader: UInt8, hopLimit: UInt8, payload: [UInt8])? {
        guard etherType == EtherType.ipv6 else { return nil }
        return bytes.withByteView { v in
            guard let p = try? IPv6Packet(parsing: v.suffix(from: EthernetFrame.headerLength)!) else { return nil }
            return (p.source, p.destination, p.nextHeader, p.hopLimit, p.payload.toArray())
        }
    }

    /// The ICMPv6 type, if this is a well-formed ICMPv6 packet whose checksum verifies.
    var icmpv6Type: UInt8? {
        guard let p = ipv6, p.nextHeader == IPv6Packet.NextHeader.icmpv6 else { return nil }
        return p.payload.withByteView { v in (try? ICMPv6Message(parsing: v, source: p.source, destination: p.destination))?.type }
    }
}

extension StackFixture {
    /// Starts IPv6 and runs the clock until the link-local address has passed DAD (the router
    /// solicitations it then sends are dropped); returns every frame sent on the way.
    @discardableResult
    func startIPv6(manual: (IPv6Address, Int)? = nil, gateway: IPv6Address? = nil) -> [Decoded] {
        stack.startIPv6(manual: manual.map { (address: $0.0, prefixLength: $0.1) }, gateway: gateway, now: now, seed: 42)
        var sent = nic.takeSent().map { Decoded(bytes: $0) }
        for _ in 0..<30 { advance(.milliseconds(100)); sent += poll() }
        return sent
    }
}
