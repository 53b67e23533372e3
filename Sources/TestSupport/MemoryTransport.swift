import Bytes
import Services

/// Limits of the in-memory transport (each refused request is counted).
public struct MemoryTransportLimits {
    /// Bytes each direction of a stream can hold (the "window").
    public var bufferCapacity: Int
    /// Streams alive at once (waiting in accept queues, open, or half-closed).
    public var maxStreams: Int
    public var maxListeners: Int
    /// Largest backlog `listen` accepts.
    public var maxBacklog: Int

    public init(bufferCapacity: Int = 4096, maxStreams: Int = 1024, maxListeners: Int = 16,
                maxBacklog: Int = 1024) {
        self.bufferCapacity = bufferCapacity
        self.maxStreams = maxStreams
        self.maxListeners = maxListeners
        self.maxBacklog = maxBacklog
    }
}

/// What the in-memory transport refused or dropped.
public struct MemoryTransportCounters: Equatable {
    /// Peers that opened a port nobody listens on (TCP would answer RST).
    public var refusedNoListener: UInt64 = 0
    /// Peers refused because the listener's accept queue held `backlog` connections.
    public var refusedBacklogFull: UInt64 = 0
    /// Opens and connects refused because `maxStreams` streams were alive.
    public var refusedStreamTableFull: UInt64 = 0
    /// Outgoing connects to an endpoint with no server, or whose server's queue was full.
    public var connectsFailed: UInt64 = 0
    /// Bytes a peer wrote after the service had closed (TCP would reset; here they are dropped).
    public var bytesDroppedAfterClose: UInt64 = 0

    public init() {}
}

/// Why a peer could not open a connection to the transport.
public enum MemoryOpenError: Error, Equatable {
    /// Nobody listens on the port ("connection refused").
    case refused
    /// The listener's accept queue is full.
    case backlogFull
    case streamTableFull
}

/// A `StreamTransport` made of in-memory pipes, for tests and for running services without a network.
/// Tests play the remote side: `open(port:)` connects a `MemoryPeer` to a listening service, and
/// `serve(at:)` stands up a remote server that outgoing `connect`s reach.
public final class MemoryTransport: StreamTransport {
    public let address: IPv4Address
    public let limits: MemoryTransportLimits
    public private(set) var counters = MemoryTransportCounters()

    private var pipes: [StreamID: MemoryPipe] = [:]
    private var nextStream: UInt64 = 1
    private var listeners: [ListenerID: MemoryListener] = [:]
    private var listenerOnPort: [UInt16: ListenerID] = [:]
    private var nextListener: UInt64 = 1
    private var remoteServers: [Endpoint: MemoryRemoteServer] = [:]
    /// Listeners and streams named for a look, each at most once until taken.
    private var changes = FIFO<TransportChange>()
    private var marked: Set<TransportChange> = []
    /// Source ports handed to peers (from 40000) and to our outgoing connections (from 49152).
    private var nextPeerPort = PortCounter(first: 40000)
    private var nextEphemeralPort = PortCounter(first: 49152)
    /// The address peers connect from unless a test names one.
    public let defaultPeerAddress: IPv4Address

    public init(address: IPv4Address = IPv4Address(10, 0, 0, 1),
                defaultPeerAddress: IPv4Address = IPv4Address(10, 0, 0, 2),
                limits: MemoryTransportLimits = MemoryTransportLimits()) {
        self.address = address
        self.defaultPeerAddress = defaultPeerAddress
        self.limits = limits
    }

    /// Streams alive (queued, open or half-closed).
    public var streamCount: Int { pipes.count }

    // MARK: The test's side

    /// A peer connects to `port`. It completes at once (the handshake is not modelled) and waits in the
    /// listener's accept queue; the service sees it when the registry accepts it.
    public func open(port: UInt16, from source: Endpoint? = nil) throws(MemoryOpenError) -> MemoryPeer {
        guard let listenerID = listenerOnPort[port], let listener = listeners[listenerID] else {
            counters.refusedNoListener += 1
            throw .refused
        }
        guard listener.waiting < listener.backlog else {
            counters.refusedBacklogFull += 1
            throw .backlogFull
        }
        guard pipes.count < limits.maxStreams else {
            counters.refusedStreamTableFull += 1
            throw .streamTableFull
        }
        let pipe = newPipe(serviceEnd: Endpoint(address, port),
                           peerEnd: source ?? Endpoint(defaultPeerAddress, nextPeerPort.take()),
                           announced: false)
        listener.queue.push(pipe)
        listener.waiting += 1
        pipe.acceptQueue = listener
        mark(.listener(listenerID))
        return MemoryPeer(pipe: pipe, transport: self)
    }

    /// A remote server at `endpoint` that outgoing connections reach; the test accepts from it.
    public func serve(at endpoint: Endpoint, backlog: Int = 16) -> MemoryRemoteServer {
        let server = MemoryRemoteServer(endpoint: endpoint, backlog: backlog)
        remoteServers[endpoint] = server
        return server
    }

    /// Takes a remote server down: later connects to it fail.
    public func stopServing(at endpoint: Endpoint) { remoteServers[endpoint] = nil }

    // MARK: Called by MemoryPeer

    func peerWrote(_ pipe: MemoryPipe) { markChanged(pipe) }
    func peerRead(_ pipe: MemoryPipe) { markChanged(pipe) }
    func peerDropped(_ count: Int) { counters.bytesDroppedAfterClose += UInt64(count) }

    func peerSentFinish(_ pipe: MemoryPipe) {
        guard !pipe.gone else { return }
        markChanged(pipe)
        if pipe.serviceFinished { end(pipe, .ended(.normal)) }
    }

    /// The peer reset, or (`.timeout`) the transport gave up on it. Before accept it just vanishes.
    func peerLost(_ pipe: MemoryPipe, _ reason: StreamCloseReason) {
        guard !pipe.gone else { return }
        pipe.toService.removeAll()
        if pipe.announced {
            end(pipe, .ended(reason))
        } else {
            // Never accepted: it leaves the accept queue's count now, and the queue entry is skipped later.
            pipe.gone = true
            pipes[pipe.id] = nil
            pipe.acceptQueue?.waiting -= 1
            pipe.acceptQueue = nil
        }
    }

    // MARK: StreamTransport

    public func listen(port: UInt16, backlog: Int) throws(TransportError) -> ListenerID {
        guard port != 0, backlog >= 1, backlog <= limits.maxBacklog else { throw .invalidArgument }
        guard listenerOnPort[port] == nil else { throw .portInUse }
        guard listeners.count < limits.maxListeners else { throw .listenerTableFull }
        let id = ListenerID(nextListener)
        nextListener += 1
        listeners[id] = MemoryListener(backlog: backlog)
        listenerOnPort[port] = id
        return id
    }

    public func accept(_ listener: ListenerID) -> StreamID? {
        guard let waiting = listeners[listener] else { return nil }
        while let pipe = waiting.queue.pop() {
            if pipe.gone { continue }   // reset while waiting (already uncounted)
            waiting.waiting -= 1
            pipe.acceptQueue = nil
            pipe.announced = true
            return pipe.id
        }
        return nil
    }

    public func connect(to remote: Endpoint, now: Instant) throws(TransportError) -> StreamID {
        guard pipes.count < limits.maxStreams else {
            counters.refusedStreamTableFull += 1
            throw .streamTableFull
        }
        let pipe = newPipe(serviceEnd: Endpoint(address, nextEphemeralPort.take()), peerEnd: remote,
                           announced: true)
        if let server = remoteServers[remote], server.queue.count < server.backlog {
            server.queue.push(MemoryPeer(pipe: pipe, transport: self))
            markChanged(pipe)
        } else {
            counters.connectsFailed += 1
            end(pipe, .failed)
        }
        return pipe.id
    }

    public func localEndpoint(of stream: StreamID) -> Endpoint {
        pipes[stream]?.serviceEnd ?? Endpoint(address, 0)
    }

    public func peerEndpoint(of stream: StreamID) -> Endpoint {
        pipes[stream]?.peerEnd ?? Endpoint(.any, 0)
    }

    public func available(_ stream: StreamID) -> Int { pipes[stream]?.toService.count ?? 0 }

    public func peerFinished(_ stream: StreamID) -> Bool {
        guard let pipe = pipes[stream] else { return false }
        return pipe.peerFinished && pipe.toService.isEmpty
    }

    public func receive(_ stream: StreamID, into destination: MutableByteView) -> Int {
        guard let pipe = pipes[stream] else { return 0 }
        return MemoryPipe.take(from: &pipe.toService, into: destination, consume: true)
    }

    public func peek(_ stream: StreamID, into destination: MutableByteView) -> Int {
        guard let pipe = pipes[stream] else { return 0 }
        return MemoryPipe.take(from: &pipe.toService, into: destination, consume: false)
    }

    public func sendSpace(_ stream: StreamID) -> Int {
        guard let pipe = pipes[stream], !pipe.serviceFinished else { return 0 }
        return pipe.capacity - pipe.toPeer.count
    }

    public func send(_ stream: StreamID, _ bytes: ByteView) -> Int {
        let n = min(bytes.count, sendSpace(stream))
        guard n > 0, let pipe = pipes[stream] else { return 0 }
        pipe.toPeer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes.base[0..<n]))
        return n
    }

    public func send(_ stream: StreamID, upTo maximum: Int, fill: (MutableByteView) -> Int) -> Int {
        let run = min(maximum, sendSpace(stream))
        guard run > 0, let pipe = pipes[stream] else { return 0 }
        return pipe.toPeer.append(upTo: run, filling: fill)
    }

    public func close(_ stream: StreamID) {
        guard let pipe = pipes[stream], !pipe.serviceFinished else { return }
        pipe.serviceFinished = true
        if pipe.peerFinished { end(pipe, .ended(.normal)) }
    }

    public func abort(_ stream: StreamID) {
        guard let pipe = pipes[stream] else { return }
        pipe.serviceAborted = true
        pipe.toPeer.removeAll()
        pipe.toService.removeAll()
        pipe.gone = true
        pipes[stream] = nil
    }

    public func release(_ stream: StreamID) {
        guard let pipe = pipes[stream] else { return }
        if !pipe.gone { abort(stream) }
        pipes[stream] = nil
    }

    public func readiness(of stream: StreamID) -> StreamReadiness {
        guard let pipe = pipes[stream] else { return StreamReadiness(phase: .ended(.reset)) }
        if let ended = pipe.endPhase { return StreamReadiness(phase: ended) }
        return StreamReadiness(phase: .open, available: available(stream), peerFinished: peerFinished(stream),
                               sendSpace: sendSpace(stream))
    }

    public func nextChange() -> TransportChange? {
        guard let change = changes.pop() else { return nil }
        marked.remove(change)
        return change
    }

    public var hasChanges: Bool { !changes.isEmpty }

    // MARK: Internals

    private func newPipe(serviceEnd: Endpoint, peerEnd: Endpoint, announced: Bool) -> MemoryPipe {
        let pipe = MemoryPipe(id: StreamID(nextStream), serviceEnd: serviceEnd, peerEnd: peerEnd,
                              capacity: limits.bufferCapacity, announced: announced)
        nextStream &+= 1
        pipes[pipe.id] = pipe
        return pipe
    }

    /// The stream is over; it stays known (its readiness says how it ended) until released.
    private func end(_ pipe: MemoryPipe, _ phase: StreamPhase) {
        pipe.gone = true
        pipe.endPhase = phase
        pipe.toService.removeAll()
        mark(.stream(pipe.id))
    }

    private func markChanged(_ pipe: MemoryPipe) {
        if pipe.announced && !pipe.gone { mark(.stream(pipe.id)) }
    }

    private func mark(_ change: TransportChange) {
        if marked.insert(change).inserted { changes.push(change) }
    }
}

/// Hands out ports from `first` up to 65535, then wraps to `first` again.
struct PortCounter {
    let first: UInt16
    private var next: UInt16

    init(first: UInt16) { self.first = first; next = first }

    mutating func take() -> UInt16 {
        let port = next
        next = next == UInt16.max ? first : next + 1
        return port
    }
}

/// A listening port's accept queue.
final class MemoryListener {
    let backlog: Int
    var queue = FIFO<MemoryPipe>()
    /// Connections in `queue` still alive (the backlog counts these, not entries reset while waiting).
    var waiting = 0
    init(backlog: Int) { self.backlog = backlog }
}
