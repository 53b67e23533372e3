import Bytes

/// Why `register` refused a service.
public enum RegistryError: Error, Equatable {
    /// `RegistryLimits.maxServices` services are already registered.
    case serviceTableFull
    /// Called from inside a service callback (callbacks never run re-entrantly).
    case insideCallback
}

/// The socket-multiplexing service registry, after Toro's: services are records of callbacks, the
/// registry owns every stream of the transport and calls back when something happens.
///
/// Driven by `poll(now:)` from the main loop; `nextDeadline()` says when it must run again:
///
///     let registry = ServiceRegistry(transport: streams)      // TCP in the kernel, MemoryTransport in tests
///     try registry.register(EchoService.make(), now: clock.now())
///     loop: frames in; registry.poll(now: now); stack.poll(now) (timers, then every segment out); flush;
///           halt until min(stack's, registry.nextDeadline())
///
/// Dispatch rules (each is tested):
/// - Derived from readiness: the transport names what changed; the registry compares each one's
///   readiness with what it last told the service and queues at most one pending callback of each kind
///   per connection, so a storm of segments on one connection costs one callback.
/// - Fair: each service has a budget of `callbacksPerServicePerPoll` callbacks per poll, and services take
///   turns one callback at a time, starting from a rotating position. A connection whose callback read
///   some bytes but left more unread (or just reached the peer's FIN) is revisited on the *next* poll,
///   never in a loop inside this one; one whose callback read nothing waits for a new edge (send space,
///   more data) or its timeout, so a service waiting for room to send costs nothing while it waits.
/// - Never re-entrant: a callback runs to completion before the next starts. `close`/`abort` inside a
///   callback take effect after it returns; `poll` and `register` from inside a callback are refused.
/// - Bounded: a connection that makes no progress (no byte read or sent) for its `receiveTimeout` gets
///   `doTimeout`; if that leaves it open and unarmed, the registry closes it. A closed connection the
///   transport does not finish within `closeLinger` is aborted.
/// - Alarms: a service may set one alarm per connection (`Connection.wake(at:)`), apart from the idle
///   timeout; it gets `doWake` once it is due. Setting it again moves it, nil clears it, and closing the
///   connection clears it: a moved, cleared or closed connection's alarm never fires.
/// - Timed without scanning: every idle deadline, close linger and alarm is one entry in a heap
///   (`DeadlineHeap`), so `nextDeadline` and firing what is due never look at the other connections.
/// - Complete: every accepted or connected connection gets exactly one `doClose`; an outgoing one that
///   never opened gets exactly one `doConnectFail` instead.
public final class ServiceRegistry<Transport: StreamTransport> {
    typealias Conn = RegistryConnection<Transport>

    public let transport: Transport
    public let limits: RegistryLimits
    public internal(set) var counters = RegistryCounters()

    var services: [ServiceRecord<Transport>] = []
    /// Connection table: a slot per live connection (a fixed order, so dispatch is deterministic).
    var slots: [Conn?] = []
    var freeSlots: [Int] = []
    var liveCount = 0
    /// Streams the transport still knows, by ID (a finished connection is removed at once, so a reused
    /// ID can never reach it).
    var streams: [StreamID: Conn] = [:]
    /// A few at most (a service opens a port or two, and none is ever closed): a scan finds one, and a
    /// Dictionary keyed by ID would cost the image about 2.3 KB of its own hash-table code.
    var listeners: [ListenerRecord] = []

    /// The latest `now` seen; timers armed by services during callbacks count from it.
    public internal(set) var now: Instant = .zero
    var inCallback = false
    var deferredReleases: [Conn] = []
    var rotation = 0
    /// Every connection's idle deadline (receive timeout or close linger) and alarm, by `ConnectionTimer`.
    var timers = DeadlineHeap()

    public init(transport: Transport, limits: RegistryLimits = RegistryLimits()) {
        self.transport = transport
        self.limits = limits
    }

    /// Live connections (open, connecting, closing, or awaiting their final callback).
    public var connectionCount: Int { liveCount }

    // MARK: Registration

    /// Adds a service and runs its `doInit`, which opens its ports through the context it is given.
    public func register(_ service: NetworkService, now: Instant) throws(RegistryError) {
        guard !inCallback else { counters.reentryRefused += 1; throw .insideCallback }
        guard services.count < limits.maxServices else { throw .serviceTableFull }
        advanceClock(to: now)
        let index = services.count
        let record = ServiceRecord<Transport>(service: service)
        services.append(record)
        let context = RegistryContext(registry: self, service: index)
        counters.callbacks.initialize += 1
        invoke { service.doInit(context) }
    }

    // MARK: The main-loop interface

    /// At a clean shutdown: every service's `doExit`, once, in the order they registered; returns
    /// their names for the console. No callback follows a service's exit: a later `poll` only
    /// discards the transport's events. Refused (and counted) inside a callback; a second call does nothing.
    public func exit(now: Instant) -> [String] {
        if inCallback { counters.reentryRefused += 1; return [] }
        guard !exited else { return [] }
        advanceClock(to: now)
        exited = true
        for record in services {
            counters.callbacks.exit += 1
            invoke { record.service.doExit() }
        }
        return services.map { $0.service.name }
    }

    /// `exit` has run: the services are gone.
    public private(set) var exited = false

    /// Takes in every transport event, fires due timers, and runs the callbacks that are due, within
    /// each service's budget.
    public func poll(now: Instant) {
        guard !inCallback else { counters.reentryRefused += 1; return }
        if exited {
            while transport.nextChange() != nil {}
            return
        }
        advanceClock(to: now)
        for record in services { promoteRevisits(record) }
        while let change = transport.nextChange() { take(change) }
        fireTimers()
        dispatch()
    }

    /// When `poll` must run next: `.zero` if work is waiting now (events, callbacks held back by the
    /// budget, revisits), else the earliest receive timeout, close linger, alarm or heartbeat; `.never`
    /// when idle.
    public func nextDeadline() -> Instant {
        if exited { return .never }
        if transport.hasChanges { return .zero }
        var earliest = Instant.never
        for record in services {
            if !record.queue.isEmpty || !record.revisits.isEmpty { return .zero }
            earliest = min(earliest, record.nextBeat)
        }
        return min(earliest, timers.earliest)
    }

    func advanceClock(to instant: Instant) {
        if instant > now { now = instant }
    }

    // MARK: Context requests

    func listen(service: Int, port: UInt16, backlog: Int) -> Bool {
        do {
            let id = try transport.listen(port: port, backlog: backlog)
            listeners.append(ListenerRecord(id: id, service: service, port: port))
            return true
        } catch {
            counters.listenFailures += 1
            return false
        }
    }

    func connect(service: Int, to remote: Endpoint) -> (any Connection)? {
        guard let slot = takeSlot() else { counters.connectsRefused += 1; return nil }
        let stream: StreamID
        do {
            stream = try transport.connect(to: remote, now: now)
        } catch {
            returnSlot(slot)
            counters.connectsRefused += 1
            return nil
        }
        let conn = Conn(registry: self, stream: stream, service: service, slot: slot, phase: .connecting,
                        receiveTimeout: limits.defaultReceiveTimeout)
        install(conn)
        counters.connectsStarted += 1
        return conn
    }

    func setBeat(service: Int, every requested: Interval?) {
        let record = services[service]
        let interval = requested.map { max($0, limits.minimumBeatInterval) }
        record.beatInterval = interval
        record.nextBeat = interval.map { now + $0 } ?? .never
    }

    func listenerIndex(_ id: ListenerID) -> Int? {
        for index in listeners.indices where listeners[index].id == id { return index }
        return nil
    }

    // MARK: Requests from connections

    /// A read or send moved bytes: the connection is alive, so its receive timer starts again.
    func noteProgress(_ conn: Conn) {
        if conn.phase == .open { rearmReceiveTimer(conn) }
    }

    func rearmReceiveTimer(_ conn: Conn) {
        guard conn.phase == .open else { return }
        setDeadline(conn, conn.receiveTimeout.map { now + $0 } ?? .never)
    }

    func requestRelease(_ conn: Conn, _ release: ReleaseRequest) {
        switch conn.phase {
        case .finished: return
        case .closing where release == .close: return
        default: break
        }
        if conn.requestedRelease != .abort { conn.requestedRelease = release }
        if inCallback {
            if !conn.releaseDeferred { conn.releaseDeferred = true; deferredReleases.append(conn) }
        } else {
            applyRelease(conn)
        }
    }

    func applyRelease(_ conn: Conn) {
        guard let release = conn.requestedRelease else { return }
        switch (release, conn.phase) {
        case (_, .finished):
            return
        case (.close, .closing):
            return
        case (.close, .open):
            transport.close(conn.stream)
            conn.phase = .closing
            setAlarm(conn, .never)
            setDeadline(conn, now + limits.closeLinger)
        case (.close, .connecting), (.abort, _):
            // Before the handshake completes there is nothing to release in order, so a close is an abort.
            let wasConnecting = conn.phase == .connecting
            transport.abort(conn.stream)
            counters.aborts += 1
            finish(conn, with: wasConnecting ? .connectFailed : .closed)
        }
    }

    // MARK: Connection table

    func mark(_ conn: Conn, _ work: PendingWork) {
        if work == .receive {
            conn.toldAvailable = conn.available
            conn.toldPeerFinished = conn.peerFinished
        }
        conn.pending.insert(work)
        enqueue(conn)
    }

    func enqueue(_ conn: Conn) {
        guard !conn.queued else { return }
        conn.queued = true
        services[conn.service].queue.push(.connection(conn))
    }

    /// Every change of a connection's idle deadline goes through here, to keep it in `timers`.
    func setDeadline(_ conn: Conn, _ deadline: Instant) {
        conn.deadline = deadline
        timers.set(ConnectionTimer.idle.of(conn.slot), at: deadline)
    }

    /// Sets, moves (or, with `.never`, clears) the service's alarm on `conn`. A `doWake` already queued
    /// for the alarm it replaces is withdrawn: only the alarm set last can fire.
    func setAlarm(_ conn: Conn, _ instant: Instant) {
        conn.pending.remove(.wake)
        timers.set(ConnectionTimer.alarm.of(conn.slot), at: instant)
    }

    /// The stream is gone: forget its ID and leave only the terminal callback. An outgoing connection
    /// that dies before its `doConnect` was delivered never opened as far as the service knows, so it
    /// ends in `doConnectFail`, not in a `doClose` without a `doConnect` before it.
    func finish(_ conn: Conn, with terminal: PendingWork) {
        streams[conn.stream] = nil
        transport.release(conn.stream)
        conn.phase = .finished
        setDeadline(conn, .never)
        setAlarm(conn, .never)
        conn.pending = conn.pending.contains(.connected) ? .connectFailed : terminal
        enqueue(conn)
    }

    func install(_ conn: Conn) {
        slots[conn.slot] = conn
        streams[conn.stream] = conn
    }

    /// After the terminal callback: the slot is free. The service may still hold the object; it is inert.
    func release(_ conn: Conn) {
        slots[conn.slot] = nil
        returnSlot(conn.slot)
        conn.userState = nil
    }

    func takeSlot() -> Int? {
        guard liveCount < limits.maxConnections else { return nil }
        liveCount += 1
        if let slot = freeSlots.popLast() { return slot }
        slots.append(nil)
        return slots.count - 1
    }

    func returnSlot(_ slot: Int) {
        liveCount -= 1
        freeSlots.append(slot)
    }
}
