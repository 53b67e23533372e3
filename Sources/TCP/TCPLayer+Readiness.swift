/// What the service registry needs beyond the socket calls: a way to be told when send space opens even though the last `send` took everything (a service that asks for
/// `sendSpace`, finds none, and waits for `doSendSpace`).
extension TCPLayer {
    /// Room in the send buffer; when there is none, a `.writable` event follows once space opens.
    public func sendSpaceArmingWritable(_ handle: TCPHandle) -> Int {
        guard let connection = connection(handle) else { return 0 }
        let space = connection.sendSpace
        if space == 0 && connection.state.acceptsSends && !connection.finQueued { connection.sendBlocked = true }
        return space
    }
}

extension TCPCounters {
    /// "tcp.name value" lines for the console and /factory/etc.
    public var lines: [String] {
        let fields: [(String, UInt64)] = [
            ("segments_received", segmentsReceived), ("segments_sent", segmentsSent), ("emit_failed", emitFailed),
            ("bad_checksum", badChecksum), ("malformed", malformed), ("no_listener", noListener),
            ("resets_sent", resetsSent), ("backlog_full", backlogFull),
            ("syn_dropped_connection_limit", synDroppedConnectionLimit),
            ("syn_dropped_memory_limit", synDroppedMemoryLimit), ("syn_dropped_memory_pressure", synDroppedMemoryPressure),
            ("half_open_evicted", halfOpenEvicted), ("stalled_evicted", stalledEvicted), ("fair_share_evicted", fairShareEvicted),
            ("listener_bad_segment", listenerBadSegment),
            ("syn_cookies_sent", synCookiesSent), ("syn_cookies_accepted", synCookiesAccepted),
            ("syn_cookies_dropped", synCookiesDropped),
            ("out_of_window", outOfWindow), ("bad_ack", badAck), ("paws_rejected", pawsRejected),
            ("challenge_acks_sent", challengeAcksSent), ("challenge_acks_suppressed", challengeAcksSuppressed),
            ("challenge_acks_suppressed_connection", challengeAcksSuppressedConnection),
            ("time_wait_acks_suppressed", timeWaitAcksSuppressed),
            ("resets_challenged", resetsChallenged), ("resets_accepted", resetsAccepted),
            ("out_of_order_queued", outOfOrderQueued), ("out_of_order_dropped", outOfOrderDropped),
            ("duplicate_segments", duplicateSegments), ("data_after_close", dataAfterClose),
            ("retransmission_timeouts", retransmissionTimeouts), ("fast_retransmits", fastRetransmits),
            ("segments_retransmitted", segmentsRetransmitted), ("zero_window_probes", zeroWindowProbes),
            ("keepalives_sent", keepalivesSent), ("delayed_acks_sent", delayedAcksSent),
            ("connections_timed_out", connectionsTimedOut), ("connections_reset", connectionsReset),
            ("time_wait_evicted", timeWaitEvicted), ("events_dropped", eventsDropped),
        ]
        return fields.map { "tcp.\($0.0) \($0.1)" }
    }
}
