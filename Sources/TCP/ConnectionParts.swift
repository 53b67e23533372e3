import Bytes

/// The value types a `Connection` groups its variables into (RFC 9293 3.3.1's send and receive
/// sequence spaces, what the handshake negotiated, and the one send timer).

/// Send sequence space, plus SND.MAX: after an RTO, SND.NXT goes back to SND.UNA to resend, while
/// SND.MAX remembers how far we had got.
struct SendSequence {
    let iss: SequenceNumber
    var una: SequenceNumber
    var nxt: SequenceNumber
    var max: SequenceNumber
    var wnd = 0
    var wl1 = SequenceNumber(0)
    var wl2 = SequenceNumber(0)
    /// Largest window the peer has offered (RFC 5961 5.2 and sender SWS avoidance).
    var maxWnd = 0
    /// The peer's window shift (RFC 7323).
    var scale: UInt8 = 0

    init(iss: SequenceNumber) {
        self.iss = iss
        una = iss
        nxt = iss
        max = iss
    }
}

/// Receive sequence space.
struct ReceiveSequence {
    var irs = SequenceNumber(0)
    var nxt = SequenceNumber(0)
    /// Right edge of the window we last advertised; never moved left (RFC 9293 3.8.6.2.2).
    var adv = SequenceNumber(0)
    /// Our window shift, fixed at the handshake.
    var scale: UInt8
    /// RCV.NXT as carried by our last ACK (RFC 7323 4.3 "Last.ACK.sent").
    var lastAckSent = SequenceNumber(0)
}

/// What the handshake agreed on (RFC 9293 3.7.1, RFC 7323, RFC 2018).
struct NegotiatedOptions {
    var peerMSS = Connection.defaultPeerMSS
    var windowScaling = false
    var timestamps = false
    var sack = false
    /// Added to our clock for TSval (RFC 7323 5.4), per connection.
    let timestampOffset: UInt32
    /// The peer's TSval to echo (RFC 7323 4.3).
    var tsRecent: UInt32 = 0
}

/// The retransmission and persist timers never run at once (RFC 9293 3.8.6.1): one enum, each case
/// carrying its deadline.
enum SendTimer {
    case idle
    case retransmit(deadline: Instant)
    /// `backoffs`: probes sent so far without the window opening (each doubles the interval).
    case persist(deadline: Instant, backoffs: Int)

    var deadline: Instant {
        switch self {
        case .idle: return .never
        case .retransmit(let deadline), .persist(let deadline, _): return deadline
        }
    }
}
