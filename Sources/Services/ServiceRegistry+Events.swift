import Bytes

/// Turning what the transport names into pending work: each change is looked at through readiness,
/// against what the registry last told the service, so callbacks follow from state and none depends on
/// an edge that could have been lost.
extension ServiceRegistry {
    func take(_ change: TransportChange) {
        switch change {
        case .listener(let id):
            guard let index = listenerIndex(id), !listeners[index].acceptQueued else { return }
            listeners[index].acceptQueued = true
            services[listeners[index].service].queue.push(.accept(id))
        case .stream(let id):
            // A stream the registry already finished (aborted, say) needs nothing more.
            guard let conn = streams[id] else { return }
            let readiness = transport.readiness(of: id)
            switch readiness.phase {
            case .connecting:
                return
            case .failed:
                counters.connectsFailed += 1
                finish(conn, with: .connectFailed)
            case .ended(let reason):
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
            case .open:
                if conn.phase == .connecting {
                    counters.connectsCompleted += 1
                    conn.phase = .open
                    rearmReceiveTimer(conn)
                    mark(conn, .connected)      // bytes that came with it are announced after doConnect
                    return
                }
                guard conn.phase == .open else { return }
                if readiness.available > conn.toldAvailable || (readiness.peerFinished && !conn.toldPeerFinished) {
                    mark(conn, .receive)
                }
                if conn.wantsSendSpace && readiness.sendSpace > 0 {
                    conn.wantsSendSpace = false
                    mark(conn, .sendSpace)
                }
            }
        }
    }

    // MARK: Timers

    /// Fires what is due, earliest first: the heap gives up only due timers, so nothing else is looked at.
    func fireTimers() {
        while let timer = timers.popDue(now) {
            // Only live connections' timers are set (`finish` cancels both), so the slot is occupied.
            guard let conn = slots[ConnectionTimer.slot(of: timer)] else { continue }
            if ConnectionTimer.kind(of: timer) == .alarm {
                counters.alarms += 1
                mark(conn, .wake)
                continue
            }
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
}
