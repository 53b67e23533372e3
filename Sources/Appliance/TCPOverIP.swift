import Bytes
import Net
import TCP

/// Joins the two independent layers: the interface hands TCP every segment addressed to us (IPv4
/// protocol 6, IPv6 next header 6), and TCP's segments go out through the interface's IPv4 or IPv6
/// output, written straight into a NIC transmit buffer. TCP fills in its checksum from the source address
/// it is told, so the segment must leave from that same address: for IPv4 the interface's own, for IPv6
/// one of the interface's usable addresses (the connection's, link-local or global). The NIC's checksum
/// offload passes through as TCP's for both families; its segmentation offload only for IPv4 (virtio-net
/// negotiates HOST_TSO4 alone), so IPv6 connections are handed segments of one MSS.
final class TCPOverIP<NIC: NetworkInterface>: IPProtocolHandler, IPv6ProtocolHandler, TCPOutput {
    private let interface: Interface<NIC>
    var tcp: TCPLayer?
    private(set) var sourceMismatches: UInt64 = 0

    let offload: TCPOutputOffload

    init(interface: Interface<NIC>) {
        self.interface = interface
        let nic = interface.nic.transmitOffloads
        offload = TCPOutputOffload(checksum: nic.checksum,
                                   segmentationLimit: max(0, nic.segmentationLimit - IPv4Packet.minimumHeaderLength),
                                   ipv6SegmentationLimit: 0)
    }

    func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, now: Instant) {
        receive(source: source, destination: destination, payload: payload, checksumVouched: false, now: now)
    }

    func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, checksumVouched: Bool, now: Instant) {
        tcp?.receive(source: IPAddress(source), destination: IPAddress(destination), segment: payload,
                     checksumVouched: checksumVouched, now: now)
    }

    func receive(source: IPv6Address, destination: IPv6Address, payload: ByteView, checksumVouched: Bool, now: Instant) {
        tcp?.receive(source: IPAddress(source), destination: IPAddress(destination), segment: payload,
                     checksumVouched: checksumVouched, now: now)
    }

    /// An ICMPv6 packet too big about one of our segments: TCP checks it and lowers that connection's MSS.
    func packetTooBig(mtu: Int, source: IPv6Address, destination: IPv6Address, quoted: ByteView, now: Instant) {
        tcp?.packetTooBig(local: IPAddress(source), remote: IPAddress(destination), quoted: quoted, mtu: mtu, now: now)
    }

    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool {
        emit(source: source, destination: destination, length: length, offload: nil, now: now, fill: fill)
    }

    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool {
        let transport = TransportOffload(checksumOffset: SegmentOffload.checksumOffset, headerLength: offload.headerLength,
                                         segmentSize: offload.segmentSize)
        return emit(source: source, destination: destination, length: length, offload: transport, now: now, fill: fill)
    }

    /// A lent payload goes down to the NIC by reference over IPv4, the only family it cuts segments of.
    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload,
                     payload: LentBytes, now: Instant, fill: (MutableByteView) -> Void) -> Bool {
        let transport = TransportOffload(checksumOffset: SegmentOffload.checksumOffset, headerLength: offload.headerLength,
                                         segmentSize: offload.segmentSize)
        return emit(source: source, destination: destination, length: length, offload: transport, lent: payload,
                    now: now, fill: fill)
    }

    /// Both families' output: one call site per family, so each output's `fill` is specialised once.
    /// `fill` writes all but `lent`'s bytes at the segment's end.
    private func emit(source: IPAddress, destination: IPAddress, length: Int, offload: TransportOffload?,
                      lent: LentBytes? = nil, now: Instant, fill: (MutableByteView) -> Void) -> Bool {
        let result: SendResult
        if let destination4 = destination.ipv4, source.ipv4 == interface.configuration.address {
            result = interface.sendIPv4(to: destination4, protocol: IPProtocolNumber.tcp, payloadLength: length,
                                        offload: offload, lent: lent, now: now) { segment, _ in fill(segment) }
        } else if let destination6 = destination.ipv6, let source6 = source.ipv6, interface.ipv6.isOurs(source6) {
            result = interface.sendIPv6(to: destination6, nextHeader: IPProtocolNumber.tcp, payloadLength: length,
                                        source: source6, offload: offload, now: now) { segment, _ in
                LentBytes.fill(segment, endingWith: lent, head: fill)
            }
        } else {
            sourceMismatches += 1
            return false
        }
        return result == .sent || result == .queuedForARP
    }
}
