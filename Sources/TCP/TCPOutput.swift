import Bytes

/// Where the TCP layer's segments go: the IPv4 layer. It lends a buffer of exactly `length` bytes
/// (ideally straight inside a NIC transmit buffer), `fill` writes the whole TCP segment into it,
/// checksum included, and the IPv4 layer adds its header and sends. False: no buffer now (the segment
/// did not leave; the connection tries again on its next turn).
///
/// An output whose NIC finishes checksums and cuts large segments says so in `offload`; TCP then
/// sends every segment through `emitSegment(source:destination:length:offload:now:fill:)` with only the
/// pseudo-header sum in the checksum field, and data segments of up to `offload.segmentationLimit`.
public protocol TCPOutput: AnyObject {
    var offload: TCPOutputOffload { get }
    /// `now`: the emit pass's time (for what the layer below may start, e.g. an ARP resolution).
    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool
    /// As `emitSegment(source:destination:length:now:fill:)` for a segment the layer below finishes.
    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool
    /// As the offloaded `emitSegment`, for a segment whose payload (its last `payload.count` bytes) is
    /// lent by reference from the send buffer: `fill` writes only the header. An output that passes it
    /// down lets the NIC read the payload in place; the default copies it in.
    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload,
                     payload: LentBytes, now: Instant, fill: (MutableByteView) -> Void) -> Bool
}

extension TCPOutput {
    public var offload: TCPOutputOffload { .none }

    /// An output that offers no offload is never asked for one.
    public func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload,
                            now: Instant, fill: (MutableByteView) -> Void) -> Bool {
        preconditionFailure("offloaded segment for an output that offers no offload")
    }

    public func emitSegment(source: IPAddress, destination: IPAddress, length: Int, offload: SegmentOffload,
                            payload: LentBytes, now: Instant, fill: (MutableByteView) -> Void) -> Bool {
        emitSegment(source: source, destination: destination, length: length, offload: offload, now: now) {
            LentBytes.fill($0, endingWith: payload, head: fill)
        }
    }
}

/// What the layer below TCP finishes (a NIC's checksum and TCP segmentation offload).
public struct TCPOutputOffload: Equatable {
    /// The checksum field is left holding the pseudo-header sum; the NIC completes it.
    public var checksum: Bool
    /// The largest segment (TCP header and payload) handed down at once, for the NIC to cut into
    /// segments of one MSS; 0 when it does not segment (needs `checksum`).
    public var segmentationLimit: Int
    /// As `segmentationLimit`, for IPv6 connections: a NIC may cut IPv4 segments only (virtio-net's
    /// HOST_TSO4 without HOST_TSO6). The checksum offload serves both families.
    public var ipv6SegmentationLimit: Int

    public init(checksum: Bool, segmentationLimit: Int, ipv6SegmentationLimit: Int = 0) {
        self.checksum = checksum
        self.segmentationLimit = checksum ? max(0, segmentationLimit) : 0
        self.ipv6SegmentationLimit = checksum ? max(0, ipv6SegmentationLimit) : 0
    }

    /// The segmentation limit for a connection to `peer`.
    func segmentationLimit(to peer: IPAddress) -> Int { peer.isIPv4 ? segmentationLimit : ipv6SegmentationLimit }

    public static let none = TCPOutputOffload(checksum: false, segmentationLimit: 0)
}

/// How the layer below is to finish one segment.
public struct SegmentOffload: Equatable {
    /// The TCP header's length, options included (what every cut segment repeats).
    public var headerLength: Int
    /// Payload bytes per cut segment; 0: the segment goes as it is (only its checksum is finished).
    public var segmentSize: Int

    public init(headerLength: Int, segmentSize: Int) {
        self.headerLength = headerLength
        self.segmentSize = segmentSize
    }

    /// Where the checksum field sits in a TCP header.
    public static let checksumOffset = 16
}
