import Bytes

/// Readiness instead of events: receiving and timers only update connections and mark them changed;
/// the user takes the changed handles and looks at each one's readiness, which is derived from state.
/// A slot is in the changed set at most once, so the set is bounded by the table and nothing (a close,
/// a connection waiting to be accepted) can ever be lost the way a full event queue loses it.
extension TCPLayer {
    /// Marks a user's connection or a listener as worth a look. Stale handles are ignored.
    func markChanged(_ handle: TCPHandle) {
        let index = Int(handle.index)
        guard index < slots.count, slots[index].generation == handle.generation, !slots[index].changed else { return }
        slots[index].changed = true
        changed.push(index)
    }

    /// True while `nextChanged` may have something (a slot freed since it was marked is skipped then).
    public var hasChanges: Bool { !changed.isEmpty }

    /// The next connection or listener whose readiness may have changed, oldest mark first. A slot
    /// reused since it was marked is reported under its new handle: one spare look, never a lost one.
    public func nextChanged() -> TCPHandle? {
        while let index = changed.pop() {
            slots[index].changed = false
            if case .free = slots[index].entry { continue }
            return TCPHandle(index: UInt32(index), generation: slots[index].generation)
        }
        return nil
    }

    /// A connection's readiness; nil for a listener or a stale handle.
    public func readiness(_ handle: TCPHandle) -> TCPReadiness? {
        guard let connection = connection(handle) else { return nil }
        let ended = connection.state == .closed ? connection.endReason ?? .aborted : nil
        return TCPReadiness(available: connection.available,
                            sendSpace: ended == nil && connection.state.acceptsSends && !connection.finQueued ? connection.sendSpace : 0,
                            peerFinished: connection.peerFinReceived && connection.available == 0,
                            connected: connection.wasEstablished, ended: ended)
    }

    /// True for a listener with established connections waiting for `accept`.
    public func hasAcceptable(_ handle: TCPHandle) -> Bool { !(listener(handle)?.acceptQueue.isEmpty ?? true) }

    /// True if `handle` names a listener (a changed handle is a listener or a connection).
    public func isListener(_ handle: TCPHandle) -> Bool { listener(handle) != nil }
}

extension TCPCounters {
    /// Every counter as "tcp.name" (the console, /factory/etc, /factory/metrics).
    public var metrics: Metrics {
        let fields: [(String, UInt64)] = [
            ("segments_received", segmentsReceived), ("segments_sent", segmentsSent), ("emit_failed", emitFailed), ("replies_dropped", repliesDropped),
            ("bad_checksum", badChecksum), ("malformed", malformed), ("no_listener", noListener),
            ("resets_sent", resetsSent), ("backlog_full", backlogFull),
            ("syn_dropped_connection_limit", synDroppedConnectionLimit),
            ("syn_dropped_memory_limit", synDroppedMemoryLimit), ("syn_dropped_memory_pressure", synDroppedMemoryPressure), ("syn_refused_stopping", synRefusedStopping),
            ("syn_dropped_source_limit", synDroppedSourceLimit), ("syn_dropped_source_half_open_limit", synDroppedSourceHalfOpenLimit),
            ("syn_dropped_source_rate", synDroppedSourceRate),
            ("half_open_evicted", halfOpenEvicted), ("stalled_evicted", stalledEvicted), ("fair_share_evicted", fairShareEvicted),
            ("listener_bad_segment", listenerBadSegment),
            ("syn_cookies_sent", synCookiesSent), ("syn_cookies_accepted", synCookiesAccepted),
            ("syn_cookies_dropped", synCookiesDropped),
            ("out_of_window", outOfWindow), ("bad_ack", badAck), ("paws_rejected", pawsRejected),
            ("challenge_acks_sent", challengeAcksSent), ("challenge_acks_suppressed", challengeAcksSuppressed),
            ("challenge_acks_suppressed_connection", challengeAcksSuppressedConnection),
            ("invalid_acks_suppressed", invalidAcksSuppressed),
            ("time_wait_acks_suppressed", timeWaitAcksSuppressed),
            ("resets_challenged", resetsChallenged), ("resets_accepted", resetsAccepted),
            ("out_of_order_queued", outOfOrderQueued), ("out_of_order_dropped", outOfOrderDropped),
            ("duplicate_segments", duplicateSegments), ("data_after_close", dataAfterClose),
            ("retransmission_timeouts", retransmissionTimeouts), ("fast_retransmits", fastRetransmits),
            ("segments_retransmitted", segmentsRetransmitted), ("zero_window_probes", zeroWindowProbes),
            ("keepalives_sent", keepalivesSent), ("delayed_acks_sent", delayedAcksSent),
            ("buffers_grown", buffersGrown), ("buffer_growth_refused", bufferGrowthRefused), ("buffers_trimmed", buffersTrimmed),
            ("connections_timed_out", connectionsTimedOut), ("connections_reset", connectionsReset),
            ("time_wait_evicted", timeWaitEvicted),
        ]
        var out = Metrics()
        for (name, value) in fields { out.add("tcp", name, value) }
        return out
    }
}
