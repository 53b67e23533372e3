import Bytes

/// One way out: receiving and timers only change state; every segment TCP writes leaves here, in
/// `emit(now:)`, once per main-loop turn after the receive batch and after the services ran. So the
/// ACKs a batch of segments calls for go as one, and ride on the data the services answered with.
///
/// Two kinds of output wait for the pass:
/// - connections marked by `wantsOutput` (data, FIN, ACKs, window updates, probes), by slot (a
///   connection released to close in the background keeps its slot under a new handle), each at most
///   once while its `outputPending` flag is set, so the list is bounded by the table;
/// - stateless replies (an RST for a segment no connection wants, a SYN cookie's SYN-ACK, a TIME-WAIT
///   ACK, the RST of a connection reset and freed in the same breath), which no connection outlives
///   to send later, queued as finished segments up to `replyQueueLimit`.
extension TCPLayer {
    /// A segment with no connection behind it, written by the next `emit`: plain values (such a segment
    /// never carries SACK blocks), so the queue holds no references.
    struct Reply {
        var key: ConnectionKey
        var seq: SequenceNumber, ack: SequenceNumber
        var flags: TCPFlags
        var window: UInt16
        var mss: UInt16?
        var timestamp: TCPTimestamp?

        var segment: OutgoingSegment {
            var segment = OutgoingSegment(sourcePort: key.local.port, destinationPort: key.remote.port, seq: seq,
                                          ack: ack, flags: flags, window: window)
            segment.mss = mss
            segment.timestamp = timestamp
            return segment
        }
    }

    /// Replies one turn may queue: more than a receive pass takes in frames is never needed (each frame
    /// draws at most one reply, plus the reset of a connection it replaced); beyond it they are dropped
    /// and counted. Each is an answer its peer asks for again by retransmitting.
    static var replyQueueLimit: Int { 256 }

    /// False when the queue is full (the reply is dropped and counted).
    @discardableResult
    func queueReply(_ segment: OutgoingSegment, key: ConnectionKey) -> Bool {
        guard replies.count < TCPLayer.replyQueueLimit else {
            counters.repliesDropped += 1
            return false
        }
        replies.append(Reply(key: key, seq: segment.seq, ack: segment.ack, flags: segment.flags, window: segment.window,
                           mss: segment.mss, timestamp: segment.timestamp))
        return true
    }

    /// Puts `connection` on the next emit pass (once, however often it is asked).
    func wantsOutput(_ connection: Connection) {
        guard !connection.outputPending else { return }
        connection.outputPending = true
        pendingOutput.push(Int(connection.handle.index))
    }

    /// True while `emit` has something to write.
    var hasOutput: Bool { !pendingOutput.isEmpty || !replies.isEmpty }

    /// Writes every queued reply, then what each marked connection has to send. A reply the NIC refuses
    /// is dropped (counted in `emitFailed`); a connection whose segment it refused is marked again and
    /// waits for the next pass, so this pass ends even while the NIC stays full.
    public func emit(now: Instant) {
        if !replies.isEmpty {
            for reply in replies { transmit(reply.segment, key: reply.key, now: now) }
            replies = []        // rare (resets, cookies): not worth keeping the capacity
        }
        var marked = pendingOutput.count
        while marked > 0, let index = pendingOutput.pop() {
            marked -= 1
            guard case .connection(let connection) = slots[index].entry, connection.outputPending else { continue }
            connection.transmit(now: now, layer: self)
        }
    }
}
