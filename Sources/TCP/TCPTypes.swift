/// Names a listener or connection in a `TCPLayer`. The generation makes stale handles harmless: once a
/// slot is freed and reused, operations on an old handle fail with `.invalidHandle`.
public struct TCPHandle: Hashable {
    public let index: UInt32
    public let generation: UInt32
    @inlinable public init(index: UInt32, generation: UInt32) { self.index = index; self.generation = generation }
}

/// RFC 9293 3.3.2 connection states.
public enum TCPState: Equatable {
    case closed, listen, synSent, synReceived, established
    case finWait1, finWait2, closeWait, closing, lastAck, timeWait

    /// True once both SYNs have been exchanged (RFC 9293 "synchronized states").
    var isSynchronized: Bool {
        switch self {
        case .closed, .listen, .synSent, .synReceived: return false
        default: return true
        }
    }

    public var name: String {
        switch self {
        case .closed: return "CLOSED"
        case .listen: return "LISTEN"
        case .synSent: return "SYN-SENT"
        case .synReceived: return "SYN-RECEIVED"
        case .established: return "ESTABLISHED"
        case .finWait1: return "FIN-WAIT-1"
        case .finWait2: return "FIN-WAIT-2"
        case .closeWait: return "CLOSE-WAIT"
        case .closing: return "CLOSING"
        case .lastAck: return "LAST-ACK"
        case .timeWait: return "TIME-WAIT"
        }
    }
}

/// Why a connection ended.
public enum TCPCloseReason: Equatable {
    /// Both directions finished in order.
    case normal
    /// The peer reset the connection (or refused our SYN).
    case reset
    /// Retransmissions or keepalive probes went unanswered.
    case timeout
    /// The application aborted it.
    case aborted
    /// The local address went away (DHCP change); nothing was sent.
    case addressLost
}

/// Where a connection stands, for its user: what `nextChanged()` tells the user to look at. Level, not
/// edge: it describes the connection now, so nothing the user needs can be lost between two looks.
public struct TCPReadiness: Equatable {
    /// Bytes ready to read.
    public var available: Int
    /// Room in the send buffer (0 once the user closed or the connection ended).
    public var sendSpace: Int
    /// The peer's FIN arrived and every byte before it has been read.
    public var peerFinished: Bool
    /// The handshake completed (true for every accepted connection).
    public var connected: Bool
    /// The connection ended, and why; only leftover reads and `release` remain. An outgoing connection
    /// that ends without `connected` failed to open.
    public var ended: TCPCloseReason?

    @inlinable public init(available: Int = 0, sendSpace: Int = 0, peerFinished: Bool = false,
                           connected: Bool = false, ended: TCPCloseReason? = nil) {
        self.available = available; self.sendSpace = sendSpace; self.peerFinished = peerFinished
        self.connected = connected; self.ended = ended
    }
}

/// Errors from socket operations.
public enum TCPError: Error, Equatable {
    /// The handle is stale or names the other kind of socket.
    case invalidHandle
    /// Port 0 names no port: nothing can connect to it.
    case invalidPort
    case portInUse
    case listenerLimit
    case connectionLimit
    case memoryLimit
    /// No free ephemeral port towards that remote endpoint.
    case noEphemeralPort
    /// The operation does not fit the connection's state (e.g. send after close).
    case invalidState
}
