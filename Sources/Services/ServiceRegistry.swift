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
/// Driven by `poll(now:)` from the main loop; `nextDeadline()` says when it must run again.
///
/// Dispatch rules (each is tested):
/// - Edge-aware: the transport reports changes; the registry turns them into at most one pending
///   callback of each kind per connection, so an event storm on one connection costs one callback.
/// - Fair: each service has a budget of `callbacksPerServicePerPoll` callbacks per poll, and services take
///   turns one callback at a time, starting from a rotating position. A connection whose callback read
///   some bytes but left more unread is revisited on the *next* poll, never in a loop inside this one;
///   one whose callback read nothing waits for a new edge (or its timeout).
/// - Never re-entrant: a callback runs to completion before the next starts. `close`/`abort` inside a
///   callback take effect after it returns; `poll` and `register` from inside a callback are refused.
/// - Bounded: a connection that makes no progress (no byte read or sent) for its `receiveTimeout` gets
///   `doTimeout`; if that leaves it open and unarmed, the registry closes it. A closed connection the
///   transport does not finish within `closeLinger` is aborted.
/// - Complete: every accepted or connected connection gets exactly one `doClose`; an outgoing one that
///   never opened gets exactly one `doConnectFail` instead.
public final class ServiceRegistry<Transport: StreamTransport> {
    typealias Conn = RegistryConnection<Transport>

    public let transport: Transport
    public let limits: RegistryLimits
    public private(set) var counters = RegistryCounters()

    private var services: [ServiceRecord<Transport>] = []
    /// Connection table: a slot per live connection (a fixed order, so dispatch is deterministic).
    private var slots: [Conn?] = []
    private var freeSlots: [Int] = []
    private var liveCount = 0
    /// Streams the transport still knows, by ID (a finished connection is removed at once, so a reused
    /// ID can never reach it).
    private var streams: [StreamID: Conn] = [:]
    private var listeners: [ListenerID: ListenerRecord] = [:]

    /// The latest `now` seen; timers armed by services during callbacks count from it.
    public private(set) var now: Instant = .zero
    private var inCallback = false
    private var deferredReleases: [Conn] = []
    private var rotation = 0

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

    /// Takes in every transport event, fires due timers, and runs the callbacks that are due, within
    /// each service's budget.
    public func poll(now: Instant) {
        guard !inCallback else { counters.reentryRefused += 1; return }
        advanceClock(to: now)
        for record in services { promoteRevisits(record) }
        while let event = transport.nextEvent() { take(event) }
        fireTimers()
        dispatch()
    }

    /// When `poll` must run next: `now` (the last poll's instant) if work is waiting, else the earliest
    /// receive timeout, close linger or heartbeat; `.never` when idle.
    public func nextDeadline() -> Instant {
        if transport.hasPendingEvents { return now }
        var earliest = Instant.never
        for record in services {
            if !record.queue.isEmpty || !record.revisits.isEmpty { return now }
            earliest = min(earliest, record.nextBeat)
        }
        for case let conn? in slots { earliest = min(earliest, conn.deadline) }
        return earliest
    }

    private func advanceClock(to instant: Instant) {
        if instant > now { now = instant }
    }

    // MARK: Context requests

    func listen(service: Int, port: UInt16, backlog: Int) -> Bool {
        do {
            let id = try transport.listen(port: port, backlog: backlog)
            listeners[id] = ListenerRecord(service: service, port: port)
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
            stream = try transport.connect(to: remote)
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

    func setBeat(service: Int, every interval: Interval?) {
        let record = services[service]
        record.beatInterval = interval
        record.nextBeat = interval.map { now + $0 } ?? .never
    }

    // MARK: Requests from connections

    /// A read or send moved bytes: the connection is alive, so its receive timer starts again.
    func noteProgress(_ conn: Conn) {
        if conn.phase == .open { rearmReceiveTimer(conn) }
    }

    func rearmReceiveTimer(_ conn: Conn) {
        guard conn.phase == .open else { return }
        conn.deadline = conn.receiveTimeout.map { now + $0 } ?? .never
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

    private func applyRelease(_ conn: Conn) {
        guard let release = conn.requestedRelease else { return }
        switch (release, conn.phase) {
        case (_, .finished):
            return
        case (.close, .closing):
            return
        case (.close, .open):
            transport.close(conn.stream)
            conn.phase = .closing
            conn.deadline = now + limits.closeLinger
        case (.close, .connecting), (.abort, _):
            // Before the handshake completes there is nothing to release in order, so a close is an abort.
            let wasConnecting = conn.phase == .connecting
            transport.abort(conn.stream)
            counters.aborts += 1
            finish(conn, with: wasConnecting ? .connectFailed : .closed)
        }
    }

    // MARK: Transport events

    private func take(_ event: TransportEvent) {
        switch event {
        case .acceptable(let id):
            guard var listener = listeners[id] else { counters.unknownEvents += 1; return }
            if !listener.acceptQueued {
                listener.acceptQueued = true
                listeners[id] = listener
                services[listener.service].queue.push(.accept(id))
            }
        case .readable(let id), .peerFinished(let id):
            guard let conn = known(id) else { return }
            if conn.phase == .open { mark(conn, .receive) }
        case .writable(let id):
            guard let conn = known(id) else { return }
            if conn.phase == .open && conn.wantsSendSpace {
                conn.wantsSendSpace = false
                mark(conn, .sendSpace)
            }
        case .closed(let id, let reason):
            guard let conn = known(id) else { return }
            switch reason {
            case .normal: counters.normalCloses += 1
            case .reset: counters.resets += 1
            case .timeout: counters.transportTimeouts += 1
            }
            if conn.phase == .connecting {
                counters.connectsFailed += 1
                finish(conn, with: .connectFailed)
            } else {
                finish(conn, with: .closed)
            }
        case .connected(let id):
            guard let conn = known(id), conn.phase == .connecting else { counters.unknownEvents += 1; return }
            counters.connectsCompleted += 1
            conn.phase = .open
            rearmReceiveTimer(conn)
            mark(conn, .connected)
        case .connectFailed(let id):
            guard let conn = known(id) else { return }
            counters.connectsFailed += 1
            finish(conn, with: .connectFailed)
        }
    }

    private func known(_ id: StreamID) -> Conn? {
        guard let conn = streams[id] else { counters.unknownEvents += 1; return nil }
        return conn
    }

    // MARK: Timers

    private func fireTimers() {
        for case let conn? in slots where conn.deadline <= now {
            conn.deadline = .never
            switch conn.phase {
            case .open:
                counters.timeouts += 1
                mark(conn, .timeout)
            case .closing:
                counters.lingerAborts += 1
                conn.requestedRelease = .abort
                applyRelease(conn)
            case .connecting, .finished:
                break
            }
        }
        for record in services where record.nextBeat <= now {
            if !record.beatQueued { record.beatQueued = true; record.queue.push(.beat) }
            // Keep the beat on its grid (no drift); after a long stall, skip missed beats instead of
            // delivering a burst.
            guard let interval = record.beatInterval else { record.nextBeat = .never; continue }
            let next = record.nextBeat + interval
            record.nextBeat = next > now ? next : now + interval
        }
    }

    // MARK: Dispatch

    private func dispatch() {
        let count = services.count
        guard count > 0 else { return }
        var budget = [Int](repeating: limits.callbacksPerServicePerPoll, count: count)
        var progressed = true
        while progressed {
            progressed = false
            for turn in 0..<count {
                let index = (rotation + turn) % count
                guard budget[index] > 0, let work = services[index].queue.pop() else { continue }
                budget[index] -= 1
                progressed = true
                run(work, service: index)
            }
        }
        rotation = (rotation + 1) % count
        if services.contains(where: { !$0.queue.isEmpty }) { counters.budgetExhausted += 1 }
    }

    private func run(_ work: Work<Transport>, service index: Int) {
        switch work {
        case .beat:
            let record = services[index]
            record.beatQueued = false
            counters.callbacks.beat += 1
            invoke { record.service.doBeat() }
        case .accept(let id):
            acceptOne(id, service: index)
        case .connection(let conn):
            conn.queued = false
            runConnection(conn)
        }
    }

    private func acceptOne(_ id: ListenerID, service index: Int) {
        guard var listener = listeners[id] else { return }
        listener.acceptQueued = false
        listeners[id] = listener
        guard let stream = transport.accept(id) else { return }
        // Edge-triggered: one `acceptable` may stand for many queued connections; come back for the rest
        // on this service's next turn.
        listener.acceptQueued = true
        listeners[id] = listener
        let record = services[index]
        record.queue.push(.accept(id))

        guard let slot = takeSlot() else {
            transport.abort(stream)
            counters.refused += 1
            report(.connectionTableFull(port: listener.port), to: record)
            return
        }
        let conn = Conn(registry: self, stream: stream, service: index, slot: slot, phase: .open,
                        receiveTimeout: limits.defaultReceiveTimeout)
        install(conn)
        rearmReceiveTimer(conn)
        counters.accepted += 1
        counters.callbacks.accept += 1
        let decision = invoke(on: conn) { record.service.doAccept(conn) }
        settle(conn, after: decision)
        announceEarlyArrivals(conn)
    }

    /// The transport does not announce bytes or a FIN that arrived before accept/connect completed.
    private func announceEarlyArrivals(_ conn: Conn) {
        guard conn.phase == .open else { return }
        if transport.available(conn.stream) > 0 || transport.peerFinished(conn.stream) { mark(conn, .receive) }
    }

    private func runConnection(_ conn: Conn) {
        let record = services[conn.service]
        if conn.pending.contains(.connectFailed) {
            conn.pending = []
            counters.callbacks.connectFail += 1
            invoke { record.service.doConnectFail(conn) }
            release(conn)
            return
        }
        if conn.pending.contains(.closed) {
            conn.pending = []
            counters.callbacks.close += 1
            invoke { record.service.doClose(conn) }
            release(conn)
            return
        }
        if conn.pending.contains(.connected) {
            conn.pending.remove(.connected)
            counters.callbacks.connect += 1
            let decision = invoke(on: conn) { record.service.doConnect(conn) }
            settle(conn, after: decision)
            announceEarlyArrivals(conn)
        } else if conn.pending.contains(.receive) {
            conn.pending.remove(.receive)
            if conn.phase == .open {
                counters.callbacks.receive += 1
                let decision = invoke(on: conn) { record.service.doReceive(conn) }
                settle(conn, after: decision)
            }
        } else if conn.pending.contains(.timeout) {
            conn.pending.remove(.timeout)
            // A read or send since the timer fired re-armed it: the connection is not idle after all.
            if conn.phase == .open && conn.deadline == .never {
                counters.callbacks.timeout += 1
                invoke(on: conn) { record.service.doTimeout(conn) }
                if conn.phase == .open && conn.deadline == .never && conn.requestedRelease == nil {
                    counters.closedAfterTimeout += 1
                    requestRelease(conn, .close)
                    report(.closedAfterTimeout(peer: conn.peer), to: record)
                }
            }
        } else if conn.pending.contains(.sendSpace) {
            conn.pending.remove(.sendSpace)
            if conn.phase == .open {
                counters.callbacks.sendSpace += 1
                invoke(on: conn) { record.service.doSendSpace(conn) }
            }
        }
        if !conn.pending.isEmpty { enqueue(conn) }
    }

    /// `.done` means the service is finished with the connection; if it did not close it, we do.
    private func settle(_ conn: Conn, after decision: ServiceDecision) {
        if decision == .done && conn.phase == .open && conn.requestedRelease == nil {
            requestRelease(conn, .close)
        }
    }

    private func report(_ error: ServiceError, to record: ServiceRecord<Transport>) {
        counters.callbacks.error += 1
        invoke { record.service.doError(error) }
    }

    // MARK: Callbacks

    /// Runs one callback with re-entry barred, then applies the closes and aborts it asked for.
    @discardableResult
    private func invoke<R>(_ body: () -> R) -> R {
        inCallback = true
        let result = body()
        inCallback = false
        let releases = deferredReleases
        deferredReleases.removeAll(keepingCapacity: true)
        for conn in releases {
            conn.releaseDeferred = false
            applyRelease(conn)
        }
        return result
    }

    /// A callback about `conn`: afterwards, if it read something but left bytes unread, the connection
    /// is revisited on the next poll (not now: that would let one connection spin through the budget).
    @discardableResult
    private func invoke<R>(on conn: Conn, _ body: () -> R) -> R {
        conn.consumedDuringCallback = false
        let result = invoke(body)
        if conn.consumedDuringCallback && conn.phase == .open && !conn.revisitQueued
            && transport.available(conn.stream) > 0 {
            conn.revisitQueued = true
            services[conn.service].revisits.append(conn)
        }
        return result
    }

    private func promoteRevisits(_ record: ServiceRecord<Transport>) {
        guard !record.revisits.isEmpty else { return }
        let revisits = record.revisits
        record.revisits.removeAll(keepingCapacity: true)
        for conn in revisits {
            conn.revisitQueued = false
            if conn.phase == .open { mark(conn, .receive) }
        }
    }

    // MARK: Connection table

    private func mark(_ conn: Conn, _ work: PendingWork) {
        conn.pending.insert(work)
        enqueue(conn)
    }

    private func enqueue(_ conn: Conn) {
        guard !conn.queued else { return }
        conn.queued = true
        services[conn.service].queue.push(.connection(conn))
    }

    /// The stream is gone: forget its ID and leave only the terminal callback.
    private func finish(_ conn: Conn, with terminal: PendingWork) {
        streams[conn.stream] = nil
        conn.phase = .finished
        conn.deadline = .never
        conn.pending = terminal
        enqueue(conn)
    }

    private func install(_ conn: Conn) {
        slots[conn.slot] = conn
        streams[conn.stream] = conn
    }

    /// After the terminal callback: the slot is free. The service may still hold the object; it is inert.
    private func release(_ conn: Conn) {
        slots[conn.slot] = nil
        returnSlot(conn.slot)
        conn.userState = nil
    }

    private func takeSlot() -> Int? {
        guard liveCount < limits.maxConnections else { return nil }
        liveCount += 1
        if let slot = freeSlots.popLast() { return slot }
        slots.append(nil)
        return slots.count - 1
    }

    private func returnSlot(_ slot: Int) {
        liveCount -= 1
        freeSlots.append(slot)
    }
}

/// One registered service and its scheduling state.
final class ServiceRecord<Transport: StreamTransport> {
    let service: NetworkService
    /// Work waiting for a callback, oldest first.
    var queue = FIFO<Work<Transport>>()
    /// Connections to look at again on the next poll (bytes left unread after progress).
    var revisits: [RegistryConnection<Transport>] = []
    var beatInterval: Interval?
    var nextBeat: Instant = .never
    var beatQueued = false

    init(service: NetworkService) { self.service = service }
}

/// A unit of work for a service; each costs one callback of its budget.
enum Work<Transport: StreamTransport> {
    case connection(RegistryConnection<Transport>)
    case accept(ListenerID)
    case beat
}

/// A listening port and the service that owns it.
struct ListenerRecord {
    let service: Int
    let port: UInt16
    var acceptQueued = false
}
