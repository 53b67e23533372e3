/// A listening port: its backlog counts half-open connections (SYN-RECEIVED) and established ones
/// waiting in the accept queue; the sum may not pass `backlog`.
final class Listener {
    let port: UInt16
    let backlog: Int
    let handle: TCPHandle
    var halfOpen = 0
    /// Established connections not yet taken by `accept`, oldest first.
    var acceptQueue: [TCPHandle] = []

    init(port: UInt16, backlog: Int, handle: TCPHandle) {
        self.port = port
        self.backlog = backlog
        self.handle = handle
    }

    var isFull: Bool { halfOpen + acceptQueue.count >= backlog }
}
