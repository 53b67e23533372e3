import Bytes

/// A bound UDP socket, as the application holds it. The id tells a closed socket's stale handle apart
/// from a new socket later bound to the same port.
public struct UDPSocket: Hashable {
    public let port: UInt16
    let id: UInt32
}

/// A datagram waiting in a socket's receive queue: a copy of the payload and where it came from.
public struct UDPReceivedDatagram {
    public let source: Endpoint
    /// The address it was sent to: ours (either family), an IPv4 broadcast, or (while unconfigured) an
    /// offered IPv4 address.
    public let destination: IPAddress
    public let payload: [UInt8]
}

/// The UDP sockets: at most `maxSockets`, each with a receive queue of at most `maxQueuedDatagrams`
/// (a datagram arriving at a full queue is dropped and counted by the caller).
public struct UDPSocketTable {
    public static let maxSockets = 16
    public static let maxQueuedDatagrams = 8

    public enum BindError: Error, Equatable {
        case portZero
        case portInUse
        case tableFull
    }

    enum Delivery { case delivered, noSocket, queueFull }

    struct Entry {
        var socket: UDPSocket
        var queue: [UDPReceivedDatagram] = []
    }

    private var entries: [Entry] = []
    private var nextID: UInt32 = 1

    public init() {}

    public mutating func bind(port: UInt16) throws(BindError) -> UDPSocket {
        guard port != 0 else { throw .portZero }
        guard !entries.contains(where: { $0.socket.port == port }) else { throw .portInUse }
        guard entries.count < UDPSocketTable.maxSockets else { throw .tableFull }
        let socket = UDPSocket(port: port, id: nextID)
        nextID &+= 1
        entries.append(Entry(socket: socket))
        return socket
    }

    /// Closes `socket`, discarding its queue. A stale handle is ignored.
    public mutating func close(_ socket: UDPSocket) {
        entries.removeAll { $0.socket == socket }
    }

    public func isOpen(_ socket: UDPSocket) -> Bool { entries.contains { $0.socket == socket } }

    /// Datagrams waiting on `socket` (0 for a stale handle).
    public func queuedCount(_ socket: UDPSocket) -> Int {
        entries.first { $0.socket == socket }?.queue.count ?? 0
    }

    /// Takes the oldest datagram waiting on `socket`.
    public mutating func receive(_ socket: UDPSocket) -> UDPReceivedDatagram? {
        guard let i = entries.firstIndex(where: { $0.socket == socket }), !entries[i].queue.isEmpty else { return nil }
        return entries[i].queue.removeFirst()
    }

    /// Queues a datagram for the socket bound to `port`; the payload is copied only if it is accepted.
    mutating func deliver(port: UInt16, source: Endpoint, destination: IPAddress, payload: ByteView) -> Delivery {
        guard let i = entries.firstIndex(where: { $0.socket.port == port }) else { return .noSocket }
        guard entries[i].queue.count < UDPSocketTable.maxQueuedDatagrams else { return .queueFull }
        entries[i].queue.append(UDPReceivedDatagram(source: source, destination: destination, payload: payload.toArray()))
        return .delivered
    }
}
