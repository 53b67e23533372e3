import Bytes
import Services

/// One in-memory stream: two bounded byte queues and the state of each end. The "service" end is what
/// the registry sees through `MemoryTransport`; the "peer" end is what a test drives through `MemoryPeer`.
final class MemoryPipe {
    let id: StreamID
    /// The transport's (service's) end and the peer's end.
    let serviceEnd: Endpoint
    let peerEnd: Endpoint
    let capacity: Int

    /// Bytes the peer wrote that the service has not read yet, and the reverse.
    var toService: [UInt8] = []
    var toPeer: [UInt8] = []

    /// FIN sent by each end.
    var peerFinished = false
    var serviceFinished = false
    /// RST sent by the service (abort); the peer sees a reset.
    var serviceAborted = false
    /// Accepted or connected: the registry knows the ID, so its changes are reported.
    var announced: Bool
    /// The stream is over for both ends (ended, failed or aborted); the peer's writes go nowhere.
    var gone = false
    /// How it ended, for its readiness until the registry releases it.
    var endPhase: StreamPhase?
    /// The listener whose accept queue holds this stream until it is accepted.
    var acceptQueue: MemoryListener?

    init(id: StreamID, serviceEnd: Endpoint, peerEnd: Endpoint, capacity: Int, announced: Bool) {
        self.id = id
        self.serviceEnd = serviceEnd
        self.peerEnd = peerEnd
        self.capacity = capacity
        self.announced = announced
    }

    /// Moves up to `destination.count` bytes from the front of `queue`; `consume` false peeks.
    static func take(from queue: inout [UInt8], into destination: MutableByteView, consume: Bool) -> Int {
        let n = min(queue.count, destination.count)
        guard n > 0 else { return 0 }
        queue.withUnsafeBytes { source in
            destination.copy(ByteView(UnsafeRawBufferPointer(rebasing: source[0..<n])), to: 0)
        }
        if consume { queue.removeFirst(n) }
        return n
    }
}
