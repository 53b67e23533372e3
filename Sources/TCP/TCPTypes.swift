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

/// What happened, for the service registry. Events are edge-triggered: each says something changed;
/// the user then reads or writes until the operation returns 0.
public enum TCPEvent: Equatable {
    /// A listener has connections waiting for `accept`.
    case acceptable(TCPHandle)
    /// An active open completed.
    case connected(TCPHandle)
    /// An active open failed (`.reset`: refused; `.timeout`; `.addressLost`). Terminal, like `closed`.
    case connectFailed(TCPHandle, TCPCloseReason)
    /// New data can be read (raised again only after the user has read since the last one).
    case readable(TCPHandle)
    /// Send space opened after a `send` found the buffer full.
    case writable(TCPHandle)
    /// The peer sent FIN: after the buffered data, reads return 0.
    case peerFinished(TCPHandle)
    /// The connection ended. Terminal: afterwards the handle only serves leftover reads and `release`.
    case closed(TCPHandle, TCPCloseReason)
}

/// Errors from socket operations.
public enum TCPError: Error, Equatable {
    /// The handle is stale or names the other kind of socket.
    case invalidHandle
    case portInUse
    case listenerLimit
    case connectionLimit
    case memoryLimit
    /// No free ephemeral port towards that remote endpoint.
    case noEphemeralPort
    /// The operation does not fit the connection's state (e.g. send after close).
    case invalidState
}
