import Bytes
import TCP
import Services

/// The TCP layer as the registry's `StreamTransport`: a direct mapping of handles, calls and the
/// edge-triggered event queue, plus the two lifetime rules the registry relies on:
/// - after `abort`, nothing more is reported for that stream (TCP's own `.closed(.aborted)` is eaten);
/// - a handle is released back to TCP as soon as its terminal event has been passed on, so a stream
///   ID is never reused while an older event about it could still be queued (TCP bumps the slot's
///   generation, and the ID carries it).
public final class TCPTransport: StreamTransport {
    public let tcp: TCPLayer
    /// The address outgoing connections leave from (the interface's, which DHCP may change).
    public var localAddress: () -> IPv4Address
    /// The time of the current main-loop turn (set by the owner before the registry polls).
    public var now: Instant = .zero
    private var aborted: Set<TCPHandle> = []

    public init(tcp: TCPLayer, localAddress: @escaping () -> IPv4Address) {
        self.tcp = tcp
        self.localAddress = localAddress
    }

    static func id(_ h: TCPHandle) -> StreamID { StreamID(UInt64(h.generation) << 32 | UInt64(h.index)) }
    static func handle(_ s: StreamID) -> TCPHandle {
        TCPHandle(index: UInt32(truncatingIfNeeded: s.raw), generation: UInt32(truncatingIfNeeded: s.raw >> 32))
    }
    static func listenerID(_ h: TCPHandle) -> ListenerID { ListenerID(UInt64(h.generation) << 32 | UInt64(h.index)) }
    static func handle(_ l: ListenerID) -> TCPHandle {
        TCPHandle(index: UInt32(truncatingIfNeeded: l.raw), generation: UInt32(truncatingIfNeeded: l.raw >> 32))
    }

    public func listen(port: UInt16, backlog: Int) throws(TransportError) -> ListenerID {
        do throws(TCPError) {
            return TCPTransport.listenerID(try tcp.listen(port: port, backlog: backlog))
        } catch {
            switch error {
            case .portInUse: throw .portInUse
            case .listenerLimit: throw .listenerTableFull
            default: throw .invalidArgument
            }
        }
    }

    public func accept(_ listener: ListenerID) -> StreamID? {
        guard let h = try? tcp.accept(TCPTransport.handle(listener)) else { return nil }
        return TCPTransport.id(h)
    }

    public func connect(to remote: Endpoint) throws(TransportError) -> StreamID {
        do throws(TCPError) {
            return TCPTransport.id(try tcp.connect(from: localAddress(), to: remote, now: now))
        } catch {
            switch error {
            case .connectionLimit, .memoryLimit, .noEphemeralPort: throw .streamTableFull
            default: throw .invalidArgument
            }
        }
    }

    public func localEndpoint(of stream: StreamID) -> Endpoint {
        tcp.localEndpoint(TCPTransport.handle(stream)) ?? Endpoint(.any, 0)
    }

    public func peerEndpoint(of stream: StreamID) -> Endpoint {
        tcp.remoteEndpoint(TCPTransport.handle(stream)) ?? Endpoint(.any, 0)
    }

    public func available(_ stream: StreamID) -> Int { tcp.available(TCPTransport.handle(stream)) }
    public func peerFinished(_ stream: StreamID) -> Bool { tcp.isPeerFinished(TCPTransport.handle(stream)) }

    public func receive(_ stream: StreamID, into destination: MutableByteView) -> Int {
        (try? tcp.receive(TCPTransport.handle(stream), into: destination)) ?? 0
    }

    public func peek(_ stream: StreamID, into destination: MutableByteView) -> Int {
        (try? tcp.peek(TCPTransport.handle(stream), into: destination)) ?? 0
    }

    public func sendSpace(_ stream: StreamID) -> Int { tcp.sendSpaceArmingWritable(TCPTransport.handle(stream)) }

    public func send(_ stream: StreamID, _ bytes: ByteView) -> Int {
        (try? tcp.send(TCPTransport.handle(stream), bytes)) ?? 0
    }

    public func send(_ stream: StreamID, upTo maximum: Int, fill: (MutableByteView) -> Int) -> Int {
        (try? tcp.send(TCPTransport.handle(stream), upTo: maximum, fill: fill)) ?? 0
    }

    public func close(_ stream: StreamID) {
        try? tcp.close(TCPTransport.handle(stream))
    }

    public func abort(_ stream: StreamID) {
        let h = TCPTransport.handle(stream)
        guard tcp.state(h) != nil else { return }
        try? tcp.abort(h)
        aborted.insert(h)
    }

    public var hasPendingEvents: Bool { tcp.hasPendingEvents }

    public func nextEvent() -> TransportEvent? {
        while let event = tcp.nextEvent() {
            if let h = event.liveHandle, aborted.contains(h) { continue }   // the registry forgot it
            switch event {
            case .acceptable(let l): return .acceptable(TCPTransport.listenerID(l))
            case .connected(let h): return .connected(TCPTransport.id(h))
            case .readable(let h): return .readable(TCPTransport.id(h))
            case .writable(let h): return .writable(TCPTransport.id(h))
            case .peerFinished(let h): return .peerFinished(TCPTransport.id(h))
            case .connectFailed(let h, _):
                tcp.release(h)
                if aborted.remove(h) != nil { continue }
                return .connectFailed(TCPTransport.id(h))
            case .closed(let h, let reason):
                tcp.release(h)
                if aborted.remove(h) != nil { continue }
                switch reason {
                case .normal: return .closed(TCPTransport.id(h), .normal)
                case .timeout: return .closed(TCPTransport.id(h), .timeout)
                case .reset, .aborted, .addressLost: return .closed(TCPTransport.id(h), .reset)
                }
            }
        }
        return nil
    }
}

extension TCPEvent {
    /// The connection a non-terminal event is about (nil for listener and terminal events).
    var liveHandle: TCPHandle? {
        switch self {
        case .connected(let h), .readable(let h), .writable(let h), .peerFinished(let h): return h
        case .acceptable, .connectFailed, .closed: return nil
        }
    }
}
