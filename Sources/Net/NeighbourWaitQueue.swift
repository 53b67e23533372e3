import Bytes

/// Packets waiting for their next hop's MAC (ARP for IPv4, neighbour discovery for IPv6). Each is a
/// copy (the caller's buffer is gone by the time the answer comes), so the queue is bounded twice:
/// `capacity` packets, and `capacityBytes` of payload, since a packet the NIC is to cut can be almost 64 KiB. The caller asks `canHold` before it
/// starts a resolution, then drops and counts what does not fit (TCP sends it again).
struct NeighbourWaitQueue {
    /// IPv6, or IPv4-mapped for ARP's packets: one copy of this code serves both.
    typealias Address = IPv6Address
    static let capacity = 16
    /// Sixteen MTU-sized packets fit; so does one segmentation-sized packet, but not sixteen of them
    /// (a megabyte pinned while a neighbour does not answer).
    static let capacityBytes = 64 * 1024

    struct Packet {
        var nextHop: Address
        var source: Address
        var destination: Address
        /// IPv4 protocol or IPv6 next header.
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
        packets.count < NeighbourWaitQueue.capacity && bytes + payloadLength <= NeighbourWaitQueue.capacityBytes
    }

    mutating func enqueue(_ packet: Packet) {
        precondition(canHold(payloadLength: packet.payload.count), "NeighbourWaitQueue: caller must check canHold")
        packets.append(packet)
    }

    func holds(for nextHop: Address) -> Bool { packets.contains { $0.nextHop == nextHop } }

    /// Removes and returns, oldest first, the packets waiting for `nextHop`.
    mutating func take(for nextHop: Address) -> [Packet] {
        let taken = packets.filter { $0.nextHop == nextHop }
        packets.removeAll { $0.nextHop == nextHop }
        return taken
    }
}

/// IPv4 packets waiting for ARP (their addresses IPv4-mapped).
typealias ARPWaitQueue = NeighbourWaitQueue
