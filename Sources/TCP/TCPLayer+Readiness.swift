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
        var out = Metrics()
        out.add("tcp", names: """
            segments_received segments_sent emit_failed replies_dropped bad_checksum malformed
            no_listener resets_sent backlog_full syn_dropped_connection_limit
            syn_dropped_memory_limit syn_dropped_memory_pressure syn_refused_stopping
            syn_dropped_source_limit syn_dropped_source_half_open_limit syn_dropped_source_rate
            half_open_evicted stalled_evicted fair_share_evicted listener_bad_segment
            syn_cookies_sent syn_cookies_accepted syn_cookies_dropped out_of_window bad_ack
            paws_rejected challenge_acks_sent challenge_acks_suppressed
            challenge_acks_suppressed_connection invalid_acks_suppressed time_wait_acks_suppressed
            resets_challenged resets_accepted out_of_order_queued out_of_order_dropped
            duplicate_segments data_after_close retransmission_timeouts fast_retransmits
            segments_retransmitted packet_too_big_accepted packet_too_big_ignored zero_window_probes keepalives_sent delayed_acks_sent
            buffers_grown buffer_growth_refused buffers_trimmed connections_timed_out
            connections_reset time_wait_evicted
            """, [
            segmentsReceived, segmentsSent, emitFailed, repliesDropped, badChecksum, malformed,
            noListener, resetsSent, backlogFull, synDroppedConnectionLimit, synDroppedMemoryLimit,
            synDroppedMemoryPressure, synRefusedStopping, synDroppedSourceLimit,
            synDroppedSourceHalfOpenLimit, synDroppedSourceRate, halfOpenEvicted, stalledEvicted,
            fairShareEvicted, listenerBadSegment, synCookiesSent, synCookiesAccepted,
            synCookiesDropped, outOfWindow, badAck, pawsRejected, challengeAcksSent,
            challengeAcksSuppressed, challengeAcksSuppressedConnection, invalidAcksSuppressed,
            timeWaitAcksSuppressed, resetsChallenged, resetsAccepted, outOfOrderQueued,
            outOfOrderDropped, duplicateSegments, dataAfterClose, retransmissionTimeouts,
            fastRetransmits, segmentsRetransmitted, packetTooBigAccepted, packetTooBigIgnored, zeroWindowProbes, keepalivesSent,
            delayedAcksSent, buffersGrown, bufferGrowthRefused, buffersTrimmed, connectionsTimedOut,
            connectionsReset, timeWaitEvicted
        ])
        return out
    }
}
