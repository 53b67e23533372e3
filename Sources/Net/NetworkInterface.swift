import Bytes

/// The driver boundary: what a NIC (virtio-net in the kernel, a tap device on Linux, a frame queue in
/// tests) offers the stack. Frames are lent, never owned, so the driver keeps its fixed buffer pools and
/// the stack parses in place and writes replies straight into transmit memory.
///
/// Re-entrancy: the stack may call `transmit` from inside a `receive` handler (an echo reply is written
/// while the request is still lent). Drivers keep separate receive and transmit buffers, so this is safe.
///
/// Offloads: a NIC that can finish transport checksums or cut large TCP segments says so in
/// `transmitOffloads`; the stack then hands it frames with `FrameOffload` metadata through
/// `transmit(length:offload:_:)`. A NIC that offers nothing (the default) only ever gets finished frames.
public protocol NetworkInterface: AnyObject {
    var macAddress: MACAddress { get }
    /// IP MTU (the largest IPv4 packet, header included), 1500 normally. Frames are 14 bytes longer.
    var mtu: Int { get }
    /// What the NIC finishes for the stack on transmit; fixed once the NIC is up.
    var transmitOffloads: TransmitOffloads { get }
    /// Hands up to `limit` received frames to `handler`; each view is valid only during the call.
    /// Returns how many.
    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int
    /// As `receive(limit:_:)`, also telling whether the device vouches for the frame's TCP or UDP
    /// checksum (virtio-net's GUEST_CSUM: DATA_VALID, or NEEDS_CSUM for a frame from the host whose
    /// checksum was never computed), so the stack need not verify it. The IPv4 header checksum is
    /// always verified.
    func receive(limit: Int, _ handler: (ByteView, _ checksumVouched: Bool) -> Void) -> Int
    /// Lends a transmit buffer of exactly `length` bytes to `fill`, then queues it. False if no buffer is
    /// free.
    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool
    /// As `transmit(length:_:)`, for a frame the NIC must finish as `offload` says (nil: nothing to
    /// finish). The stack passes offload metadata only to a NIC whose `transmitOffloads` offer it.
    func transmit(length: Int, offload: FrameOffload?, _ fill: (MutableByteView) -> Void) -> Bool
    /// As `transmit(length:offload:_:)`; with `payload`, the frame's last `payload.count` bytes are lent
    /// by reference and `fill` writes only the bytes before them (the headers). A NIC that reads the
    /// payload in place keeps `payload.owner` until its device is done with it; the default copies it in.
    func transmit(length: Int, offload: FrameOffload?, payload: LentBytes?, _ fill: (MutableByteView) -> Void) -> Bool
    /// Makes queued transmits visible to the device (one notification per batch).
    func flush()
}

extension NetworkInterface {
    public var transmitOffloads: TransmitOffloads { .none }

    /// A NIC that vouches for nothing: the stack verifies every checksum.
    public func receive(limit: Int, _ handler: (ByteView, _ checksumVouched: Bool) -> Void) -> Int {
        receive(limit: limit) { handler($0, false) }
    }

    /// A NIC without offloads is never handed offload metadata (see `transmitOffloads`).
    public func transmit(length: Int, offload: FrameOffload?, _ fill: (MutableByteView) -> Void) -> Bool {
        precondition(offload == nil, "offload metadata for a NIC that offers no offloads")
        return transmit(length: length, fill)
    }

    /// A lent payload copied in after the headers: the frame goes as an ordinary one.
    public func transmit(length: Int, offload: FrameOffload?, payload: LentBytes?, _ fill: (MutableByteView) -> Void) -> Bool {
        transmit(length: length, offload: offload) { LentBytes.fill($0, endingWith: payload, head: fill) }
    }
}

/// What a NIC finishes on transmit (virtio-net's VIRTIO_NET_F_CSUM and VIRTIO_NET_F_HOST_TSO4).
public struct TransmitOffloads: Equatable {
    /// The NIC completes a TCP checksum whose field holds the pseudo-header sum.
    public var checksum: Bool
    /// The largest IPv4 packet (header included) carrying one TCP segment that the NIC cuts into
    /// MTU-sized segments; 0 when it does not segment. Never more than `IPv4Packet.maximumLength`, and
    /// only with `checksum` (every cut segment needs a new checksum).
    public var segmentationLimit: Int

    public init(checksum: Bool, segmentationLimit: Int) {
        self.checksum = checksum
        self.segmentationLimit = checksum ? min(segmentationLimit, IPv4Packet.maximumLength) : 0
    }

    public static let none = TransmitOffloads(checksum: false, segmentationLimit: 0)
}

/// How a NIC must finish one frame (the fields of a virtio_net_hdr, offsets from the frame's start).
public struct FrameOffload: Equatable {
    /// The transport checksum covers the bytes from `checksumStart` to the end of the frame, plus what
    /// the field at `checksumStart + checksumOffset` already holds (the pseudo-header sum).
    public var checksumStart: Int
    public var checksumOffset: Int
    /// Ethernet, IPv4 and TCP header bytes: what each cut segment repeats.
    public var headerLength: Int
    /// Payload bytes per cut segment; 0: send the frame as it is (checksum only).
    public var segmentSize: Int

    public init(checksumStart: Int, checksumOffset: Int, headerLength: Int, segmentSize: Int) {
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
        self.headerLength = headerLength
        self.segmentSize = segmentSize
    }

    /// The frame of an IP packet (an IPv4 header of 20 bytes, or IPv6's 40) whose transport layer asked
    /// for `transport`.
    init(_ transport: TransportOffload, ipHeaderLength: Int) {
        let start = EthernetFrame.headerLength + ipHeaderLength
        self.init(checksumStart: start, checksumOffset: transport.checksumOffset,
                  headerLength: start + transport.headerLength, segmentSize: transport.segmentSize)
    }
}

/// What a transport protocol tells the IPv4 layer about a packet whose checksum the NIC finishes.
public struct TransportOffload: Equatable {
    /// Where the checksum field is in the transport header (16 for TCP).
    public var checksumOffset: Int
    /// The transport header's length, options included.
    public var headerLength: Int
    /// Payload bytes per segment when the NIC is to cut the packet; 0: one packet as it is.
    public var segmentSize: Int

    public init(checksumOffset: Int, headerLength: Int, segmentSize: Int) {
        self.checksumOffset = checksumOffset
        self.headerLength = headerLength
        self.segmentSize = segmentSize
    }

    /// IPv4 packets the NIC makes of a `payloadLength`-byte transport packet.
    func packetCount(payloadLength: Int) -> Int {
        guard segmentSize > 0 else { return 1 }
        return max(1, (payloadLength - headerLength + segmentSize - 1) / segmentSize)
    }
}
