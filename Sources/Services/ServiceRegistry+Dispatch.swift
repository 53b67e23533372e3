import Bytes

/// Running pending work as callbacks: fair turns, budgets, and the rules around each callback.
extension ServiceRegistry {
    func dispatch() {
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

    func run(_ work: Work<Transport>, service index: Int) {
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

    func acceptOne(_ id: ListenerID, service index: Int) {
        guard let listenerIndex = listenerIndex(id) else { return }
        listeners[listenerIndex].acceptQueued = false
        guard let stream = transport.accept(id) else { return }
        // Edge-triggered: one `acceptable` may stand for many queued connections; come back for the rest
        // on this service's next turn.
        listeners[listenerIndex].acceptQueued = true
        let listener = listeners[listenerIndex]
        let record = services[index]
        record.queue.push(.accept(id))

        guard let slot = takeSlot() else {
            transport.abort(stream)
            transport.release(stream)
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

    /// Bytes or a FIN that arrived before the service heard of the connection (before accept, or with
    /// the handshake's last segment) get their `doReceive` right after `doAccept`/`doConnect`.
    func announceEarlyArrivals(_ conn: Conn) {
        guard conn.phase == .open else { return }
        if transport.available(conn.stream) > 0 || transport.peerFinished(conn.stream) { mark(conn, .receive) }
    }

    func runConnection(_ conn: Conn) {
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
                conn.timeoutAssigned = false
                notify(conn, record.service.doTimeout)
                // Kept only if the service decided so: assigned a timeout, or moved bytes (re-arming it).
                let kept = conn.timeoutAssigned || conn.deadline != .never
                if conn.phase == .open && !kept && conn.requestedRelease == nil {
                    counters.closedAfterTimeout += 1
                    requestRelease(conn, .close)
                    report(.closedAfterTimeout(peer: conn.peer), to: record)
                }
            }
        } else if conn.pending.contains(.sendSpace) {
            conn.pending.remove(.sendSpace)
            if conn.phase == .open {
                counters.callbacks.sendSpace += 1
                notify(conn, record.service.doSendSpace)
            }
        } else if conn.pending.contains(.wake) {
            conn.pending.remove(.wake)
            // Closing the connection cleared the alarm and withdrew this; the check is for the phase.
            if conn.phase == .open || conn.phase == .connecting {
                counters.callbacks.wake += 1
                notify(conn, record.service.doWake)
            }
        }
        if !conn.pending.isEmpty { enqueue(conn) }
    }

    /// A callback about `conn` that returns nothing (`doTimeout`, `doSendSpace`, `doWake`): one body for all.
    func notify(_ conn: Conn, _ callback: (any Connection) -> Void) {
        invoke(on: conn) { callback(conn) }
    }

    /// `.done` means the service is finished with the connection; if it did not close it, we do.
    func settle(_ conn: Conn, after decision: ServiceDecision) {
        if decision == .done && conn.phase == .open && conn.requestedRelease == nil {
            requestRelease(conn, .close)
        }
    }

    func report(_ error: ServiceError, to record: ServiceRecord<Transport>) {
        counters.callbacks.error += 1
        invoke { record.service.doError(error) }
    }

    // MARK: Callbacks

    /// Runs one callback with re-entry barred, then applies the closes and aborts it asked for.
    @discardableResult
    func invoke<R>(_ body: () -> R) -> R {
        inCallback = true
        let result = body()
        inCallback = false
        // Almost every callback releases nothing: copying the list and emptying the original would
        // allocate a fresh buffer for it each time (the copy shares the old one).
        if !deferredReleases.isEmpty { applyDeferredReleases() }
        return result
    }

    /// Apart from `invoke`, which the compiler copies for every callback it runs (the callback's
    /// closure specialised in), so that this loop is in the image once, not nine times.
    @inline(never)
    func applyDeferredReleases() {
        let releases = deferredReleases
        deferredReleases = []
        for conn in releases {
            conn.releaseDeferred = false
            applyRelease(conn)
        }
    }

    /// A callback about `conn`: afterwards, if it read something but left bytes unread, the connection
    /// is revisited on the next poll (not now: that would let one connection spin through the budget).
    /// Reading the last byte before the peer's FIN also earns a revisit: the FIN's edge came while bytes
    /// were still queued, and the service must get a turn in which it sees the end of the stream.
    @discardableResult
    func invoke<R>(on conn: Conn, _ body: () -> R) -> R {
        conn.consumedDuringCallback = false
        let result = invoke(body)
        noteCallbackReturned(conn)
        return result
    }

    /// The end of `invoke(on:_:)`, apart for the same reason as `applyDeferredReleases`.
    @inline(never)
    func noteCallbackReturned(_ conn: Conn) {
        // What the service has now been told: only more than this is news for `take`.
        conn.toldAvailable = conn.available
        conn.toldPeerFinished = conn.peerFinished
        if conn.consumedDuringCallback && conn.phase == .open && !conn.revisitQueued
            && (transport.available(conn.stream) > 0 || transport.peerFinished(conn.stream)) {
            conn.revisitQueued = true
            services[conn.service].revisits.append(conn)
        }
    }

    func promoteRevisits(_ record: ServiceRecord<Transport>) {
        guard !record.revisits.isEmpty else { return }
        let revisits = record.revisits
        record.revisits = []
        for conn in revisits {
            conn.revisitQueued = false
            if conn.phase == .open { mark(conn, .receive) }
        }
    }
}
