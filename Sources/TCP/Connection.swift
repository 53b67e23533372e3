import Bytes

/// One connection's transmission control block (RFC 9293 3.3.1): sequence variables, buffers, options,
/// timers. It never does I/O itself: segments go out through the layer passed in, time comes in as
/// `now`. Incoming segments: Connection+Receive.swift; sending: Connection+Send.swift; timers:
/// Connection+Timers.swift.
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
    var handle: TCPHandle
    /// The listener that created it (passive open), for backlog accounting until it is accepted.
    var listener: TCPHandle?
    let configuration: TCPConfiguration
    var state: TCPState
    /// Accepted or connected: changes are reported to the user, and the user releases the handle.
    var userOwned = false
    /// Reached ESTABLISHED at some point (an outgoing connection that ends without it failed to open).
    var wasEstablished = false
    /// Why a user's connection ended (readiness reports it until the user releases the handle).
    var endReason: TCPCloseReason?

    // Send sequence space (RFC 9293 3.3.1), plus SND.MAX: after an RTO, SND.NXT goes back to SND.UNA
    // to resend, while SND.MAX remembers how far we had got.
    let iss: SequenceNumber
    var sndUna: SequenceNumber
    var sndNxt: SequenceNumber
    var sndMax: SequenceNumber
    var sndWnd = 0
    var sndWl1 = SequenceNumber(0)
    var sndWl2 = SequenceNumber(0)
    /// Largest window the peer has offered (RFC 5961 5.2 and sender SWS avoidance).
    var maxSndWnd = 0
    var sndScale: UInt8 = 0
    /// Data not yet acknowledged; its first byte has sequence number `sendBufferSeq`.
    var sendBuffer: ByteRing
    var sendBufferSeq: SequenceNumber
    /// The application closed its sending side: a FIN follows the buffered data.
    var finQueued = false

    // Receive sequence space.
    var irs = SequenceNumber(0)
    var rcvNxt = SequenceNumber(0)
    /// Right edge of the window we last advertised; never moved left (RFC 9293 3.8.6.2.2).
    var rcvAdv = SequenceNumber(0)
    var rcvScale: UInt8
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

    // Options.
    var peerMSS = Connection.defaultPeerMSS
    var windowScalingEnabled = false
    var timestampsEnabled = false
    var sackEnabled = false
    let timestampOffset: UInt32
    var tsRecent: UInt32 = 0
    /// RCV.NXT as carried by our last ACK (RFC 7323 4.3 "Last.ACK.sent").
    var lastAckSent = SequenceNumber(0)

    // Timers and congestion control.
    enum SendTimer: Equatable { case idle, retransmit, persist }
    var sendTimer = SendTimer.idle
    var sendTimerDeadline = Instant.never
    /// Consecutive expiries without progress (retransmissions or unanswered probes).
    var retries = 0
    var persistBackoffs = 0
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
        self.iss = iss
        self.timestampOffset = timestampOffset
        sndUna = iss
        sndNxt = iss
        sndMax = iss
        sendBuffer = ByteRing(capacity: min(configuration.initialSendBufferSize, configuration.sendBufferSize))
        sendBufferSeq = iss + 1
        receiveBuffer = ByteRing(capacity: min(configuration.initialReceiveBufferSize, configuration.receiveBufferSize))
        receiveEpochStart = now
        reassembly = ReassemblyMap(maximumRanges: configuration.maximumOutOfOrderRanges)
        // Scaled for the largest the receive buffer may grow to: the shift is fixed at the handshake.
        rcvScale = configuration.windowScaling ? Connection.windowScale(for: configuration.receiveBufferSize) : 0
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
        min(peerMSS, configuration.mss) - (timestampsEnabled ? Connection.timestampOptionLength : 0)
    }

    /// The sequence number of our FIN, once the application has closed its sending side.
    var finSeq: SequenceNumber? { finQueued ? sendBufferSeq + sendBuffer.count : nil }

    var ourFinAcknowledged: Bool {
        finQueued && sendBuffer.isEmpty && sndUna == sendBufferSeq + 1
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

    /// Takes on the options of the peer's SYN (RFC 7323, RFC 2018, RFC 9293 3.7.1) and its sequence
    /// number. Either we offered every enabled option in our SYN (active open), or we answer with
    /// exactly the ones adopted here (passive open), so "both sides sent it" is "the peer sent it".
    func adoptPeerOptions(_ syn: TCPSegment) {
        peerMSS = max(Int(syn.mss ?? UInt16(Connection.defaultPeerMSS)), Connection.minimumPeerMSS)
        if configuration.windowScaling, let shift = syn.windowScale {
            sndScale = min(shift, Connection.maximumWindowScale)
            windowScalingEnabled = true
        } else {
            sndScale = 0
            rcvScale = 0
        }
        if configuration.timestamps, let ts = syn.timestamp {
            timestampsEnabled = true
            tsRecent = ts.value
        }
        sackEnabled = configuration.selectiveAcknowledgements && syn.sackPermitted
        synchronize(toPeerISN: syn.seq)
    }

    /// A passive connection made from a SYN cookie (see `SynCookies`) when the peer's ACK returned it:
    /// the SYN-ACK carrying `iss` is out, offering `window` unscaled, and the peer's SYN carried
    /// `clientISN`. Of the SYN's options only the MSS came back (rounded down), so no window scaling,
    /// timestamps or SACK.
    func adoptCookie(clientISN: SequenceNumber, peerMSS mss: Int, window: Int) {
        peerMSS = mss
        sndScale = 0
        rcvScale = 0
        synchronize(toPeerISN: clientISN)
        rcvAdv = rcvNxt + window
        sndNxt = iss + 1
        sndMax = sndNxt
    }

    /// The receive sequence space from the peer's ISN, and congestion control for the agreed MSS.
    private func synchronize(toPeerISN peerISN: SequenceNumber) {
        cc = NewReno(mss: fullSegmentSize, initialSequence: iss)
        irs = peerISN
        rcvNxt = peerISN + 1
        rcvAdv = rcvNxt
        lastAckSent = rcvNxt
        receiveEpochSeq = rcvNxt
    }
}
