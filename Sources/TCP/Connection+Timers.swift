import Bytes

/// Timers: retransmission (RFC 6298), persist (zero-window probing), delayed ACK, keepalive
/// (RFC 9293 3.8.4). Each reports a deadline; `timersExpired` runs the ones that are due.
extension Connection {
    /// When this connection next needs `timersExpired` (output waiting is the layer's `hasOutput`).
    var nextDeadline: Instant {
        min(sendTimer.deadline, ackDeadline, keepaliveDeadline, bufferTrimDeadline)
    }

    /// Keepalive probes only on an idle, established connection whose application asked for them: the
    /// first after `keepaliveIdle` of silence, each further one `keepaliveInterval` after the last was
    /// sent (not after the silence began: a main loop that ran late, a VM that was paused, must not
    /// find several probes due at once).
    private var keepaliveDeadline: Instant {
        guard keepaliveEnabled, state == .established || state == .closeWait, snd.max == snd.una else { return .never }
        guard keepalivesUnanswered > 0 else { return lastReceived + configuration.keepaliveIdle }
        return lastKeepaliveSent + configuration.keepaliveInterval
    }

    func timersExpired(now: Instant, layer: TCPLayer) {
        if sendTimer.deadline <= now {
            switch sendTimer {
            case .retransmit: retransmissionTimeout(now: now, layer: layer)
            case .persist(_, let backoffs): persistTimeout(backoffs: backoffs, now: now, layer: layer)
            case .idle: break
            }
            if state == .closed { return }
        }
        if ackDeadline <= now {
            ackDeadline = .never
            if bytesSinceAck > 0 { layer.counters.delayedAcksSent += 1 }
            ackNow = true
        }
        if keepaliveDeadline <= now {
            keepaliveTimeout(now: now, layer: layer)
            if state == .closed { return }
        }
        trimBuffers(now: now, layer: layer)
        layer.wantsOutput(self)
    }

    /// RFC 6298 5.4-5.7 with RFC 5681 3.1: back off, collapse cwnd, resend from SND.UNA.
    private func retransmissionTimeout(now: Instant, layer: TCPLayer) {
        retries += 1
        let limit = state.isSynchronized ? configuration.maximumRetransmissions : configuration.maximumSynRetransmissions
        guard retries <= limit else {
            giveUp(layer: layer)
            return
        }
        layer.counters.retransmissionTimeouts += 1
        if state == .synReceived && listener != nil { layer.lastUnansweredSynAck = now }
        cc.onTimeout(flight: snd.max - snd.una, highestSent: snd.max)
        rto.backOff()
        rttSeq = nil
        snd.nxt = snd.una     // go back: everything unacknowledged is sent again as the window allows
        sendTimer = .retransmit(deadline: now + rto.current)
    }

    /// The peer's window is still closed: probe it, backing off like the RTO.
    private func persistTimeout(backoffs previous: Int, now: Instant, layer: TCPLayer) {
        retries += 1
        guard retries <= configuration.maximumRetransmissions else {
            giveUp(layer: layer)
            return
        }
        outputRequests.insert(.windowProbe)
        let backoffs = previous + 1
        var interval = rto.current
        for _ in 0..<backoffs where interval < configuration.maximumRTO { interval = interval * 2 }
        sendTimer = .persist(deadline: now + min(interval, configuration.maximumRTO), backoffs: backoffs)
    }

    private func keepaliveTimeout(now: Instant, layer: TCPLayer) {
        guard keepalivesUnanswered < configuration.keepaliveProbes else {
            giveUp(layer: layer)
            return
        }
        keepalivesUnanswered += 1
        lastKeepaliveSent = now
        layer.counters.keepalivesSent += 1
        outputRequests.insert(.keepalive)
    }

    /// The retry cap is reached: reset the connection (if the peer ever knew of it) and report it.
    private func giveUp(layer: TCPLayer) {
        layer.counters.connectionsTimedOut += 1
        if state != .synSent { sendReset(layer: layer) }
        terminate(.timeout, layer: layer)
    }
}
