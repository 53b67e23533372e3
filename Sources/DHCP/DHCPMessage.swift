import Bytes

/// A server's reply, decoded from the UDP payload it arrived in (from port 67). Only what a client
/// needs is kept; the view it was read from may be reused by the driver after `decode` returns.
public struct DHCPMessage: Equatable {
    public var transactionID: UInt32
    public var clientAddress: IPv4Address      // ciaddr
    public var yourAddress: IPv4Address        // yiaddr
    public var serverAddress: IPv4Address      // siaddr
    public var relayAddress: IPv4Address       // giaddr
    public var clientHardwareAddress: MACAddress
    public var options: DHCPOptions

    /// Decodes a BOOTREPLY carrying DHCP options. Every length is checked before a field is read, so
    /// any byte sequence gives either a message or a typed error.
    public static func decode(_ payload: ByteView) throws(DHCPMessageError) -> DHCPMessage {
        guard payload.count >= DHCPWire.options else { throw .truncated(length: payload.count) }
        guard payload[DHCPWire.op] == DHCPWire.bootReply else { throw .notAReply }
        guard payload[DHCPWire.htype] == DHCPWire.ethernetHardwareType,
              payload[DHCPWire.hlen] == DHCPWire.ethernetAddressLength else { throw .unsupportedHardware }
        guard payload.u32(at: DHCPWire.cookie) == DHCPWire.magicCookie else { throw .badMagicCookie }

        var collector = DHCPOptionCollector()
        // The length check above guarantees these slices exist.
        try collector.walk(payload.suffix(from: DHCPWire.options)!, endRequired: true)
        // RFC 3396 §5 order: options field, then `file`, then `sname`.
        let overload = try collector.overload()
        if overload & 1 != 0 {
            try collector.walk(payload.slice(DHCPWire.file, DHCPWire.fileLength)!, endRequired: false)
        }
        if overload & 2 != 0 {
            try collector.walk(payload.slice(DHCPWire.sname, DHCPWire.snameLength)!, endRequired: false)
        }
        // An overload option inside the overloaded fields would be concatenated to the first one and
        // fail its one-byte length here.
        _ = try collector.overload()

        return DHCPMessage(
            transactionID: payload.u32(at: DHCPWire.xid),
            clientAddress: IPv4Address(payload.u32(at: DHCPWire.ciaddr)),
            yourAddress: IPv4Address(payload.u32(at: DHCPWire.yiaddr)),
            serverAddress: IPv4Address(payload.u32(at: DHCPWire.siaddr)),
            relayAddress: IPv4Address(payload.u32(at: DHCPWire.giaddr)),
            clientHardwareAddress: MACAddress(reading: payload, at: DHCPWire.chaddr),
            options: try collector.decode())
    }
}
