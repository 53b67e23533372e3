import Bytes

/// The handshake's options (RFC 7323, RFC 2018, RFC 9293 3.7.1): what the peer's SYN or a returned SYN
/// cookie lets the connection use, and the receive sequence space that starts at the peer's ISN.
extension Connection {
    /// Takes on the options of the peer's SYN (RFC 7323, RFC 2018, RFC 9293 3.7.1) and its sequence
    /// number. Either we offered every enabled option in our SYN (active open), or we answer with
    /// exactly the ones adopted here (passive open), so "both sides sent it" is "the peer sent it".
    func adoptPeerOptions(_ syn: TCPSegment) {
        options.peerMSS = max(Int(syn.mss ?? UInt16(Connection.defaultPeerMSS)), Connection.minimumPeerMSS)
        if configuration.windowScaling, let shift = syn.windowScale {
            snd.scale = min(shift, Connection.maximumWindowScale)
            options.windowScaling = true
        } else {
            snd.scale = 0
            rcv.scale = 0
        }
        if configuration.timestamps, let ts = syn.timestamp {
            options.timestamps = true
            options.tsRecent = ts.value
        }
        options.sack = configuration.selectiveAcknowledgements && syn.sackPermitted
        synchronize(toPeerISN: syn.seq)
    }

    /// A passive connection made from a SYN cookie (see `SynCookies`) when the peer's ACK returned it:
    /// the SYN-ACK carrying `iss` is out, offering `window` unscaled, and the peer's SYN carried
    /// `clientISN`. Of the SYN's options only the MSS came back (rounded down), so no window scaling,
    /// timestamps or SACK.
    func adoptCookie(clientISN: SequenceNumber, peerMSS mss: Int, window: Int) {
        options.peerMSS = mss
        snd.scale = 0
        rcv.scale = 0
        synchronize(toPeerISN: clientISN)
        rcv.adv = rcv.nxt + window
        snd.nxt = snd.iss + 1
        snd.max = snd.nxt
    }

    /// The receive sequence space from the peer's ISN, and congestion control for the agreed MSS.
    private func synchronize(toPeerISN peerISN: SequenceNumber) {
        cc = NewReno(mss: fullSegmentSize, initialSequence: snd.iss)
        rcv.irs = peerISN
        rcv.nxt = peerISN + 1
        rcv.adv = rcv.nxt
        rcv.lastAckSent = rcv.nxt
        receiveEpochSeq = rcv.nxt
    }
}
