import Bytes
import Net

/// RFC 862 echo over UDP on port 7, over IPv4 and IPv6 alike: each datagram goes back to its sender unchanged. Datagrams the
/// socket queue could not hold are counted by the interface; a reply that cannot be sent is counted here.
public final class UDPEchoService<NIC: NetworkInterface> {
    public static var port: UInt16 { 7 }
    /// Datagrams echoed per poll at most, so a flood cannot monopolise one main-loop turn.
    public static var budgetPerPoll: Int { 32 }

    private let socket: UDPSocket
    public private(set) var echoed: UInt64 = 0
    /// Datagrams not echoed: from a port below `lowestSourcePort` (a service port: two echo services
    /// would answer each other for ever, one spoofed datagram enough to start it) or sent to a broadcast
    /// or multicast address (one datagram would draw answers from every host).
    public private(set) var refused: UInt64 = 0
    /// Source ports below this (the well-known ports) are never echoed.
    public static var lowestSourcePort: UInt16 { 1024 }
    public private(set) var replyFailures: UInt64 = 0

    public init(interface: Interface<NIC>) throws(UDPSocketTable.BindError) {
        socket = try interface.bindUDP(port: UDPEchoService.port)
    }

    /// True when datagrams are still queued after a poll used up its budget.
    public func hasBacklog(interface: Interface<NIC>) -> Bool { interface.queuedUDPCount(socket) > 0 }

    public func poll(interface: Interface<NIC>, now: Instant) {
        var budget = UDPEchoService.budgetPerPoll
        while budget > 0, let datagram = interface.receiveUDP(socket) {
            budget -= 1
            guard datagram.source.port >= UDPEchoService.lowestSourcePort,
                  interface.isOwnUnicast(datagram.destination) else {
                refused += 1
                continue
            }
            let result = datagram.payload.withByteView { interface.sendUDP(from: socket, to: datagram.source, payload: $0, now: now) }
            if result == .sent || result == .queuedForARP { echoed += 1 } else { replyFailures += 1 }
        }
    }

}
