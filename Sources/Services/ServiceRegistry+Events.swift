import Bytes

/// Turning transport events and expired timers into pending work.
extension ServiceRegistry {
    func take(_ event: TransportEvent) {
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

    func known(_ id: StreamID) -> Conn? {
        guard let conn = streams[id] else { counters.unknownEvents += 1; return nil }
        return conn
    }

    // MARK: Timers

    func fireTimers() {
        // The table is scanned only when some deadline is actually due.
        if earliestConnectionDeadline() <= now {
            for case let conn? in slots where conn.deadline <= now {
                setDeadline(conn, .never)
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
}
