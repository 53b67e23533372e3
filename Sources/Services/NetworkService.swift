import Bytes

/// What the service wants after `doAccept` or `doReceive`.
public enum ServiceDecision {
    /// Keep the connection; call `doReceive` when data arrives (or `doTimeout` after `receiveTimeout`).
    case waitForData
    /// The service is finished with the connection: it has closed or aborted it (if it has not, the
    /// registry closes it in order). No more `doReceive` or `doTimeout`; `doClose` still follows.
    case done
}

/// A network service after Toro's model: a record of callbacks registered with the kernel. The kernel
/// owns every socket, multiplexes them, and calls back; callbacks never run re-entrantly, and none may
/// block. (The registry that drives these lives beside this file.)
public struct NetworkService {
    public var name: String
    /// Once, at registration: open listening ports through the context.
    public var doInit: (ServiceContext) -> Void
    /// A new connection was accepted on one of the service's ports.
    public var doAccept: (any Connection) -> ServiceDecision
    /// Data (or the peer's FIN) is ready to read.
    public var doReceive: (any Connection) -> ServiceDecision
    /// More send space opened on a connection whose last `send` did not take everything (or whose
    /// `sendSpace` the service found to be 0).
    public var doSendSpace: (any Connection) -> Void
    /// No byte moved (read or sent) within the connection's `receiveTimeout`. Close the connection, or
    /// keep it by assigning `receiveTimeout` again; if the callback does neither, the registry closes it.
    public var doTimeout: (any Connection) -> Void
    /// The alarm the service set with `Connection.wake(at:)` is due (once per setting). Unlike
    /// `doTimeout`, nothing happens to the connection if the callback does nothing.
    public var doWake: (any Connection) -> Void
    /// The connection is gone (closed in both directions, reset, or timed out by the kernel); the
    /// service drops its state. The connection must not be used after this.
    public var doClose: (any Connection) -> Void
    /// An outgoing connection from `ServiceContext.connect` is established.
    public var doConnect: (any Connection) -> ServiceDecision
    /// An outgoing connection could not be established (refused, unreachable, or closed by the service
    /// before it opened). It is gone: this replaces `doClose` for a connection that never opened.
    public var doConnectFail: (any Connection) -> Void
    /// The heartbeat, at the interval the service chose with `ServiceContext.beat(every:)`.
    public var doBeat: () -> Void
    /// Conditions the service should hear about but that belong to no callback above.
    public var doError: (ServiceError) -> Void
    /// Once, at a clean shutdown (the Daylight toolkit's `_exit_cb`): after the connections in flight
    /// finished or the grace period ended, before the machine powers off. Save or say what must be;
    /// connections still open are cut once it returns.
    public var doExit: () -> Void

    public init(name: String,
                doInit: @escaping (ServiceContext) -> Void,
                doAccept: @escaping (any Connection) -> ServiceDecision = { _ in .waitForData },
                doReceive: @escaping (any Connection) -> ServiceDecision,
                doSendSpace: @escaping (any Connection) -> Void = { _ in },
                doTimeout: @escaping (any Connection) -> Void = { $0.close() },
                doWake: @escaping (any Connection) -> Void = { _ in },
                doClose: @escaping (any Connection) -> Void = { _ in },
                doConnect: @escaping (any Connection) -> ServiceDecision = { _ in .waitForData },
                doConnectFail: @escaping (any Connection) -> Void = { _ in },
                doBeat: @escaping () -> Void = {},
                doError: @escaping (ServiceError) -> Void = { _ in },
                doExit: @escaping () -> Void = {}) {
        self.name = name; self.doInit = doInit; self.doAccept = doAccept; self.doReceive = doReceive
        self.doSendSpace = doSendSpace; self.doTimeout = doTimeout; self.doWake = doWake
        self.doClose = doClose
        self.doConnect = doConnect; self.doConnectFail = doConnectFail; self.doBeat = doBeat
        self.doError = doError; self.doExit = doExit
    }
}

/// What a service can ask of the kernel: in `doInit`, and from any callback if the service keeps it.
public protocol ServiceContext: AnyObject {
    /// The time of the registry poll running the current callback (`doInit`, `doBeat`, `doExit`...).
    var now: Instant { get }
    /// Listens on a TCP port; false if the port is taken or the listener table is full.
    func listen(port: UInt16, backlog: Int) -> Bool
    /// Starts an outgoing connection. The result arrives later as `doConnect` or `doConnectFail`; the
    /// returned connection can be given a `userState` and `receiveTimeout` now. Nil when refused at once
    /// (the connection table is full).
    func connect(to remote: Endpoint) -> (any Connection)?
    /// Calls `doBeat` every `interval` from now on (nil stops it).
    func beat(every interval: Interval?)
}

/// For contexts that only listen (test doubles written before outgoing connections and heartbeats existed):
/// `connect` refuses at once and `beat` never fires. The registry's own context implements both.
extension ServiceContext {
    public func connect(to remote: Endpoint) -> (any Connection)? { nil }
    public func beat(every interval: Interval?) {}
}

/// Conditions reported through `doError`.
public enum ServiceError: Equatable {
    /// A connection to the service's port was accepted by the transport but refused by the registry,
    /// whose connection table was full; it was reset.
    case connectionTableFull(port: UInt16)
    /// `doTimeout` returned without closing the connection, assigning its `receiveTimeout` or moving a
    /// byte, so the registry closed it.
    case closedAfterTimeout(peer: Endpoint)
}
