import Bytes

/// A transport's name for one stream connection. Opaque to the registry; only the transport that issued
/// it interprets the number (TCP packs its slot and generation, the memory transport a counter).
public struct StreamID: Hashable {
    public let raw: UInt64
    @inlinable public init(_ raw: UInt64) { self.raw = raw }
}

/// A transport's name for one listening port.
public struct ListenerID: Hashable {
    public let raw: UInt64
    @inlinable public init(_ raw: UInt64) { self.raw = raw }
}

/// Why a stream ended, as the transport saw it.
public enum StreamCloseReason: Equatable {
    /// Both directions finished in order (FIN each way).
    case normal
    /// The peer reset the connection (RST).
    case reset
    /// The transport gave up on a silent peer (retransmissions or FIN-WAIT ran out).
    case timeout
}

/// What a transport names for a look: a listener with connections to accept, or a stream whose
/// readiness may have changed. It says nothing about what happened; the registry reads the readiness.
public enum TransportChange: Hashable {
    case listener(ListenerID)
    case stream(StreamID)
}

/// Where a stream stands in its life.
public enum StreamPhase: Equatable {
    /// An outgoing `connect` still in its handshake.
    case connecting
    /// Accepted, or connected.
    case open
    /// Gone for good (the transport keeps answering for it until `release`).
    case ended(StreamCloseReason)
    /// An outgoing `connect` that never opened (refused, unreachable, timed out).
    case failed
}

/// A stream as it is now: level, not edge, so a look can never miss what an earlier one did not see.
public struct StreamReadiness: Equatable {
    public var phase: StreamPhase
    /// Bytes ready to read.
    public var available: Int
    /// The peer finished and every byte before its FIN has been read.
    public var peerFinished: Bool
    /// Room in the send buffer.
    public var sendSpace: Int

    @inlinable public init(phase: StreamPhase, available: Int = 0, peerFinished: Bool = false, sendSpace: Int = 0) {
        self.phase = phase; self.available = available; self.peerFinished = peerFinished; self.sendSpace = sendSpace
    }
}

/// Why a transport refused a request outright.
public enum TransportError: Error, Equatable {
    /// Another listener already has this port.
    case portInUse
    /// Port 0 or a backlog outside 1...maxBacklog.
    case invalidArgument
    /// The transport's listener table is full.
    case listenerTableFull
    /// The transport's stream table is full.
    case streamTableFull
}

/// A byte-stream transport the registry multiplexes: TCP in the kernel, an in-memory pipe in tests.
///
/// Contract (the registry relies on exactly this):
/// - Nothing here calls back into the caller. `nextChange()` names each stream (once accepted or
///   requested by `connect`) whose readiness may have changed since it was last named (bytes arrived,
///   send space opened, the peer finished, the handshake completed, the stream ended) and each listener
///   with connections waiting. Each is named at most once until taken, so the set is bounded by the
///   tables and nothing is ever dropped; a spare name is harmless (readiness says what holds).
/// - A stream stays known, its readiness answering, until `release`, also after it ended: the caller
///   releases every stream once it has seen it ended or failed, and right after `abort`.
/// - Calls naming an unknown or finished stream are harmless: reads and sends return 0, others do nothing.
public protocol StreamTransport: AnyObject {
    /// Opens a listening port with an accept queue of `backlog` completed connections.
    func listen(port: UInt16, backlog: Int) throws(TransportError) -> ListenerID
    /// Takes the oldest completed connection off the listener's queue; nil when the queue is empty.
    func accept(_ listener: ListenerID) -> StreamID?
    /// Starts an outgoing connection at `now` (the registry's time); the result arrives as `connected` or
    /// `connectFailed`.
    func connect(to remote: Endpoint, now: Instant) throws(TransportError) -> StreamID

    func localEndpoint(of stream: StreamID) -> Endpoint
    func peerEndpoint(of stream: StreamID) -> Endpoint

    /// Bytes ready to read.
    func available(_ stream: StreamID) -> Int
    /// The peer has finished and every byte before its FIN has been read.
    func peerFinished(_ stream: StreamID) -> Bool
    /// Moves up to `destination.count` bytes out; returns how many.
    func receive(_ stream: StreamID, into destination: MutableByteView) -> Int
    /// Copies up to `destination.count` bytes without consuming them; returns how many.
    func peek(_ stream: StreamID, into destination: MutableByteView) -> Int
    /// Room in the send buffer.
    func sendSpace(_ stream: StreamID) -> Int
    /// Queues what fits; returns how many bytes were taken.
    func send(_ stream: StreamID, _ bytes: ByteView) -> Int
    /// Lets `fill` write up to `maximum` bytes straight into the send buffer: it gets one contiguous run
    /// of free space (possibly shorter than `sendSpace`) and returns how many bytes it wrote from its
    /// start, which are queued. Returns that count; 0 without calling `fill` when there is no room.
    func send(_ stream: StreamID, upTo maximum: Int, fill: (MutableByteView) -> Int) -> Int
    /// Orderly release: queued bytes go out, then FIN; `closed` follows when both sides are done.
    func close(_ stream: StreamID)
    /// Abortive release (RST): queued bytes are dropped and the stream is finished immediately.
    func abort(_ stream: StreamID)
    /// The caller is done with a stream (ended, failed or aborted): the transport may forget it.
    func release(_ stream: StreamID)

    /// Where the stream stands now.
    func readiness(of stream: StreamID) -> StreamReadiness
    /// The oldest listener or stream named for a look, or nil.
    func nextChange() -> TransportChange?
    /// True while `nextChange()` may return something (lets the registry answer `nextDeadline`).
    var hasChanges: Bool { get }
}
