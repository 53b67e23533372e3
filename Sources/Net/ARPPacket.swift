import Bytes

/// An ARP packet for IPv4 over Ethernet (RFC 826), the only kind this stack speaks. It is 28 bytes of
/// fields, so it is read into a value and written back from one.
public struct ARPPacket: Equatable {
    public static let length = 28

    public enum Operation: UInt16 {
        case request = 1
        case reply = 2
    }

    public var operation: Operation
    public var senderMAC: MACAddress
    public var senderIP: IPv4Address
    public var targetMAC: MACAddress
    public var targetIP: IPv4Address

    public init(operation: Operation, senderMAC: MACAddress, senderIP: IPv4Address,
                targetMAC: MACAddress, targetIP: IPv4Address) {
        self.operation = operation
        self.senderMAC = senderMAC; self.senderIP = senderIP
        self.targetMAC = targetMAC; self.targetIP = targetIP
    }

    /// Parses an Ethernet payload (trailing padding ignored).
    public init(parsing view: ByteView) throws(PacketError) {
        guard view.count >= ARPPacket.length else { throw .truncated }
        // Hardware type Ethernet, protocol IPv4, address lengths 6 and 4.
        guard view.u16(at: 0) == 1, view.u16(at: 2) == EtherType.ipv4, view[4] == 6, view[5] == 4,
              let operation = Operation(rawValue: view.u16(at: 6)) else { throw .unsupported }
        self.operation = operation
        senderMAC = MACAddress(reading: view, at: 8)
        senderIP = IPv4Address(view.u32(at: 14))
        targetMAC = MACAddress(reading: view, at: 18)
        targetIP = IPv4Address(view.u32(at: 24))
    }

    /// Writes the 28 bytes at the start of `view`.
    public func write(into view: MutableByteView) {
        view.setU16(1, at: 0)
        view.setU16(EtherType.ipv4, at: 2)
        view[4] = 6
        view[5] = 4
        view.setU16(operation.rawValue, at: 6)
        senderMAC.write(to: view, at: 8)
        view.setU32(senderIP.value, at: 14)
        targetMAC.write(to: view, at: 18)
        view.setU32(targetIP.value, at: 24)
    }
}
