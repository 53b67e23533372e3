import Bytes

/// A message the client sends (DISCOVER, REQUEST, DECLINE, RELEASE), with exactly the fields and
/// options RFC 2131 table 5 allows for its type and state; `encoded()` lays it out on the wire.
struct DHCPClientMessage {
    var type: DHCPMessageType
    var transactionID: UInt32
    var secondsElapsed: UInt16
    var broadcastReply: Bool
    var clientAddress: IPv4Address = .any       // ciaddr: set only when the client owns the address
    var hardwareAddress: MACAddress
    var requestedAddress: IPv4Address? = nil
    var serverIdentifier: IPv4Address? = nil
    /// Empty when not sent (DECLINE and RELEASE carry no host name).
    var hostName: [UInt8] = []
    /// Empty when not sent.
    var parameterRequestList: [UInt8] = []

    /// Option 61, hardware type 1 and the MAC: the same in every message, so the server keys the
    /// lease by it consistently (RFC 2131 §4.2).
    private var clientIdentifier: [UInt8] {
        var id: [UInt8] = [DHCPWire.ethernetHardwareType]
        for i in 0..<6 { id.append(UInt8(truncatingIfNeeded: hardwareAddress.value >> UInt64(40 - 8 * i))) }
        return id
    }

    func encoded() -> [UInt8] {
        var options: [UInt8] = [DHCPOptionCode.messageType, 1, type.rawValue]
        func append(_ code: UInt8, _ value: [UInt8]) {
            options.append(code)
            options.append(UInt8(value.count))
            options.append(contentsOf: value)
        }
        func address(_ a: IPv4Address) -> [UInt8] {
            let o = a.octets
            return [o.0, o.1, o.2, o.3]
        }
        append(DHCPOptionCode.clientIdentifier, clientIdentifier)
        if let requested = requestedAddress { append(DHCPOptionCode.requestedAddress, address(requested)) }
        if let server = serverIdentifier { append(DHCPOptionCode.serverIdentifier, address(server)) }
        if !hostName.isEmpty { append(DHCPOptionCode.hostName, hostName) }
        if !parameterRequestList.isEmpty { append(DHCPOptionCode.parameterRequestList, parameterRequestList) }
        options.append(DHCPOptionCode.end)

        var bytes = [UInt8](repeating: 0, count: max(DHCPWire.options + options.count, DHCPWire.minimumMessageLength))
        bytes.withMutableByteView { out in
            out[DHCPWire.op] = DHCPWire.bootRequest
            out[DHCPWire.htype] = DHCPWire.ethernetHardwareType
            out[DHCPWire.hlen] = DHCPWire.ethernetAddressLength
            out.setU32(transactionID, at: DHCPWire.xid)
            out.setU16(secondsElapsed, at: DHCPWire.secs)
            out.setU16(broadcastReply ? DHCPWire.broadcastFlag : 0, at: DHCPWire.flags)
            out.setU32(clientAddress.value, at: DHCPWire.ciaddr)
            hardwareAddress.write(to: out, at: DHCPWire.chaddr)
            out.setU32(DHCPWire.magicCookie, at: DHCPWire.cookie)
            out.copy(options, to: DHCPWire.options)
        }
        return bytes
    }
}
