import Bytes

/// IPv4 packets waiting for their next hop's MAC. Each is a copy (the caller's buffer is gone by the
/// time the answer comes), so the queue is bounded twice: `capacity` packets, and `capacityBytes` of
/// payload, since a packet the NIC is to cut can be almost 64 KiB. The caller asks `canHold` before it
/// starts a resolution, then drops and counts what does not fit (TCP sends it again).
struct ARPWaitQueue {
    static let capacity = 16
    /// Sixteen MTU-sized packets fit; so does one segmentation-sized packet, but not sixteen of them
    /// (a megabyte pinned while a neighbour does not answer).
    static let capacityBytes = 64 * 1024

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

    /// Payload bytes queued (summed over at most `capacity` packets, only while ARP is unresolved).
    var bytes: Int { packets.reduce(0) { $0 + $1.payload.count } }

    func canHold(payloadLength: Int) -> Bool {
        packets.count < ARPWaitQueue.capacity && bytes + payloadLength <= ARPWaitQueue.capacityBytes
    }

    mutating func enqueue(_ packet: Packet) {
        precondition(canHold(payloadLength: packet.payload.count), "ARPWaitQueue: caller must check canHold")
        packets.append(packet)
    }

    func holds(for nextHop: IPv4Address) -> Bool { packets.contains { $0.nextHop == nextHop } }

    /// Removes and returns, oldest first, the packets waiting for `nextHop`.
    mutating func take(for nextHop: IPv4Address) -> [Packet] {
        let taken = packets.filter { $0.nextHop == nextHop }
        packets.removeAll { $0.nextHop == nextHop }
        return taken
    }
}
