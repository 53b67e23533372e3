import Bytes

/// An Ethernet II frame, read in place: destination, source, EtherType, payload (no FCS: NICs strip it).
/// 802.1Q tags are not understood; a tagged frame shows up as an unknown EtherType.
public struct EthernetFrame {
    public static let headerLength = 14
    /// The smallest frame on the wire without FCS. Shorter transmits are zero-padded here rather than
    /// by the device, so stale buffer contents never leak onto the wire (the "Etherleak" class of bug).
    public static let minimumLength = 60

    public let view: ByteView
    /// Everything after the header, including any padding the sender added.
    public let payload: ByteView

    public init(parsing view: ByteView) throws(PacketError) {
        guard let payload = view.suffix(from: EthernetFrame.headerLength) else { throw .truncated }
        self.view = view
        self.payload = payload
    }

    public var destination: MACAddress { MACAddress(reading: view, at: 0) }
    public var source: MACAddress { MACAddress(reading: view, at: 6) }
    public var etherType: UInt16 { view.u16(at: 12) }

    /// Frame length for `payloadLength` bytes of payload, padded up to the minimum.
    public static func length(payloadLength: Int) -> Int {
        max(headerLength + payloadLength, minimumLength)
    }

    /// Writes the header and zeroes any padding after `payloadLength` payload bytes. `frame` must be
    /// `length(payloadLength:)` long.
    public static func writeHeader(into frame: MutableByteView, destination: MACAddress, source: MACAddress,
                                   etherType: UInt16, payloadLength: Int) {
        destination.write(to: frame, at: 0)
        source.write(to: frame, at: 6)
        frame.setU16(etherType, at: 12)
        let used = headerLength + payloadLength
        if frame.count > used { frame.fill(0, from: used, count: frame.count - used) }
    }
}
