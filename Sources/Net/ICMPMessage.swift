import Bytes

/// An ICMP message (RFC 792), read in place with its checksum verified, and the few kinds we write.
public struct ICMPMessage {
    public static let headerLength = 8

    public enum Kind {
        public static let echoReply: UInt8 = 0
        public static let destinationUnreachable: UInt8 = 3
        public static let echoRequest: UInt8 = 8
    }

    public enum UnreachableCode {
        public static let protocolUnreachable: UInt8 = 2
        public static let portUnreachable: UInt8 = 3
    }

    /// The whole message: type, code, checksum, the 4 type-specific bytes, then the body.
    public let view: ByteView
    /// What follows the 8-byte header: echo data, or the quoted datagram of an error.
    public let body: ByteView

    public init(parsing view: ByteView) throws(PacketError) {
        guard let body = view.suffix(from: ICMPMessage.headerLength) else { throw .truncated }
        guard InternetChecksum.of(view) == 0 else { throw .badChecksum }
        self.view = view
        self.body = body
    }

    public var type: UInt8 { view[0] }
    public var code: UInt8 { view[1] }
    /// Echo identifier and sequence number (meaningful for echo request and reply).
    public var identifier: UInt16 { view.u16(at: 4) }
    public var sequence: UInt16 { view.u16(at: 6) }

    /// Writes the reply to `request` into `view` (same length as the request): the identifier, sequence
    /// and data are echoed back unchanged, as RFC 792 requires.
    public static func writeEchoReply(into view: MutableByteView, answering request: ICMPMessage) {
        view.copy(request.view, to: 0)
        view[0] = Kind.echoReply
        view[1] = 0
        finishChecksum(view)
    }

    /// Writes an echo request; `view` is `headerLength + data.count` long.
    public static func writeEchoRequest(into view: MutableByteView, identifier: UInt16, sequence: UInt16,
                                        data: ByteView) {
        view[0] = Kind.echoRequest
        view[1] = 0
        view.setU16(identifier, at: 4)
        view.setU16(sequence, at: 6)
        view.copy(data, to: headerLength)
        finishChecksum(view)
    }

    /// Writes a destination unreachable message quoting the start of the offending datagram; `view` is
    /// `headerLength + quoted.count` long.
    public static func writeDestinationUnreachable(into view: MutableByteView, code: UInt8, quoting quoted: ByteView) {
        view[0] = Kind.destinationUnreachable
        view[1] = code
        view.setU32(0, at: 4)     // unused (no next-hop MTU: we never send "fragmentation needed")
        view.copy(quoted, to: headerLength)
        finishChecksum(view)
    }

    private static func finishChecksum(_ view: MutableByteView) {
        view.setU16(0, at: 2)
        view.setU16(InternetChecksum.of(view.readOnly), at: 2)
    }
}
