import Bytes
import TCP
import Services

/// The TCP layer as the registry's `StreamTransport`: a direct mapping of handles, calls, TCP's changed
/// set and its readiness. A stream ID carries the slot's generation, so an ID the registry released is
/// never confused with the slot's next connection.
public final class TCPTransport: StreamTransport {
    public let tcp: TCPLayer
    /// The address outgoing connections leave from (the interface's, which DHCP may change).
    public var localAddress: () -> IPv4Address

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

    public func connect(to remote: Endpoint, now: Instant) throws(TransportError) -> StreamID {
        do throws(TCPError) {
            return TCPTransport.id(try tcp.connect(from: IPAddress(localAddress()), to: remote, now: now))
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

    public func sendSpace(_ stream: StreamID) -> Int { tcp.sendSpace(TCPTransport.handle(stream)) }

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
        try? tcp.abort(TCPTransport.handle(stream))
    }

    public func release(_ stream: StreamID) { tcp.release(TCPTransport.handle(stream)) }

    public func readiness(of stream: StreamID) -> StreamReadiness {
        guard let r = tcp.readiness(TCPTransport.handle(stream)) else { return StreamReadiness(phase: .ended(.reset)) }
        let phase: StreamPhase
        if let ended = r.ended {
            guard r.connected else { return StreamReadiness(phase: .failed) }
            switch ended {
            case .normal: phase = .ended(.normal)
            case .timeout: phase = .ended(.timeout)
            case .reset, .aborted, .addressLost: phase = .ended(.reset)
            }
        } else {
            phase = r.connected ? .open : .connecting
        }
        return StreamReadiness(phase: phase, available: r.available, peerFinished: r.peerFinished, sendSpace: r.sendSpace)
    }

    public var hasChanges: Bool { tcp.hasChanges }

    public func nextChange() -> TransportChange? {
        while let h = tcp.nextChanged() {
            guard tcp.isListener(h) else { return .stream(TCPTransport.id(h)) }
            if tcp.hasAcceptable(h) { return .listener(TCPTransport.listenerID(h)) }
        }
        return nil
    }
}
