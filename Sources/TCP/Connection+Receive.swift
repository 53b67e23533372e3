import Bytes

/// The receiving half: RFC 9293 3.10.7 "SEGMENT ARRIVES" for a connection, with RFC 5961's defences
/// against blind injection and RFC 7323's PAWS.
extension Connection {
    func segmentArrived(_ segment: TCPSegment, now: Instant, layer: TCPLayer) {
        switch state {
        case .closed, .listen, .timeWait: return
        case .synSent: synSentArrived(segment, now: now, layer: layer)
        default: synchronizedArrived(segment, now: now, layer: layer)
        }
        if state != .closed { layer.wantsOutput(self) }
    }

    // MARK: SYN-SENT (RFC 9293 3.10.7.3)

    private func synSentArrived(_ segment: TCPSegment, now: Instant, layer: TCPLayer) {
        let flags = segment.flags
        if flags.contains(.ack) {
            guard segment.ack > snd.iss && segment.ack <= snd.max else {
                if !flags.contains(.rst) { layer.replyReset(to: segment, key: key) }
                layer.counters.badAck += 1
                return
            }
        }
        if flags.contains(.rst) {
            // Acceptable only with an ACK of our SYN (RFC 5961 3.2 for SYN-SENT): connection refused.
            if flags.contains(.ack) {
                layer.counters.resetsAccepted += 1
                terminate(.reset, layer: layer)
            }
            return
        }
        guard flags.contains(.syn) else { return }
        adoptPeerOptions(segment)
        lastReceived = now
        if flags.contains(.ack) {
            snd.una = segment.ack
            snd.wnd = Int(segment.window)          // a SYN's window is never scaled
            snd.maxWnd = snd.wnd
            snd.wl1 = segment.seq
            snd.wl2 = segment.ack
            if let timed = rttSeq, segment.ack >= timed { rto.sample(now.since(rttStart)) }
            rttSeq = nil
            retries = 0
            rto.resetBackoff()
            handshakeCompleted(layer: layer)
            ackNow = true
        } else {
            simultaneousOpen()
        }
    }

    // MARK: SYN-RECEIVED and the synchronized states (RFC 9293 3.10.7.4)

    private func synchronizedArrived(_ segment: TCPSegment, now: Instant, layer: TCPLayer) {
        let flags = segment.flags
        // RFC 7323 5: PAWS. A timestamp older than the last in-order one marks an old duplicate.
        if options.timestamps, let ts = segment.timestamp, !flags.contains(.rst),
           Int32(bitPattern: ts.value &- options.tsRecent) < 0 {
            layer.counters.pawsRejected += 1
            acknowledgeInvalid(segment, now: now, layer: layer)
            return
        }
        // Our SYN-ACK was lost and the peer sent its SYN again: answer it again.
        if state == .synReceived && flags.contains(.syn) && !flags.contains(.ack) && segment.seq == rcv.irs {
            snd.nxt = snd.iss
            return
        }

        // RFC 5961 4.2: a SYN on a synchronized connection, whatever its sequence number, gets a
        // (rate-limited) challenge ACK: a genuine restarted peer then answers with an RST at RCV.NXT.
        if flags.contains(.syn) && state.isSynchronized {
            challengeAck(now: now, layer: layer)
            return
        }

        // First: is the sequence number acceptable?
        guard isAcceptable(segment) else {
            layer.counters.outOfWindow += 1
            if flags.contains(.rst) { return }
            // RFC 9293: with our window closed, still take the ACK of a segment at the left edge.
            if flags.contains(.ack) && segment.seq == rcv.nxt && state.isSynchronized {
                _ = processAck(segment, now: now, layer: layer)
            }
            acknowledgeInvalid(segment, now: now, layer: layer)
            return
        }

        // Second: RST (RFC 5961 3.2): exactly at RCV.NXT resets; elsewhere in the window, challenge.
        if flags.contains(.rst) {
            if segment.seq == rcv.nxt {
                layer.counters.resetsAccepted += 1
                terminate(.reset, layer: layer)
            } else {
                layer.counters.resetsChallenged += 1
                challengeAck(now: now, layer: layer)
            }
            return
        }

        // Fourth: SYN in SYN-RECEIVED (synchronized states were handled above). A passive half-open
        // connection goes back to LISTEN, i.e. is forgotten; a simultaneous open is challenged.
        if flags.contains(.syn) {
            if listener != nil {
                terminate(.reset, layer: layer)
            } else {
                challengeAck(now: now, layer: layer)
            }
            return
        }

        // Fifth: the ACK field.
        guard flags.contains(.ack) else { return }
        if state == .synReceived {
            guard segment.ack > snd.una && segment.ack <= snd.max else {
                layer.replyReset(to: segment, key: key)
                return
            }
            snd.wnd = Int(segment.window) << Int(snd.scale)
            snd.maxWnd = snd.wnd
            snd.wl1 = segment.seq
            snd.wl2 = segment.ack
            handshakeCompleted(layer: layer)
        }
        guard processAck(segment, now: now, layer: layer) else { return }
        lastReceived = now
        keepalivesUnanswered = 0
        // RFC 7323 4.3: remember TSval of segments that cover the left edge of the window.
        if options.timestamps, let ts = segment.timestamp, segment.seq <= rcv.lastAckSent { options.tsRecent = ts.value }

        if ourFinAcknowledged && finAcknowledged(now: now, layer: layer) { return }

        // Seventh and eighth: data and FIN.
        receiveData(segment, now: now, layer: layer)
    }

    /// RFC 9293 3.10.7.4, the four cases of segment length versus receive window.
    private func isAcceptable(_ segment: TCPSegment) -> Bool {
        let length = segment.sequenceLength
        let window = max(0, Int(rcv.nxt.distance(to: rcv.adv)))
        let end = rcv.nxt + window
        if length == 0 {
            return window == 0 ? segment.seq == rcv.nxt : segment.seq.isIn(rcv.nxt, upTo: end)
        }
        guard window > 0 else { return false }
        return segment.seq.isIn(rcv.nxt, upTo: end) || (segment.seq + (length - 1)).isIn(rcv.nxt, upTo: end)
    }

    /// RFC 9293 answers an unacceptable segment with an ACK. Two ends that disagree about the
    /// sequence space (after a spoofed segment was taken, say) would then trade such ACKs forever, so
    /// like Linux we answer bare ACKs at most once per `invalidAckInterval`; segments carrying data
    /// (retransmissions, window probes) always get their answer.
    private func acknowledgeInvalid(_ segment: TCPSegment, now: Instant, layer: TCPLayer) {
        if segment.sequenceLength == 0, let last = lastInvalidAck,
           now.since(last) < configuration.invalidAckInterval {
            layer.counters.invalidAcksSuppressed += 1
            return
        }
        if segment.sequenceLength == 0 { lastInvalidAck = now }
        ackNow = true
    }

    /// RFC 5961 3.2 / 4.2 challenge ACK, within the connection's own limit (one per
    /// `invalidAckInterval`, shared with its other answers to invalid segments) and the layer-wide one.
    private func challengeAck(now: Instant, layer: TCPLayer) {
        if let last = lastInvalidAck, now.since(last) < configuration.invalidAckInterval {
            layer.counters.challengeAcksSuppressedConnection += 1
            return
        }
        guard layer.drawChallengeAck(now: now) else { return }
        lastInvalidAck = now
        ackNow = true
    }

    /// ACK processing (RFC 9293 fifth step, RFC 5961 5.2, RFC 5681 and 6582). False: drop the segment.
    private func processAck(_ segment: TCPSegment, now: Instant, layer: TCPLayer) -> Bool {
        let ack = segment.ack
        // An ACK of something never sent, or older than a maximum window (RFC 5961 5.2): ACK and drop.
        guard ack <= snd.max, ack >= snd.una - UInt32(clamping: snd.maxWnd) else {
            layer.counters.badAck += 1
            acknowledgeInvalid(segment, now: now, layer: layer)
            return false
        }
        let window = Int(segment.window) << Int(snd.scale)
        let acked = ack > snd.una ? ack - snd.una : 0
        let isDuplicate = acked == 0 && ack == snd.una && segment.payload.isEmpty
            && !segment.flags.contains(.fin) && window == snd.wnd && snd.max != snd.una
        if ack >= snd.una && (snd.wl1 < segment.seq || (snd.wl1 == segment.seq && snd.wl2 <= ack)) {
            snd.wnd = window
            snd.wl1 = segment.seq
            snd.wl2 = ack
            snd.maxWnd = max(snd.maxWnd, window)
        }
        if case .persist = sendTimer { retries = 0 }   // the peer answers our probes: it is alive
        if acked > 0 {
            acknowledge(acked, ack: ack, now: now, layer: layer)
        } else if isDuplicate {
            if cc.onDuplicateAck(flight: snd.max - snd.una, highestSent: snd.max, ack: ack) {
                layer.counters.fastRetransmits += 1
                outputRequests.insert(.retransmitFirst)
            }
        }
        updateSendTimer(now: now, restart: acked > 0)
        return true
    }

    /// SND.UNA advances by `acked`: free the acknowledged bytes, sample the RTT, grow cwnd.
    private func acknowledge(_ acked: Int, ack: SequenceNumber, now: Instant, layer: TCPLayer) {
        let flight = snd.max - snd.una
        var remaining = acked
        if snd.una == snd.iss { remaining -= 1 }       // our SYN
        let dataAcked = min(remaining, sendBuffer.count)
        let ringWasFull = sendBuffer.free == 0
        if dataAcked > 0 { lastProgress = now }
        sendBuffer.discard(dataAcked)
        sendBufferSeq += dataAcked
        snd.una = ack
        if snd.nxt < snd.una { snd.nxt = snd.una }
        if let timed = rttSeq, ack >= timed {
            rto.sample(now.since(rttStart))
            rttSeq = nil
        }
        retries = 0
        rto.resetBackoff()
        if cc.onNewAck(acked: acked, ack: ack, flight: flight) {
            outputRequests.insert(.retransmitFirst)         // NewReno partial ACK
        }
        if ringWasFull { growSendBuffer(toTake: sendBuffer.free + 1, layer: layer) }
        if userOwned { layer.markChanged(handle) }      // send space opened
    }

    /// Data (seventh step) and FIN (eighth step), after trimming to the window.
    private func receiveData(_ segment: TCPSegment, now: Instant, layer: TCPLayer) {
        switch state {
        case .established, .finWait1, .finWait2: break
        default: return   // the peer's FIN came already: nothing after it is data
        }
        var payload = segment.payload
        var start = segment.seq
        var fin = segment.flags.contains(.fin)
        if start < rcv.nxt {
            let skip = rcv.nxt - start
            if skip > payload.count { return }   // an old FIN (length 0 left, FIN before RCV.NXT)
            payload = payload.suffix(from: skip)!
            start = rcv.nxt
        }
        // Nothing past the advertised window or the free space, nor past a FIN we already know of.
        var limit = SequenceNumber.latest(rcv.nxt, rcv.adv)
        if rcv.nxt + receiveBuffer.free < limit { limit = rcv.nxt + receiveBuffer.free }
        if let f = peerFinSeq, f < limit { limit = f }
        if start + payload.count > limit {
            payload = payload.slice(0, max(0, Int(start.distance(to: limit))))!
            fin = false
        }

        if !payload.isEmpty {
            if userClosedReading {
                layer.counters.dataAfterClose += 1
                if state == .finWait2 {
                    refuseDataAfterClose(layer: layer)
                    return
                }
                // Our data is still on its way: take the bytes off the peer's hands (so its FIN can
                // follow) and reset once ours is acknowledged.
                discardedAfterClose = true
                if start == rcv.nxt { rcv.nxt += payload.count }
                ackNow = true
            } else {
                store(payload, at: start, now: now, layer: layer)
            }
        }
        if fin && peerFinSeq == nil { peerFinSeq = start + payload.count }
        consumeFinIfReached(now: now, layer: layer)
    }

    /// Places bytes in the receive ring (in order, or parked out of order) and advances RCV.NXT over
    /// whatever is now contiguous. Chooses between an immediate and a delayed ACK.
    private func store(_ payload: ByteView, at start: SequenceNumber, now: Instant, layer: TCPLayer) {
        let gap = start - rcv.nxt
        let hadHoles = !reassembly.isEmpty
        guard reassembly.insert(start: gap, end: gap + payload.count) else {
            layer.counters.outOfOrderDropped += 1
            duplicateAcksOwed += 1
            return
        }
        receiveBuffer.write(payload, atGap: gap)
        if gap > 0 {
            layer.counters.outOfOrderQueued += 1
            duplicateAcksOwed += 1              // RFC 5681 4.2: a duplicate ACK at once for a hole
        }
        let contiguous = reassembly.takeContiguous()
        guard contiguous > 0 else { return }
        receiveBuffer.commit(contiguous)
        rcv.nxt += contiguous
        lastProgress = now
        noteReceived(now: now, layer: layer)
        bytesSinceAck += contiguous
        if hadHoles {
            ackNow = true                       // a hole filled
        } else if bytesSinceAck >= 2 * fullSegmentSize {
            oweAck(upTo: rcv.nxt)                // the second full segment (RFC 5681 4.2)
        } else if ackDeadline == .never {
            ackDeadline = now + configuration.ackDelay
        }
        if userOwned { layer.markChanged(handle) }
    }

    private func consumeFinIfReached(now: Instant, layer: TCPLayer) {
        guard !peerFinReceived, let f = peerFinSeq, f == rcv.nxt else { return }
        rcv.nxt += 1
        peerFinReceived = true
        ackNow = true
        if userOwned { layer.markChanged(handle) }
        peerFinReached(now: now, layer: layer)
    }
}
