import Bytes
import Net
import TCP

/// Joins the two independent layers: the interface hands TCP every segment addressed to us (protocol 6),
/// and TCP's segments go out through the interface's IPv4 output, written straight into a NIC transmit
/// buffer. TCP fills in its checksum from the source address it is told, so the segment must leave from
/// that same address: the interface's own, which is the only one we have. The NIC's checksum and
/// segmentation offloads pass through as TCP's: TCP leaves the checksum to the NIC and hands it segments
/// as large as an IPv4 packet the NIC will cut.
final class TCPOverIPv4<NIC: NetworkInterface>: IPProtocolHandler, TCPOutput {
    private let interface: Interface<NIC>
    var tcp: TCPLayer?
    private(set) var sourceMismatches: UInt64 = 0

    let offload: TCPOutputOffload

    init(interface: Interface<NIC>) {
        self.interface = interface
        let nic = interface.nic.transmitOffloads
        offload = TCPOutputOffload(checksum: nic.checksum,
                                   segmentationLimit: max(0, nic.segmentationLimit - IPv4Packet.minimumHeaderLength))
    }

    func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, now: Instant) {
        receive(source: source, destination: destination, payload: payload, checksumVouched: false, now: now)
    }

    func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, checksumVouched: Bool, now: Instant) {
        tcp?.receive(source: IPAddress(source), destination: IPAddress(destination), segment: payload,
                     checksumVouched: checksumVouched, now: now)
    }

    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool {
        guard source.ipv4 == interface.configuration.address, let destination = destination.ipv4 else {
            sourceMismatches += 1
            return false
        }
        let result = interface.sendIPv4(to: destination, protocol: IPProtocolNumber.tcp, payloadLength: length,
                                        now: now) { segment, _ in fill(segment) }
        return result == .sent || result == .queuedForARP
    }

    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool {
        guard source.ipv4 == interface.configuration.address, let destination = destination.ipv4 else {
            sourceMismatches += 1
            return false
        }
        let transport = TransportOffload(checksumOffset: SegmentOffload.checksumOffset, headerLength: offload.headerLength,
                                         segmentSize: offload.segmentSize)
        let result = interface.sendIPv4(to: destination, protocol: IPProtocolNumber.tcp, payloadLength: length,
                                        offload: transport, now: now) { segment, _ in fill(segment) }
        return result == .sent || result == .queuedForARP
    }
}
