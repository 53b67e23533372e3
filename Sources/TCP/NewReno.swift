/// Congestion control: slow start and congestion avoidance (RFC 5681) with NewReno fast recovery
/// (RFC 6582). The connection reports events; this struct keeps cwnd, ssthresh and the recovery point.
struct NewReno {
    /// Sender maximum segment size (bytes of payload per segment).
    var mss: Int
    private(set) var cwnd: Int
    private(set) var ssthresh: Int = Int(Int32.max)
    /// Bytes acknowledged since cwnd last grew in congestion avoidance (RFC 5681 3.1, byte counting).
    private var acknowledgedInAvoidance = 0
    /// RFC 6582 "recover", kept as SND.MAX when loss was last detected (one past the highest byte
    /// sent), so "the ACK covers recover" reads `ack >= recover`.
    private(set) var recover: SequenceNumber
    private(set) var inFastRecovery = false
    /// Duplicate ACKs seen in a row (RFC 5681 section 2 definition).
    private(set) var duplicateAcks = 0

    static let duplicateAckThreshold = 3

    init(mss: Int, initialSequence: SequenceNumber) {
        self.mss = mss
        cwnd = NewReno.initialWindow(mss: mss)
        recover = initialSequence
    }

    /// How much may be outstanding: cwnd, plus RFC 3042 limited transmit outside recovery, where the
    /// first and second duplicate ACK each let one new segment out beyond cwnd. A loss in a small
    /// window then still draws the three duplicate ACKs fast retransmit needs, instead of waiting for
    /// the retransmission timeout. cwnd itself is unchanged.
    var sendWindow: Int {
        inFastRecovery ? cwnd : cwnd + min(duplicateAcks, NewReno.duplicateAckThreshold - 1) * mss
    }

    /// RFC 5681 3.1: IW = min(4*SMSS, max(2*SMSS, 4380 bytes)).
    static func initialWindow(mss: Int) -> Int { min(4 * mss, max(2 * mss, 4380)) }

    /// An ACK advanced SND.UNA by `acked` bytes. `flight` is what was outstanding before it and
    /// `highestSent` is SND.MAX. Returns true when the caller must retransmit the first unacknowledged
    /// segment at once (a partial ACK during fast recovery, RFC 6582 3.2 step 5).
    mutating func onNewAck(acked: Int, ack: SequenceNumber, flight: Int) -> Bool {
        duplicateAcks = 0
        if inFastRecovery {
            if ack >= recover {
                // Full ACK: deflate to ssthresh, bounded by what is still in flight (RFC 6582 step 5, option 1).
                inFastRecovery = false
                cwnd = min(ssthresh, max(flight - acked, mss) + mss)
                return false
            }
            // Partial ACK: deflate by the amount acked, add back one MSS if that was at least one MSS.
            cwnd = max(cwnd - acked, mss) + (acked >= mss ? mss : 0)
            return true
        }
        if cwnd < ssthresh {
            cwnd += min(acked, mss)                     // slow start (L = 1 SMSS, RFC 3465)
        } else {
            acknowledgedInAvoidance += acked            // congestion avoidance: ~1 MSS per RTT
            if acknowledgedInAvoidance >= cwnd {
                acknowledgedInAvoidance -= cwnd
                cwnd += mss
            }
        }
        return false
    }

    /// A duplicate ACK. Returns true when this one triggers fast retransmit.
    mutating func onDuplicateAck(flight: Int, highestSent: SequenceNumber, ack: SequenceNumber) -> Bool {
        duplicateAcks += 1
        if inFastRecovery {
            cwnd += mss                                 // inflation: one segment left the network
            return false
        }
        // RFC 6582 3.2 step 2: only enter recovery if this loss is beyond the last recovery point,
        // so one window's losses do not halve cwnd repeatedly.
        guard duplicateAcks == NewReno.duplicateAckThreshold, ack >= recover else {
            return false
        }
        // Segments sent by limited transmit do not count in FlightSize (RFC 5681 3.2 note 4).
        ssthresh = max(min(flight, cwnd) / 2, 2 * mss)
        cwnd = ssthresh + NewReno.duplicateAckThreshold * mss
        recover = highestSent
        inFastRecovery = true
        return true
    }

    /// The retransmission timer expired (RFC 5681 3.1 eq. 4, RFC 6582 3.2 step 4).
    mutating func onTimeout(flight: Int, highestSent: SequenceNumber) {
        ssthresh = max(flight / 2, 2 * mss)
        cwnd = mss
        acknowledgedInAvoidance = 0
        duplicateAcks = 0
        inFastRecovery = false
        recover = highestSent
    }

    /// RFC 5681 4.1: after an idle period longer than an RTO, restart from the restart window.
    mutating func onIdleRestart() { cwnd = min(cwnd, NewReno.initialWindow(mss: mss)) }
}
