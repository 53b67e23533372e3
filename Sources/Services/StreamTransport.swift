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

/// What a transport reports. Edge-triggered: each event says something *changed*; the transport does not
/// repeat it while the condition holds (readable is reported when bytes arrive, not while they sit
/// unread). This is one-to-one with the TCP layer's event queue, so a TCP adapter is a plain mapping.
public enum TransportEvent: Equatable {
    /// A listener has at least one completed connection waiting in its accept queue.
    case acceptable(ListenerID)
    /// New bytes arrived on an accepted or connected stream.
    case readable(StreamID)
    /// Send space opened on a stream.
    case writable(StreamID)
    /// The peer finished sending (FIN). Bytes before it may still be unread.
    case peerFinished(StreamID)
    /// The stream is gone for good; its ID may be reused after this event.
    case closed(StreamID, StreamCloseReason)
    /// An outgoing `connect` completed.
    case connected(StreamID)
    /// An outgoing `connect` failed (refused, unreachable, timed out); its ID may be reused.
    case connectFailed(StreamID)
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
/// - Nothing here calls back into the caller. Every change is reported later through `nextEvent()`.
/// - Events for a stream begin once it is accepted (`accept`) or requested (`connect`). Bytes or a FIN
///   that arrived before `accept` are not re-announced; the acceptor checks `available`/`peerFinished`.
/// - Every accepted or connected stream ends with exactly one `closed`, except after `abort`: an aborted
///   stream is finished at once and the transport reports nothing more for it.
/// - A stream from `connect` ends its handshake with exactly one `connected` or `connectFailed`.
/// - Calls naming an unknown or finished stream are harmless: reads and sends return 0, others do nothing.
public protocol StreamTransport: AnyObject {
    /// Opens a listening port with an accept queue of `backlog` completed connections.
    func listen(port: UInt16, backlog: Int) throws(TransportError) -> ListenerID
    /// Takes the oldest completed connection off the listener's queue; nil when the queue is empty.
    func accept(_ listener: ListenerID) -> StreamID?
    /// Starts an outgoing connection; the result arrives as `connected` or `connectFailed`.
    func connect(to remote: Endpoint) throws(TransportError) -> StreamID

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

    /// The oldest unreported event, or nil.
    func nextEvent() -> TransportEvent?
    /// True while `nextEvent()` would return something (lets the registry answer `nextDeadline`).
    var hasPendingEvents: Bool { get }
}
