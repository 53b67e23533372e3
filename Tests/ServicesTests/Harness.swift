import Bytes
import Services
import TestSupport

/// A registry over a memory transport on a virtual clock, as every test here uses it.
final class Bench {
    let clock = VirtualClock()
    let transport: MemoryTransport
    let registry: ServiceRegistry<MemoryTransport>

    init(limits: RegistryLimits = RegistryLimits(), transportLimits: MemoryTransportLimits = MemoryTransportLimits()) {
        transport = MemoryTransport(limits: transportLimits)
        registry = ServiceRegistry(transport: transport, limits: limits)
    }

    func register(_ service: NetworkService) {
        do { try registry.register(service, now: clock.now()) } catch { preconditionFailure("register failed") }
    }

    func poll() { registry.poll(now: clock.now()) }

    /// Polls until the registry has nothing left to do at the current instant (bounded).
    func settle(maxPolls: Int = 1000) {
        var polls = 0
        repeat { poll(); polls += 1 } while registry.nextDeadline() <= clock.now() && polls < maxPolls
    }

    /// Moves the clock and runs the registry as the main loop would: until nothing is due at that instant.
    func advance(to instant: Instant) { clock.advance(to: instant); settle() }
    func advance(by interval: Interval) { clock.advance(by: interval); settle() }

    func open(_ port: UInt16) -> MemoryPeer {
        do { return try transport.open(port: port) } catch { preconditionFailure("open failed") }
    }
}

/// Records every callback a service gets, and checks the registry's promises as they happen: never
/// re-entered, and each connection's final callback exactly once and last.
final class Recorder {
    enum Kind: Equatable { case accept, receive, sendSpace, timeout, wake, close, connect, connectFail, beat, error }
    struct Entry { let kind: Kind; let conn: ObjectIdentifier?; let at: Instant }

    let clock: VirtualClock
    private(set) var entries: [Entry] = []
    private(set) var depth = 0
    private(set) var maxDepth = 0
    private(set) var errors: [ServiceError] = []
    /// Every connection the service was handed, in order.
    private(set) var connections: [any Connection] = []
    /// Calls made on a connection after its final callback.
    private(set) var callbacksAfterFinal = 0
    private var finals: [ObjectIdentifier: Int] = [:]

    init(clock: VirtualClock) { self.clock = clock }

    func enter(_ kind: Kind, _ conn: (any Connection)?) {
        depth += 1
        maxDepth = max(maxDepth, depth)
        let id = conn.map { ObjectIdentifier($0) }
        if let id, finals[id] != nil { callbacksAfterFinal += 1 }
        if let conn, kind == .accept || kind == .connect, !connections.contains(where: { $0 === conn }) {
            connections.append(conn)
        }
        if let id, kind == .close || kind == .connectFail { finals[id, default: 0] += 1 }
        entries.append(Entry(kind: kind, conn: id, at: clock.now()))
    }

    func leave() { depth -= 1 }
    func error(_ e: ServiceError) { errors.append(e) }

    func count(_ kind: Kind) -> Int { entries.filter { $0.kind == kind }.count }
    func count(_ kind: Kind, on conn: any Connection) -> Int {
        entries.filter { $0.kind == kind && $0.conn == ObjectIdentifier(conn) }.count
    }
    func times(_ kind: Kind) -> [Instant] { entries.filter { $0.kind == kind }.map { $0.at } }
    /// The connections given `kind`, in the order the callbacks ran.
    func order(_ kind: Kind) -> [ObjectIdentifier?] { entries.filter { $0.kind == kind }.map { $0.conn } }
    func finalCount(_ conn: any Connection) -> Int { finals[ObjectIdentifier(conn)] ?? 0 }
}

/// A service whose behaviour each test supplies, wrapped so the recorder sees every callback.
struct Behaviour {
    var accept: (any Connection) -> ServiceDecision = { _ in .waitForData }
    var receive: (any Connection) -> ServiceDecision = { conn in
        _ = drain(conn)
        if conn.peerFinished { conn.close(); return .done }
        return .waitForData
    }
    var sendSpace: (any Connection) -> Void = { _ in }
    var timeout: (any Connection) -> Void = { $0.close() }
    var wake: (any Connection) -> Void = { _ in }
    var connect: (any Connection) -> ServiceDecision = { _ in .waitForData }
    var beat: () -> Void = {}
    var initialize: (ServiceContext) -> Void = { _ in }
}

func recordedService(name: String = "test", port: UInt16?, backlog: Int = 16, recorder: Recorder,
                     _ behaviour: Behaviour = Behaviour()) -> NetworkService {
    func wrap<R>(_ kind: Recorder.Kind, _ conn: any Connection, _ body: () -> R) -> R {
        recorder.enter(kind, conn); defer { recorder.leave() }
        return body()
    }
    return NetworkService(
        name: name,
        doInit: { context in
            if let port { _ = context.listen(port: port, backlog: backlog) }
            behaviour.initialize(context)
        },
        doAccept: { conn in wrap(.accept, conn) { behaviour.accept(conn) } },
        doReceive: { conn in wrap(.receive, conn) { behaviour.receive(conn) } },
        doSendSpace: { conn in wrap(.sendSpace, conn) { behaviour.sendSpace(conn) } },
        doTimeout: { conn in wrap(.timeout, conn) { behaviour.timeout(conn) } },
        doWake: { conn in wrap(.wake, conn) { behaviour.wake(conn) } },
        doClose: { conn in wrap(.close, conn) {} },
        doConnect: { conn in wrap(.connect, conn) { behaviour.connect(conn) } },
        doConnectFail: { conn in wrap(.connectFail, conn) {} },
        doBeat: { recorder.enter(.beat, nil); behaviour.beat(); recorder.leave() },
        doError: { e in recorder.enter(.error, nil); recorder.error(e); recorder.leave() })
}

/// Reads everything available.
func drain(_ conn: any Connection) -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64)
    while true {
        let n = buffer.withMutableByteView { conn.receive(into: $0) }
        if n == 0 { return out }
        out += buffer[0..<n]
    }
}

/// Reads at most `count` bytes.
func read(_ conn: any Connection, upTo count: Int) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: count)
    let n = buffer.withMutableByteView { conn.receive(into: $0) }
    return Array(buffer[0..<n])
}

@discardableResult
func send(_ conn: any Connection, _ bytes: [UInt8]) -> Int { bytes.withByteView { conn.send($0) } }

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// One end of the test's own user state.
final class Box<T> {
    var value: T
    init(_ value: T) { self.value = value }
}
