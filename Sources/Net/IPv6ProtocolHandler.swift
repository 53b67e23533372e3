import Bytes

/// An upper layer over IPv6 that Net does not own (TCP; ICMPv6 and UDP are Net's), plugged in by next
/// header with `Interface.registerIPv6`. Net hands it validated upper-layer payloads (every extension
/// header walked) addressed to one of our usable unicast addresses; the handler verifies its checksum
/// (`IPv6Packet.pseudoHeaderChecksum`) unless `checksumVouched`, and sends with `Interface.sendIPv6`.
public protocol IPv6ProtocolHandler: AnyObject {
    func receive(source: IPv6Address, destination: IPv6Address, payload: ByteView, checksumVouched: Bool, now: Instant)
    func packetTooBig(mtu: Int, source: IPv6Address, destination: IPv6Address, quoted: ByteView, now: Instant)
}

extension IPv6ProtocolHandler {
    /// An ICMPv6 packet too big (RFC 4443 3.2) quoting a packet this layer sent from `source` (ours)
    /// to `destination`: `quoted` is what the router kept of its upper-layer header and data, `mtu` the
    /// MTU it reported. The handler checks the quote against its own state (RFC 5927) before believing
    /// it. By default ignored.
    public func packetTooBig(mtu: Int, source: IPv6Address, destination: IPv6Address, quoted: ByteView, now: Instant) {}
}
