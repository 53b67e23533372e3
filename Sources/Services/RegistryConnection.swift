import Bytes

/// The registry's side of one connection: what a service holds as `any Connection`.
///
/// Every method is safe at any time, including after `doClose`: once the stream is finished, reads and
/// sends return 0 and nothing reaches the transport (whose stream ID may by then name someone else).
final class RegistryConnection<Transport: StreamTransport>: Connection {
    enum Phase {
        /// Outgoing, waiting for `connected` / `connectFailed`.
        case connecting
        case open
        /// The service closed; waiting for the transport's `closed` (bounded by `closeLinger`).
        case closing
        /// The stream is gone; only the terminal callback (`doClose` / `doConnectFail`) remains.
        case finished
    }

    let registry: ServiceRegistry<Transport>
    let stream: StreamID
    let service: Int
    let slot: Int
    let peer: Endpoint
    let local: Endpoint

    var phase: Phase
    var pending: PendingWork = []
    /// In the service's work queue (so it is queued at most once).
    var queued = false
    /// In the service's revisit list (unread data after a callback that made progress).
    var revisitQueued = false
    /// When the receive timeout (open) or the close linger (closing) expires.
    var deadline: Instant = .never
    var requestedRelease: ReleaseRequest?
    /// In the registry's list of releases to apply after the current callback.
    var releaseDeferred = false
    /// The service read bytes during the current callback.
    var consumedDuringCallback = false
    /// The last send was short (or `sendSpace` was found 0), so the service wants `doSendSpace` when room
    /// opens.
    var wantsSendSpace = false
    /// What the service was last given a turn for (bytes readable, end of stream): readiness beyond it
    /// is news that earns a `doReceive`.
    var toldAvailable = 0
    var toldPeerFinished = false

    var userState: AnyObject?
    var now: Instant { registry.now }
    var receiveTimeout: Interval? {
        didSet {
            timeoutAssigned = true
            registry.rearmReceiveTimer(self)
        }
    }
    /// The service assigned `receiveTimeout` (even nil, "wait forever") since the registry last cleared
    /// this: in `doTimeout` that counts as a decision to keep the connection.
    var timeoutAssigned = false

    init(registry: ServiceRegistry<Transport>, stream: StreamID, service: Int, slot: Int, phase: Phase,
         receiveTimeout: Interval?) {
        self.registry = registry
        self.stream = stream
        self.service = service
        self.slot = slot
        self.phase = phase
        self.receiveTimeout = receiveTimeout
        peer = registry.transport.peerEndpoint(of: stream)
        local = registry.transport.localEndpoint(of: stream)
    }

    /// Reading is allowed until the stream is finished or the service aborted it (after an orderly
    /// close the peer may still be sending, and a service may drain that).
    private var canRead: Bool {
        (phase == .open || phase == .closing) && requestedRelease != .abort
    }
    /// Sending only while open and not yet released.
    private var canSend: Bool { phase == .open && requestedRelease == nil }

    var available: Int { canRead ? registry.transport.available(stream) : 0 }
    var peerFinished: Bool { canRead ? registry.transport.peerFinished(stream) : phase == .finished }

    func receive(into destination: MutableByteView) -> Int {
        guard canRead else { return 0 }
        let n = registry.transport.receive(stream, into: destination)
        if n > 0 {
            consumedDuringCallback = true
            registry.noteProgress(self)
        }
        return n
    }

    func peek(into destination: MutableByteView) -> Int {
        canRead ? registry.transport.peek(stream, into: destination) : 0
    }

    /// Finding no room counts as waiting for it, like a short send: `doSendSpace` follows when room opens.
    var sendSpace: Int {
        guard canSend else { return 0 }
        let space = registry.transport.sendSpace(stream)
        if space == 0 { wantsSendSpace = true }
        return space
    }

    func send(_ bytes: ByteView) -> Int {
        guard canSend else { return 0 }
        let n = registry.transport.send(stream, bytes)
        if n < bytes.count { wantsSendSpace = true }
        if n > 0 { registry.noteProgress(self) }
        return n
    }

    func send(upTo maximum: Int, fill: (MutableByteView) -> Int) -> Int {
        guard canSend else { return 0 }
        let n = registry.transport.send(stream, upTo: maximum, fill: fill)
        if registry.transport.sendSpace(stream) == 0 { wantsSendSpace = true }
        if n > 0 { registry.noteProgress(self) }
        return n
    }

    /// Only while connecting or open and not released: a closing connection's alarm is gone.
    func wake(at instant: Instant?) {
        guard (phase == .open || phase == .connecting) && requestedRelease == nil else { return }
        registry.setAlarm(self, instant ?? .never)
    }

    func close() { registry.requestRelease(self, .close) }
    func abort() { registry.requestRelease(self, .abort) }
}

/// What a service asked for with `close()` / `abort()`; applied after the current callback returns.
enum ReleaseRequest: Equatable { case close, abort }

/// Work waiting for one connection's service: at most one callback of each kind, however many edges.
struct PendingWork: OptionSet {
    let rawValue: UInt8
    static let connected = PendingWork(rawValue: 1 << 0)
    static let receive = PendingWork(rawValue: 1 << 1)
    static let timeout = PendingWork(rawValue: 1 << 2)
    static let sendSpace = PendingWork(rawValue: 1 << 3)
    /// Terminal: `doClose`.
    static let closed = PendingWork(rawValue: 1 << 4)
    /// Terminal: `doConnectFail`.
    static let connectFailed = PendingWork(rawValue: 1 << 5)
    /// The service's alarm is due: `doWake`.
    static let wake = PendingWork(rawValue: 1 << 6)
}

/// The two timers each connection slot owns in the registry's `DeadlineHeap`, numbered `slot * 2 + kind`
/// (so equal instants fire in slot order, the idle deadline before the alarm).
enum ConnectionTimer: Int {
    /// The receive timeout while open, the close linger while closing.
    case idle = 0
    /// The service's own `wake(at:)`.
    case alarm = 1

    func of(_ slot: Int) -> Int { slot * 2 + rawValue }
    static func slot(of timer: Int) -> Int { timer / 2 }
    static func kind(of timer: Int) -> ConnectionTimer { timer % 2 == 0 ? .idle : .alarm }
}
