import Bytes

/// The sending half: what to put on the wire and when (sliding window, congestion window, Nagle,
/// sender SWS avoidance), window advertisement, and the segments we build.
extension Connection {
    /// What receiving or a timer asked this connection to send at the next emit, besides data and the
    /// pending ACK. Each is one attempt: a segment the NIC refuses is not asked for again (the
    /// retransmission, persist or keepalive timer tries once more later).
    struct OutputRequests: OptionSet {
        let rawValue: UInt8
        /// Fast retransmit or a NewReno partial ACK: the segment at SND.UNA again.
        static let retransmitFirst = OutputRequests(rawValue: 1)
        /// The persist timer expired: probe the peer's window.
        static let windowProbe = OutputRequests(rawValue: 2)
        /// The keepalive timer expired: a segment the peer must acknowledge.
        static let keepalive = OutputRequests(rawValue: 4)
    }

    /// Sends whatever the state, the windows, the requests and the pending ACKs call for; re-arms the
    /// send timer. Called only by the layer's emit pass.
    func transmit(now: Instant, layer: TCPLayer) {
        outputPending = false
        switch state {
        case .closed, .listen, .timeWait:
            return
        case .synSent:
            if snd.nxt == snd.iss { sendSyn(now: now, layer: layer) }
        case .synReceived:
            // Before the handshake completes, the SYN-ACK is the only acknowledgement we can give: a
            // challenge ACK or the answer to an unacceptable segment (RFC 5961 3.2, RFC 9293 3.10.7.4)
            // sends it again, rather than being counted and never sent.
            if snd.nxt == snd.iss || ackNow {
                ackNow = false
                snd.nxt = snd.iss
                sendSyn(now: now, layer: layer)
            }
        default:
            sendOwedAcks(now: now, layer: layer)
            let requests = outputRequests
            outputRequests = []
            if requests.contains(.retransmitFirst) { retransmitFirstSegment(now: now, layer: layer) }
            if requests.contains(.windowProbe) { sendWindowProbe(now: now, layer: layer) }
            sendData(now: now, layer: layer)
            // One bare duplicate ACK per segment that arrived out of order (RFC 5681 4.2), even from one
            // receive batch: a NewReno sender counts them to start fast retransmit.
            while duplicateAcksOwed > 0 {
                duplicateAcksOwed -= 1
                guard sendAck(now: now, layer: layer) else { duplicateAcksOwed = 0; break }
            }
            if requests.contains(.keepalive) {
                // SEG.SEQ = SND.UNA - 1 with no data: outside the peer's window, so it must answer.
                transmitAcknowledging(makeSegment(seq: snd.una - 1, flags: [.ack], now: now), layer: layer, now: now)
            }
            if ackNow { sendAck(now: now, layer: layer) }
        }
        updateSendTimer(now: now, restart: false)
    }

    private func sendSyn(now: Instant, layer: TCPLayer) {
        let flags: TCPFlags = state == .synSent ? [.syn] : [.syn, .ack]
        transmitAcknowledging(makeSegment(seq: snd.iss, flags: flags, now: now), layer: layer, now: now)
        if retries == 0 { rttSeq = snd.iss + 1; rttStart = now }   // Karn: never time a retransmitted SYN
        snd.nxt = snd.iss + 1
        snd.max = SequenceNumber.latest(snd.max, snd.nxt)
        lastSent = now
    }

    /// Data and FIN, as far as the send window (min of the peer's window and cwnd) allows.
    private func sendData(now: Instant, layer: TCPLayer) {
        // RFC 5681 4.1: after an idle period longer than the RTO, restart from the initial window.
        if snd.max == snd.una && now.since(lastSent) > rto.current { cc.onIdleRestart() }
        while true {
            let offset = min(snd.nxt - sendBufferSeq, sendBuffer.count)
            let unsent = sendBuffer.count - offset
            let finPending = finQueued && snd.nxt == sendBufferSeq + sendBuffer.count
            if unsent == 0 && !finPending { return }
            let outstanding = snd.nxt - snd.una
            let isRetransmission = snd.nxt < snd.max
            // Limited transmit (in `sendWindow`) is for new data only (RFC 3042).
            let usable = max(0, min(snd.wnd, isRetransmission ? cc.cwnd : cc.sendWindow) - outstanding)
            let maxPayload = maximumPayload
            // One MSS per segment, or with segmentation offload several (cut by the NIC): a retransmission
            // is always one MSS, so loss recovery reasons as it always has.
            let maxSend = isRetransmission ? maxPayload : maximumSend(payload: maxPayload, layer: layer)
            var length = min(unsent, usable, maxSend)
            let idle = outstanding == 0 || noDelay
            // Nagle as Minshall refined it (and Linux does): hold a small segment only while an earlier
            // small one is unacknowledged. Plain RFC 896 would hold the small tail of every response
            // behind the peer's delayed ACK (~40 ms) whenever full segments are still in flight.
            let smallInFlight = smallSegmentEnd.map { $0 > snd.una && $0 <= snd.nxt } ?? false
            if length > maxPayload, length % maxPayload != 0 {
                // Several segments with a small tail: the tail rides along only where Nagle would send it
                // on its own right after the full segments (which leave data outstanding); else it waits.
                let tailGoes = length == unsent && (noDelay || !smallInFlight || finQueued)
                if !tailGoes { length -= length % maxPayload }
            }

            let send: Bool
            if length == 0 {
                // A bare FIN needs no window space worth waiting for; with data unsent it waits behind it.
                send = finPending && unsent == 0
            } else if length >= maxPayload || isRetransmission {
                send = true
            } else if length == unsent {
                send = idle || !smallInFlight || finQueued    // Nagle, unless opted out
            } else {
                send = idle && length >= snd.maxWnd / 2        // sender SWS avoidance (RFC 9293 3.8.6.2.1)
            }
            guard send else { return }
            // FIN rides on the segment that carries the last queued byte (a bare FIN only when all
            // data is already out): one segment fewer per closed connection, as every stack does.
            // (`finPending` alone would hold FIN until the data had left in an earlier segment.)
            let fin = finQueued && length == unsent
            // A segment the NIC refused is not in flight: stop here, SND.NXT unmoved (retried next turn).
            let segmentSize = length > maxPayload ? maxPayload : 0
            guard sendSegment(seq: snd.nxt, length: length, segmentSize: segmentSize, fin: fin, now: now,
                              layer: layer) else { return }
            let consumed = length + (fin ? 1 : 0)
            if length % maxPayload != 0 && !isRetransmission { smallSegmentEnd = snd.nxt + length }
            if rttSeq == nil && !isRetransmission { rttSeq = snd.nxt + consumed; rttStart = now }
            snd.nxt += consumed
            snd.max = SequenceNumber.latest(snd.max, snd.nxt)
        }
    }

    /// The most payload one send may carry: whole segments of `payload` bytes, as many as the NIC's
    /// segmentation limit holds with their TCP header (at least one).
    private func maximumSend(payload: Int, layer: TCPLayer) -> Int {
        let limit = layer.offload.segmentationLimit(to: key.remote.address)
        guard limit > 0 else { return payload }
        let header = TCPSegment.minimumHeaderLength + min(options.peerMSS, configuration.mss) - payload
        return max(1, (limit - header) / payload) * payload
    }

    /// Payload that fits one segment: the smaller MSS, less the options this segment will carry.
    var maximumPayload: Int {
        var optionBytes = options.timestamps ? Connection.timestampOptionLength : 0
        let blocks = sackBlocksToReport().count
        if blocks > 0 { optionBytes += 4 + 8 * blocks }
        return min(options.peerMSS, configuration.mss) - optionBytes
    }

    /// One segment from the send buffer starting at `seq` (which is at or after SND.UNA); with a
    /// `segmentSize` the NIC cuts it into segments of that many payload bytes.
    /// False when the NIC had no transmit buffer: the segment did not leave, so the caller must not
    /// count it as sent (the connection stays "output pending" and tries again on the next turn).
    @discardableResult
    func sendSegment(seq: SequenceNumber, length: Int, segmentSize: Int = 0, fin: Bool, now: Instant,
                     layer: TCPLayer) -> Bool {
        var flags: TCPFlags = [.ack]
        if fin { flags.insert(.fin) }
        if length > 0 && seq + length == sendBufferSeq + sendBuffer.count { flags.insert(.psh) }
        let offset = seq - sendBufferSeq
        let segment = makeSegment(seq: seq, flags: flags, now: now)
        // A segment the NIC cuts carries up to 64 KiB, which it reads straight from the send buffer;
        // a single one is copied into a transmit buffer (by far the NIC's most numerous).
        let sent = if segmentSize > 0, let lent = sendBuffer.lend(from: offset, length: length) {
            settle(segment, sent: layer.transmit(segment, key: key, now: now, segmentSize: segmentSize, lent: lent),
                   layer: layer)
        } else {
            transmitAcknowledging(segment, layer: layer, now: now, payloadLength: length) { view in
                sendBuffer.copy(from: offset, length: length, to: view, at: 0)
            }
        }
        guard sent else { return false }
        if seq < snd.max { layer.counters.segmentsRetransmitted += 1 }
        lastSent = now
        return true
    }

    /// Resends the segment at SND.UNA (fast retransmit, NewReno partial ACK) without moving SND.NXT.
    func retransmitFirstSegment(now: Instant, layer: TCPLayer) {
        guard snd.max > snd.una, snd.una >= sendBufferSeq else { return }
        let offset = snd.una - sendBufferSeq
        let length = min(max(0, sendBuffer.count - offset), maximumPayload, snd.max - snd.una)
        let fin = finQueued && snd.una + length == sendBufferSeq + sendBuffer.count && snd.max > snd.una + length
        guard length > 0 || fin else { return }
        rttSeq = nil   // Karn: an ACK after a retransmission is ambiguous
        sendSegment(seq: snd.una, length: length, fin: fin, now: now, layer: layer)
    }

    /// Persist probe (RFC 9293 3.8.6.1). With the window closed: one byte beyond it, whose ACK tells
    /// us when it opens (an unacknowledged byte is resent, else the next new one goes). With a window
    /// open but too small for sender SWS avoidance: as much as it takes, as Linux does, so a receiver
    /// that stopped reading is filled to the brim and then probed.
    func sendWindowProbe(now: Instant, layer: TCPLayer) {
        layer.counters.zeroWindowProbes += 1
        let dataEnd = sendBufferSeq + sendBuffer.count
        let usable = max(0, snd.wnd - (snd.nxt - snd.una))
        if usable == 0 && snd.una < dataEnd && snd.max > snd.una {
            sendSegment(seq: snd.una, length: 1, fin: false, now: now, layer: layer)
        } else if snd.nxt < dataEnd {
            let length = max(1, min(usable, dataEnd - snd.nxt, maximumPayload))
            guard sendSegment(seq: snd.nxt, length: length, fin: false, now: now, layer: layer) else { return }
            snd.nxt += length
            snd.max = SequenceNumber.latest(snd.max, snd.nxt)
        }
    }

    /// The receiver acknowledges at least every second full-sized segment (RFC 5681 4.2), also when a
    /// receive batch brings many: each such point is kept, and the emit pass sends one ACK for each
    /// but the last (which is RCV.NXT, sent as the pending ACK, on data when there is some). A sender
    /// that grows its window per ACK (RFC 5681 3.1) is not slowed by one ACK per batch. Beyond
    /// `maximumOwedAcks` in one turn the latest point replaces the one before (a stretch ACK).
    func oweAck(upTo point: SequenceNumber) {
        bytesSinceAck = 0
        ackNow = true
        if owedAcks.count < Connection.maximumOwedAcks { owedAcks.append(point.raw) } else { owedAcks[owedAcks.count - 1] = point.raw }
    }

    static var maximumOwedAcks: Int { 16 }

    /// The ACKs `oweAck` kept, oldest first, each with the window's right edge where it is now.
    private func sendOwedAcks(now: Instant, layer: TCPLayer) {
        defer { owedAcks.removeAll(keepingCapacity: true) }
        for raw in owedAcks where SequenceNumber(raw) < rcv.nxt {
            let point = SequenceNumber(raw)
            var segment = makeSegment(seq: snd.max, flags: [.ack], now: now)
            segment.ack = point
            segment.window = UInt16(min(Int(max(0, point.distance(to: rcv.adv))) >> Int(rcv.scale), 0xFFFF))
            guard layer.transmit(segment, key: key, now: now) else { return }   // the pending ACK still goes
        }
    }

    /// A bare ACK carries SND.MAX, not SND.NXT: after an RTO pulled SND.NXT back, the peer's RCV.NXT
    /// may be past it, and an ACK "from the past" would be unacceptable there and never read
    /// (both ends doing that deadlock). BSD does the same.
    @discardableResult
    func sendAck(now: Instant, layer: TCPLayer) -> Bool {
        transmitAcknowledging(makeSegment(seq: snd.max, flags: [.ack], now: now), layer: layer, now: now)
    }

    /// Hands a segment built by `makeSegment` to the layer. Only a segment the NIC took settles the
    /// pending ACK: a refused one leaves the ACK due and the connection "output pending", so the
    /// next turn of the main loop sends it, instead of the peer retransmitting after its timeout.
    @discardableResult
    func transmitAcknowledging(_ segment: OutgoingSegment, layer: TCPLayer, now: Instant, payloadLength: Int = 0,
                               payload: (MutableByteView) -> Void = { _ in }) -> Bool {
        settle(segment, sent: layer.transmit(segment, key: key, now: now, payloadLength: payloadLength, payload: payload),
               layer: layer)
    }

    /// What a segment handed to the layer settles: see `transmitAcknowledging`.
    private func settle(_ segment: OutgoingSegment, sent: Bool, layer: TCPLayer) -> Bool {
        guard sent else {
            layer.wantsOutput(self)
            return false
        }
        if segment.flags.contains(.ack) {
            ackNow = false
            ackDeadline = .never
            bytesSinceAck = 0
            rcv.lastAckSent = segment.ack
        }
        return true
    }

    /// RST for an abort or a timeout (RFC 9293 3.10.5), no options; at SND.MAX for the reason above.
    /// Always the connection's last segment, so it goes as a reply: the connection is gone by the emit.
    func sendReset(layer: TCPLayer) {
        let segment = OutgoingSegment(sourcePort: key.local.port, destinationPort: key.remote.port,
                                      seq: snd.max, ack: rcv.nxt, flags: [.rst, .ack], window: 0)
        if layer.queueReply(segment, key: key) { layer.counters.resetsSent += 1 }
    }

    /// Timer bookkeeping after anything that changes what is outstanding (RFC 6298 5.1-5.3): persist
    /// while data waits behind a window that is closed, or too small to use with nothing in flight
    /// (then only a window update, which may be lost, could restart us); retransmit while anything
    /// is unacknowledged.
    func updateSendTimer(now: Instant, restart: Bool) {
        let blocked = !sendBuffer.isEmpty && (snd.wnd == 0 || snd.max == snd.una)
        if state.isSynchronized && blocked {
            if case .persist = sendTimer { return }
            sendTimer = .persist(deadline: now + rto.current, backoffs: 0)
        } else if snd.max != snd.una {
            if case .retransmit = sendTimer, !restart { return }
            sendTimer = .retransmit(deadline: now + rto.current)
        } else {
            sendTimer = .idle
        }
    }

    /// A segment with our current ACK, window and options; sending it settles any pending ACK.
    func makeSegment(seq: SequenceNumber, flags: TCPFlags, now: Instant) -> OutgoingSegment {
        let isSyn = flags.contains(.syn)
        let carriesAck = flags.contains(.ack)
        var segment = OutgoingSegment(sourcePort: key.local.port, destinationPort: key.remote.port,
                                      seq: seq, ack: carriesAck ? rcv.nxt : SequenceNumber(0), flags: flags,
                                      window: windowField(forSyn: isSyn))
        let tsValue = UInt32(truncatingIfNeeded: now.milliseconds) &+ options.timestampOffset
        if isSyn {
            segment.mss = UInt16(clamping: configuration.mss)
            if state == .synSent {
                // Active open: offer everything configured.
                if configuration.windowScaling { segment.windowScale = rcv.scale }
                segment.sackPermitted = configuration.selectiveAcknowledgements
                if configuration.timestamps { segment.timestamp = TCPTimestamp(value: tsValue, echo: 0) }
            } else {
                // Passive open: answer only what the peer offered (adopted into our flags).
                if options.windowScaling { segment.windowScale = rcv.scale }
                segment.sackPermitted = options.sack
                if options.timestamps { segment.timestamp = TCPTimestamp(value: tsValue, echo: options.tsRecent) }
            }
        } else {
            if options.timestamps { segment.timestamp = TCPTimestamp(value: tsValue, echo: options.tsRecent) }
            segment.sackBlocks = sackBlocksToReport()
        }
        return segment
    }

    /// RFC 2018 4: the block holding the most recent out-of-order arrival first, then the others.
    func sackBlocksToReport() -> [SACKBlock] {
        guard options.sack, !reassembly.isEmpty else { return [] }
        let room = options.timestamps ? OutgoingSegment.maximumSACKBlocks : OutgoingSegment.maximumSACKBlocks + 1
        var blocks: [SACKBlock] = []
        func add(_ r: ReassemblyMap.Range) {
            if blocks.count < room { blocks.append(SACKBlock(left: rcv.nxt + r.start, right: rcv.nxt + r.end)) }
        }
        let latest = reassembly.latest
        if let latest { add(reassembly.ranges[latest]) }
        for (i, r) in reassembly.ranges.enumerated() where i != latest { add(r) }
        return blocks
    }

    /// The window to advertise, moving RCV.ADV only rightwards and only by a worthwhile amount
    /// (receiver SWS avoidance, RFC 9293 3.8.6.2.2). SYN windows are never scaled (RFC 7323 2.2).
    private func windowField(forSyn: Bool) -> UInt16 {
        let free = receiveBuffer.free
        if forSyn {
            let window = min(free, 0xFFFF)
            if state != .synSent { rcv.adv = SequenceNumber.latest(rcv.adv, rcv.nxt + window) }
            return UInt16(window)
        }
        let current = max(0, Int(rcv.nxt.distance(to: rcv.adv)))
        var window = free
        if window < current + windowUpdateThreshold { window = current }
        let field = min(window >> Int(rcv.scale), 0xFFFF)
        rcv.adv = SequenceNumber.latest(rcv.adv, rcv.nxt + (field << Int(rcv.scale)))
        return UInt16(field)
    }

    /// How much the window must grow before it is worth advertising (Clark's rule: min of half the
    /// buffer and one full segment).
    var windowUpdateThreshold: Int { min(receiveBuffer.capacity / 2, fullSegmentSize) }

    /// After the application read: is the window now worth an update of its own? Only when the
    /// advertised window has fallen to half the buffer or less and would at least double (as Linux
    /// does); otherwise the ACKs that data draws anyway carry the growing window.
    var windowUpdateDue: Bool {
        guard state.isSynchronized, !peerFinReceived else { return false }
        let current = max(0, Int(rcv.nxt.distance(to: rcv.adv)))
        let free = receiveBuffer.free
        return current <= receiveBuffer.capacity / 2 && free >= 2 * current && free >= current + windowUpdateThreshold
    }
}
