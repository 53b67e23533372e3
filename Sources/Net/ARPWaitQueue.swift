import Bytes

/// IPv4 packets waiting for their next hop's MAC. Each is a copy (the caller's buffer is gone by the
/// time the answer comes), so the queue is bounded by `capacity` packets of at most one MTU each (or the
/// NIC's segmentation limit for a packet the NIC is to cut: TCP rarely meets an unresolved hop). The
/// caller checks `isFull` before it starts a resolution, then drops and counts what does not fit.
struct ARPWaitQueue {
    static let capacity = 16

    struct Packet {
        var nextHop: IPv4Address
        var source: IPv4Address
        var destination: IPv4Address
        var protocolNumber: UInt8
        var payload: [UInt8]
        /// The checksum (and segmentation) the NIC is still to do: the payload holds a partial checksum.
        var offload: TransportOffload?
    }

    private(set) var packets: [Packet] = []

    var count: Int { packets.count }
    var isFull: Bool { packets.count >= ARPWaitQueue.capacity }

    mutating func enqueue(_ packet: Packet) {
        precondition(!isFull, "ARPWaitQueue: caller must check isFull")
        packets.append(packet)
    }

    /// Removes and returns, oldest first, the packets waiting for `nextHop`.
    mutating func take(for nextHop: IPv4Address) -> [Packet] {
        let taken = packets.filter { $0.nextHop == nextHop }
        packets.removeAll { $0.nextHop == nextHop }
        return taken
    }
}
