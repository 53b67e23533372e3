import Bytes
import Services

/// The remote end of an in-memory stream, driven by a test: a client that opened a service's port, or
/// the server side of a service's outgoing connection. Nothing happens to the service until the
/// registry next polls.
public final class MemoryPeer {
    let pipe: MemoryPipe
    let transport: MemoryTransport

    init(pipe: MemoryPipe, transport: MemoryTransport) {
        self.pipe = pipe
        self.transport = transport
    }

    /// The peer's address and port, and the service's.
    public var endpoint: Endpoint { pipe.peerEnd }
    public var serviceEndpoint: Endpoint { pipe.serviceEnd }

    /// Sends bytes toward the service; returns how many fit in the window (bounded by the buffer).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Int {
        guard !pipe.gone, !pipe.peerFinished else { return 0 }
        if pipe.serviceFinished {
            transport.peerDropped(bytes.count)
            return bytes.count
        }
        let n = min(bytes.count, pipe.capacity - pipe.toService.count)
        guard n > 0 else { return 0 }
        pipe.toService.append(contentsOf: bytes[0..<n])
        transport.peerWrote(pipe)
        return n
    }

    @discardableResult
    public func write(_ text: String) -> Int { write(Array(text.utf8)) }

    /// Bytes the service sent that the peer has not read yet.
    public var unread: Int { pipe.toPeer.count }

    /// Reads up to `maxCount` bytes the service sent.
    public func read(max maxCount: Int = Int.max) -> [UInt8] {
        let n = min(maxCount, pipe.toPeer.count)
        guard n > 0 else { return [] }
        let bytes = Array(pipe.toPeer[0..<n])
        pipe.toPeer.removeFirst(n)
        transport.peerRead(pipe)
        return bytes
    }

    /// Half-close: the peer sends FIN.
    public func finish() {
        guard !pipe.gone, !pipe.peerFinished else { return }
        pipe.peerFinished = true
        transport.peerSentFinish(pipe)
    }

    /// The peer sends RST.
    public func reset() { transport.peerLost(pipe, .reset) }

    /// The transport gives up on this peer (it stopped answering).
    public func vanish() { transport.peerLost(pipe, .timeout) }

    /// The service's FIN has arrived and every byte before it has been read.
    public var sawFinish: Bool { pipe.serviceFinished && !pipe.serviceAborted && pipe.toPeer.isEmpty }
    /// The service aborted the connection (RST).
    public var wasReset: Bool { pipe.serviceAborted }
    /// The transport no longer holds the stream (fully closed, reset or aborted).
    public var isGone: Bool { pipe.gone }
}

/// A remote server that a service's outgoing `connect` reaches; the test accepts its connections.
public final class MemoryRemoteServer {
    public let endpoint: Endpoint
    public let backlog: Int
    var queue = FIFO<MemoryPeer>()

    init(endpoint: Endpoint, backlog: Int) {
        self.endpoint = endpoint
        self.backlog = backlog
    }

    /// The oldest connection a service made to this server, or nil.
    public func accept() -> MemoryPeer? { queue.pop() }
    public var waiting: Int { queue.count }
}
