import Bytes

/// What the service wants after `doAccept` or `doReceive`.
public enum ServiceDecision {
    /// Keep the connection; call `doReceive` when data arrives (or `doTimeout` after `receiveTimeout`).
    case waitForData
    /// The service has closed or aborted the connection itself; forget it.
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
    /// More send space opened on a connection whose last `send` did not take everything.
    public var doSendSpace: (any Connection) -> Void
    /// No data arrived within the connection's `receiveTimeout`.
    public var doTimeout: (any Connection) -> Void
    /// The connection is gone (closed in both directions, reset, or timed out by the kernel); the
    /// service drops its state. The connection must not be used after this.
    public var doClose: (any Connection) -> Void

    public init(name: String,
                doInit: @escaping (ServiceContext) -> Void,
                doAccept: @escaping (any Connection) -> ServiceDecision = { _ in .waitForData },
                doReceive: @escaping (any Connection) -> ServiceDecision,
                doSendSpace: @escaping (any Connection) -> Void = { _ in },
                doTimeout: @escaping (any Connection) -> Void = { $0.close() },
                doClose: @escaping (any Connection) -> Void = { _ in }) {
        self.name = name; self.doInit = doInit; self.doAccept = doAccept; self.doReceive = doReceive
        self.doSendSpace = doSendSpace; self.doTimeout = doTimeout; self.doClose = doClose
    }
}

/// What a service can ask of the kernel in `doInit`.
public protocol ServiceContext: AnyObject {
    /// Listens on a TCP port; false if the port is taken or the listener table is full.
    func listen(port: UInt16, backlog: Int) -> Bool
}
