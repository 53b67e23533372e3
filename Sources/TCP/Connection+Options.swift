import Bytes

/// The handshake's options (RFC 7323, RFC 2018, RFC 9293 3.7.1): what the peer's SYN or a returned SYN
/// cookie lets the connection use, and the receive sequence space that starts at the peer's ISN.
extension Connection {
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
