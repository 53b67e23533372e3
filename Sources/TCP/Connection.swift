import Bytes

/// One connection's transmission control block (RFC 9293 3.3.1): sequence variables, buffers, options,
/// timers. It never does I/O itself: segments go out through the layer passed in, time comes in as
/// `now`. Every change of state is one of the transitions at the end of this file, listed in one table
/// there. Incoming segments: Connection+Receive.swift; sending: Connection+Send.swift; timers:
/// Connection+Timers.swift; the user's calls: Connection+User.swift; options: Connection+Options.swift.
final class Connection {
    /// RFC 9293 3.7.1: assumed when the peer sends no MSS option.
    static let defaultPeerMSS = 536
    /// Lower bound on a peer's MSS, so a hostile peer cannot make us send one-byte segments.
    static let minimumPeerMSS = 88
    /// RFC 7323 2.3: the largest window shift.
    static let maximumWindowScale: UInt8 = 14
    /// Length of the timestamp option as we lay it out (two NOPs and ten bytes).
    static let timestampOptionLength = 12

    let key: ConnectionKey
    // Written only by the transitions below (the setters are private to this file).
    private(set) var handle: TCPHandle
    /// The listener that created it (passive open), for backlog accounting until it is accepted.
    private(set) var listener: TCPHandle?
    let configuration: TCPConfiguration
    private(set) var state: TCPState
    /// Accepted or connected: changes are reported to the user, and the user releases the handle.
    private(set) var userOwned = false
    /// Reached ESTABLISHED at some point (an outgoing connection that ends without it failed to open).
    private(set) var wasEstablished = false
    /// Why a user's connection ended (readiness reports it until the user releases the handle).
    private(set) var endReason: TCPCloseReason?

    /// SND.UNA, SND.NXT, SND.MAX, the peer's window (see ConnectionParts.swift).
    var snd: SendSequence
    /// Data not yet acknowledged; its first byte has sequence number `sendBufferSeq`.
    var sendBuffer: ByteRing
    var sendBufferSeq: SequenceNumber
    /// The application closed its sending side: a FIN follows the buffered data.
    var finQueued = false

    /// RCV.NXT and the window we advertised.
    var rcv: ReceiveSequence
    /// In-order data not yet read; out-of-order data parked in its free space (see ReassemblyMap).
    var receiveBuffer: ByteRing
    var reassembly: ReassemblyMap
    /// Where the current receive-buffer growth epoch began (see `noteReceived`).
    var receiveEpochStart: Instant
    var receiveEpochSeq = SequenceNumber(0)
    /// Where the peer's FIN sits, once seen (it may arrive before the data in front of it).
    var peerFinSeq: SequenceNumber? = nil
    /// The peer's FIN was reached in order.
    var peerFinReceived = false
    /// The application called `close`: it will not read again.
    var userClosedReading = false
    /// Data was thrown away after `close`; the peer learns by RST once our data is acknowledged.
    var discardedAfterClose = false

    /// What the handshake agreed on.
    var options: NegotiatedOptions

    // Timers and congestion control.
    var sendTimer = SendTimer.idle
    /// Consecutive expiries without progress (retransmissions or unanswered probes).
    var retries = 0
    var rto: RetransmissionTimeout
    var cc: NewReno
    /// The segment being timed for an RTT sample (Karn: cleared on any retransmission).
    var rttSeq: SequenceNumber? = nil
    var rttStart = Instant.zero
    var ackNow = false
    /// When we last answered a bare unacceptable segment (see `acknowledgeInvalid`).
    var lastInvalidAck: Instant? = nil
    var ackDeadline = Instant.never
    var bytesSinceAck = 0
    var lastReceived: Instant
    var lastSent: Instant
    /// When data last moved: new data acknowledged by the peer or received in order (what
    /// `TCPLayer.evictStalledEstablished` ranks connections by; any segment is not progress).
    var lastProgress: Instant
    var keepaliveEnabled = false
    var keepalivesUnanswered = 0
    var lastKeepaliveSent = Instant.zero
    var noDelay = false
    /// End of the last sub-MSS segment sent (Minshall's Nagle variant): while it is unacknowledged,
    /// further small segments wait; a small tail behind full-sized segments does not.
    var smallSegmentEnd: SequenceNumber? = nil
    /// On the layer's list for the next emit pass (see `TCPLayer.wantsOutput`).
    var outputPending = false
    /// Segments asked for besides data and the ACK (see `OutputRequests`).
    var outputRequests = OutputRequests()
    /// Out-of-order arrivals not yet answered by their duplicate ACK.
    var duplicateAcksOwed = 0
    /// Acknowledgement points owed besides the last (see `oweAck`), as raw sequence numbers (an array
    /// type the image already carries).
    var owedAcks: [UInt32] = []
    /// The buffers were dropped (`releaseBuffers`).
    var buffersReleased = false

    init(key: ConnectionKey, handle: TCPHandle, configuration: TCPConfiguration, iss: SequenceNumber,
         timestampOffset: UInt32, state: TCPState, now: Instant) {
        self.key = key
        self.handle = handle
        self.configuration = configuration
        self.state = state
        snd = SendSequence(iss: iss)
        // Scaled for the largest the receive buffer may grow to: the shift is fixed at the handshake.
        rcv = ReceiveSequence(scale: configuration.windowScaling
                                  ? Connection.windowScale(for: configuration.receiveBufferSize) : 0)
        options = NegotiatedOptions(timestampOffset: timestampOffset)
        sendBuffer = ByteRing(capacity: min(configuration.initialSendBufferSize, configuration.sendBufferSize))
        sendBufferSeq = iss + 1
        receiveBuffer = ByteRing(capacity: min(configuration.initialReceiveBufferSize, configuration.receiveBufferSize))
        receiveEpochStart = now
        reassembly = ReassemblyMap(maximumRanges: configuration.maximumOutOfOrderRanges)
        rto = RetransmissionTimeout(initial: configuration.initialRTO, minimum: configuration.minimumRTO,
                                    maximum: configuration.maximumRTO)
        cc = NewReno(mss: min(configuration.mss, Connection.defaultPeerMSS), initialSequence: iss)
        lastReceived = now
        lastSent = now
        lastProgress = now
    }

    /// Drops both buffers of a closed connection; true the first time (what the layer then stops
    /// counting in `memoryInUse`).
    func releaseBuffers() -> Bool {
        guard !buffersReleased else { return false }
        buffersReleased = true
        sendBuffer = ByteRing(capacity: 0)
        receiveBuffer = ByteRing(capacity: 0)
        return true
    }

    /// Bytes of memory a new connection's buffers hold (what the layer admits it by; they may grow).
    static func memoryCost(_ configuration: TCPConfiguration) -> Int {
        min(configuration.initialSendBufferSize, configuration.sendBufferSize)
            + min(configuration.initialReceiveBufferSize, configuration.receiveBufferSize)
    }

    /// The smallest shift that lets a 16-bit window field describe the whole buffer.
    static func windowScale(for bufferSize: Int) -> UInt8 {
        var shift: UInt8 = 0
        while shift < maximumWindowScale && bufferSize >> Int(shift) > 0xFFFF { shift += 1 }
        return shift
    }

    /// Payload bytes per full segment, options of a plain data segment accounted (RFC 6691).
    var fullSegmentSize: Int {
        min(options.peerMSS, configuration.mss) - (options.timestamps ? Connection.timestampOptionLength : 0)
    }

    /// The sequence number of our FIN, once the application has closed its sending side.
    var finSeq: SequenceNumber? { finQueued ? sendBufferSeq + sendBuffer.count : nil }

    var ourFinAcknowledged: Bool {
        finQueued && sendBuffer.isEmpty && snd.una == sendBufferSeq + 1
    }

    /// Bytes the application may still read (0 after `close`).
    var available: Int { receiveBuffer.count }

    /// Room for the application's data; none once its sending side is closed.
    var sendSpace: Int {
        guard !finQueued else { return 0 }
        switch state {
        case .synSent, .synReceived, .established, .closeWait: return sendBuffer.free
        default: return 0
        }
    }
}

// MARK: Transitions

/// Every (state, event) -> state, in one place (RFC 9293 3.3.2's diagram, as this TCB takes it).
/// LISTEN is the listener's (`TCPLayer.listenerArrived`); TIME-WAIT is the layer's compact record
/// (`TimeWaitTable`): a connection entering it is CLOSED as a TCB at once.
///
///     state         event                                        next            method
///     (none)        user connect                                 SYN-SENT        openActive
///     LISTEN        SYN (or an ACK returning a SYN cookie)       SYN-RECEIVED    openPassive, openFromCookie
///     SYN-SENT      SYN+ACK of our SYN                           ESTABLISHED *   handshakeCompleted
///     SYN-SENT      SYN without ACK (simultaneous open)          SYN-RECEIVED    simultaneousOpen
///     SYN-SENT      RST+ACK of our SYN                           CLOSED reset    terminate
///     SYN-SENT      user close / abort                           CLOSED aborted  closeSending, terminate
///     SYN-RECEIVED  ACK of our SYN                               ESTABLISHED *   handshakeCompleted
///     SYN-RECEIVED  RST at RCV.NXT; SYN (passive open only)      CLOSED reset    terminate
///     SYN-RECEIVED  user close                                   (FIN queued)    closeSending
///     ESTABLISHED   FIN reached in order                         CLOSE-WAIT      peerFinReached
///     ESTABLISHED   user close                                   FIN-WAIT-1      closeSending
///     FIN-WAIT-1    ACK of our FIN                               FIN-WAIT-2 **   finAcknowledged
///     FIN-WAIT-1    FIN reached in order                         CLOSING         peerFinReached
///     FIN-WAIT-2    FIN reached in order                         TIME-WAIT       peerFinReached
///     FIN-WAIT-2    data after the user closed                   CLOSED aborted  refuseDataAfterClose (RST)
///     CLOSE-WAIT    user close                                   LAST-ACK        closeSending
///     CLOSING       ACK of our FIN                               TIME-WAIT       finAcknowledged
///     LAST-ACK      ACK of our FIN                               CLOSED normal   finAcknowledged
///     synchronized  RST at RCV.NXT                               CLOSED reset    terminate
///     any           abort, timeout, replacement, address lost    CLOSED          terminate
///
/// \* FIN-WAIT-1 instead when the user closed during the handshake (its FIN is queued).
/// \*\* CLOSED aborted (with an RST) instead when data was discarded after the user closed.
/// Everything else (an unacceptable segment, a challenged SYN or RST, a duplicate) keeps the state.
extension Connection {
    /// A user's connect: the SYN goes at the next emit.
    func openActive() {
        userOwned = true
    }

    /// A SYN reached `listener`: take on its options and window; the SYN-ACK goes at the next emit.
    func openPassive(_ syn: TCPSegment, listener: TCPHandle) {
        self.listener = listener
        adoptPeerOptions(syn)
        snd.wnd = Int(syn.window)
        snd.wl1 = syn.seq
    }

    /// An ACK returned a SYN cookie of `listener` (see `adoptCookie`); the ACK is processed next.
    func openFromCookie(listener: TCPHandle, clientISN: SequenceNumber, peerMSS mss: Int, window: Int) {
        self.listener = listener
        adoptCookie(clientISN: clientISN, peerMSS: mss, window: window)
    }

    /// SYN-SENT met the peer's SYN without an ACK: answer with a SYN-ACK (same ISS) and wait for its ACK.
    func simultaneousOpen() {
        state = .synReceived
        snd.nxt = snd.iss
        retries = 0
    }

    func handshakeCompleted(layer: TCPLayer) {
        state = .established
        wasEstablished = true
        layer.connectionEstablished(self)
        // The application closed while the handshake was under way: its FIN is already queued.
        if finQueued { state = .finWait1 }
    }

    /// The peer acknowledged our FIN. True when the segment is finished with (the connection is gone).
    func finAcknowledged(now: Instant, layer: TCPLayer) -> Bool {
        switch state {
        case .finWait1:
            state = .finWait2
            guard discardedAfterClose else { return false }
            refuseDataAfterClose(layer: layer)
        case .closing:
            enterTimeWait(now: now, layer: layer)
        case .lastAck:
            terminate(.normal, layer: layer)
        default:
            return false
        }
        return true
    }

    /// RCV.NXT reached the peer's FIN.
    func peerFinReached(now: Instant, layer: TCPLayer) {
        switch state {
        case .established: state = .closeWait
        case .finWait1: state = .closing
        case .finWait2: enterTimeWait(now: now, layer: layer)
        default: break
        }
    }

    /// The user closed its sending side (`shutdown`, `close`): a FIN follows the queued data.
    func closeSending(layer: TCPLayer) {
        switch state {
        case .synSent:
            terminate(.aborted, layer: layer)      // nothing to say to a peer we never reached
            return
        case .synReceived:
            finQueued = true                       // sent once established
        case .established:
            finQueued = true
            state = .finWait1
        case .closeWait:
            finQueued = true
            state = .lastAck
        default:
            return                                 // already closing or closed
        }
        layer.wantsOutput(self)
    }

    /// RFC 1122 4.2.2.13 / RFC 9293 3.10.7.4: data arriving after the application closed is lost to
    /// it; the peer is told by RST. Reached only once everything we sent is acknowledged, so the RST
    /// cannot cut off our own data in flight.
    func refuseDataAfterClose(layer: TCPLayer) {
        sendReset(layer: layer)
        terminate(.aborted, layer: layer)
    }

    func enterTimeWait(now: Instant, layer: TCPLayer) {
        // The ACK of the peer's FIN, the connection's last word: it is gone before the next emit.
        if ackNow { layer.queueReply(makeSegment(seq: snd.max, flags: [.ack], now: now), key: key) }
        layer.enterTimeWait(self, now: now)
        terminate(.normal, layer: layer)
    }

    /// The end of the connection as a TCB: the layer unhooks it and tells its user, or frees it.
    func terminate(_ reason: TCPCloseReason, layer: TCPLayer) {
        state = .closed
        sendTimer = .idle
        ackDeadline = .never
        outputPending = false
        let owner = listener
        listener = nil
        if userOwned { endReason = reason }
        layer.connectionEnded(self, listener: owner, reason: reason)
    }

    /// The user took it from its listener's accept queue.
    func accepted() {
        listener = nil
        userOwned = true
    }

    /// The user released its handle while the connection is open: aborted, unless the user had closed
    /// it; then (true) the close completes in the background, under a handle from `renamed`.
    func released(layer: TCPLayer) -> Bool {
        userOwned = false
        guard userClosedReading else {
            abort(layer: layer)
            return false
        }
        return true
    }

    /// Its slot's generation moved on (the user's handle went stale).
    func renamed(_ handle: TCPHandle) {
        self.handle = handle
    }

    /// Abortive release: an RST to a peer that knows of us, then CLOSED.
    func abort(layer: TCPLayer) {
        switch state {
        case .closed: return
        case .synSent: break
        default: sendReset(layer: layer)
        }
        terminate(.aborted, layer: layer)
    }
}
