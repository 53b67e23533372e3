import Bytes

/// An ICMPv6 message (RFC 4443), read in place with its checksum verified over the IPv6 pseudo-header,
/// and the messages we write: echo replies, errors, and neighbour discovery's (RFC 4861) and MLDv2's
/// (RFC 3810) own.
public struct ICMPv6Message {
    /// Type, code, checksum, and the first four type-specific bytes.
    public static let headerLength = 8

    public enum Kind {
        public static let destinationUnreachable: UInt8 = 1
        public static let packetTooBig: UInt8 = 2
        public static let timeExceeded: UInt8 = 3
        public static let parameterProblem: UInt8 = 4
        public static let echoRequest: UInt8 = 128
        public static let echoReply: UInt8 = 129
        public static let mldQuery: UInt8 = 130
        public static let routerSolicitation: UInt8 = 133
        public static let routerAdvertisement: UInt8 = 134
        public static let neighbourSolicitation: UInt8 = 135
        public static let neighbourAdvertisement: UInt8 = 136
        public static let mldv2Report: UInt8 = 143
    }

    /// Destination unreachable codes (RFC 4443 3.1): UDP's closed port is the only one we send.
    public enum UnreachableCode {
        public static let portUnreachable: UInt8 = 4
    }

    /// Parameter problem codes (RFC 4443 3.4).
    public enum ProblemCode {
        public static let unrecognizedNextHeader: UInt8 = 1
        public static let unrecognizedOption: UInt8 = 2
    }

    public let view: ByteView

    public init(parsing view: ByteView, source: IPv6Address, destination: IPv6Address) throws(PacketError) {
        guard view.count >= ICMPv6Message.headerLength else { throw .truncated }
        var sum = IPv6Packet.pseudoHeaderChecksum(source: source, destination: destination,
                                                  nextHeader: IPv6Packet.NextHeader.icmpv6, length: view.count)
        sum.add(view)
        guard sum.verifies else { throw .badChecksum }
        self.view = view
    }

    public var type: UInt8 { view[0] }
    public var code: UInt8 { view[1] }

    /// Writes the checksum of a message whose other bytes are in place.
    public static func finishChecksum(_ view: MutableByteView, source: IPv6Address, destination: IPv6Address) {
        IPv6Packet.finishChecksum(view, nextHeader: IPv6Packet.NextHeader.icmpv6, source: source, destination: destination)
    }

    /// The start of an error message (RFC 4443 2.4): `quoted` is as much of the offending packet as
    /// fits; `parameter` is the pointer of a parameter problem (0 otherwise).
    public static func writeError(into view: MutableByteView, type: UInt8, code: UInt8, parameter: UInt32,
                                  quoting quoted: ByteView) {
        view[0] = type
        view[1] = code
        view.setU32(parameter, at: 4)
        view.copy(quoted, to: headerLength)
    }
}

/// Neighbour discovery messages (RFC 4861 4): their fixed parts and options.
public enum NDP {
    /// Neighbour solicitation and advertisement: 4 bytes reserved or flags, the 16-byte target.
    public static let targetMessageLength = 24
    public static let routerSolicitationLength = 8
    public static let routerAdvertisementLength = 16
    /// A link-layer address option for Ethernet: type, length 1 (8 bytes), six address bytes.
    public static let linkLayerOptionLength = 8
    /// RFC 4861's hop limit on every ND message: 255 proves it was not forwarded.
    public static let hopLimit: UInt8 = 255

    public enum Option {
        public static let sourceLinkLayer: UInt8 = 1
        public static let targetLinkLayer: UInt8 = 2
        public static let prefixInformation: UInt8 = 3
    }

    /// Neighbour advertisement flags.
    public static let routerFlag: UInt8 = 0x80
    public static let solicitedFlag: UInt8 = 0x40
    public static let overrideFlag: UInt8 = 0x20

    /// Checks that the options from `offset` on are whole and none has length zero (RFC 4861 6.1,
    /// 7.1: such a message is silently discarded), and calls `body` with each option's type and bytes.
    public static func forEachOption(in view: ByteView, from offset: Int,
                                     _ body: (UInt8, ByteView) -> Void) throws(PacketError) {
        var i = offset
        while i < view.count {
            guard i + 2 <= view.count else { throw .truncated }
            let length = Int(view[i + 1]) * 8
            guard length > 0 else { throw .badHeader }
            guard let option = view.slice(i, length) else { throw .truncated }
            body(view[i], option)
            i += length
        }
    }

    /// Checks every option from `offset` on (as `forEachOption`) and returns the address the last
    /// link-layer address option of `type` carries, if any: one copy of the walk for NS, NA and RA.
    @inline(never)
    public static func linkLayerOption(_ type: UInt8, in view: ByteView, from offset: Int) throws(PacketError) -> MACAddress? {
        var mac: MACAddress? = nil
        try forEachOption(in: view, from: offset) { t, option in
            if t == type { mac = linkLayerAddress(option) }
        }
        return mac
    }

    /// The Ethernet address of a source or target link-layer address option, if it has one.
    public static func linkLayerAddress(_ option: ByteView) -> MACAddress? {
        option.count >= linkLayerOptionLength ? MACAddress(reading: option, at: 2) : nil
    }

    /// Writes a solicitation or advertisement for `target`: `flags` (0 for a solicitation), then a
    /// link-layer address option of `optionType` carrying `mac`, when there is one.
    public static func writeTargetMessage(into view: MutableByteView, type: UInt8, flags: UInt8, target: IPv6Address,
                                          optionType: UInt8, mac: MACAddress?) {
        view[0] = type
        view[1] = 0
        view.setU32(UInt32(flags) << 24, at: 4)
        target.write(to: view, at: 8)
        if let mac { writeLinkLayerOption(into: view, at: targetMessageLength, type: optionType, mac: mac) }
    }

    /// A router solicitation, with our address option when we send from an address (RFC 4861 4.1).
    public static func writeRouterSolicitation(into view: MutableByteView, mac: MACAddress?) {
        view[0] = ICMPv6Message.Kind.routerSolicitation
        view[1] = 0
        view.setU32(0, at: 4)
        if let mac { writeLinkLayerOption(into: view, at: routerSolicitationLength, type: Option.sourceLinkLayer, mac: mac) }
    }

    static func writeLinkLayerOption(into view: MutableByteView, at offset: Int, type: UInt8, mac: MACAddress) {
        view[offset] = type
        view[offset + 1] = 1
        mac.write(to: view, at: offset + 2)
    }
}

/// A prefix information option (RFC 4861 4.6.2), read in place (the caller checked its 32 bytes).
public struct PrefixInformation {
    public static let length = 32
    public let prefix: IPv6Address
    public let prefixLength: Int
    public let onLink: Bool
    public let autonomous: Bool
    /// Seconds; 0xFFFFFFFF is infinity.
    public let validLifetime: UInt32
    public let preferredLifetime: UInt32

    public init?(_ option: ByteView) {
        guard option.count >= PrefixInformation.length else { return nil }
        prefixLength = Int(option[2])
        onLink = option[3] & 0x80 != 0
        autonomous = option[3] & 0x40 != 0
        validLifetime = option.u32(at: 4)
        preferredLifetime = option.u32(at: 8)
        prefix = IPv6Address(reading: option, at: 16)
    }
}

/// MLDv2 (RFC 3810): the report we send for the groups we listen to.
public enum MLDv2 {
    /// Report header: type, reserved, checksum, reserved, number of records.
    public static let reportHeaderLength = 8
    /// A record without sources: type, aux length, source count, the group.
    public static let recordLength = 20
    /// "I listen to every source of this group" (MODE_IS_EXCLUDE with no sources), the answer to a
    /// query, and CHANGE_TO_EXCLUDE_MODE, the state change of a join (RFC 3810 5.2.12).
    public static let modeIsExclude: UInt8 = 2
    public static let changeToExclude: UInt8 = 4

    public static func writeReport(into view: MutableByteView, groups: [IPv6Address], recordType: UInt8) {
        view[0] = ICMPv6Message.Kind.mldv2Report
        view[1] = 0
        view.setU16(0, at: 4)
        view.setU16(UInt16(truncatingIfNeeded: groups.count), at: 6)
        var offset = reportHeaderLength
        for group in groups {
            view[offset] = recordType
            view[offset + 1] = 0
            view.setU16(0, at: offset + 2)
            group.write(to: view, at: offset + 4)
            offset += recordLength
        }
    }
}
