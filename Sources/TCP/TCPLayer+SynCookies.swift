import Bytes

/// The listener's side of SYN cookies (see `SynCookies`): answering a SYN that would be refused, and
/// making the connection when the client's ACK brings the cookie back.
extension TCPLayer {
    /// Answers `syn` with a stateless SYN-ACK, unless cookies are off or the listener's accept queue is
    /// itself full (then the connection could not be queued on the ACK either: the SYN is dropped and
    /// the client retries).
    func sendCookie(answering syn: TCPSegment, key: ConnectionKey, listener: Listener, now: Instant) {
        guard configuration.synCookies, listener.acceptQueue.count < listener.backlog else { return }
        let peerMSS = Int(syn.mss ?? UInt16(Connection.defaultPeerMSS))
        let cookie = secrets.cookies.make(for: key, clientISN: syn.seq, peerMSS: peerMSS, now: now)
        var synAck = OutgoingSegment(sourcePort: key.local.port, destinationPort: key.remote.port, seq: cookie,
                                     ack: syn.seq + 1, flags: [.syn, .ack],
                                     window: UInt16(SynCookies.window(configuration)))
        synAck.mss = UInt16(configuration(for: key).mss)
        guard queueReply(synAck, key: key) else { return }
        counters.synCookiesSent += 1
        lastSynCookieSent = now
    }

    /// An ACK for no connection at a listener: if it returns a cookie of ours (and cookies went out
    /// lately), the connection is made now as if its SYN-ACK had just been acknowledged, and the segment
    /// (which may carry data or FIN) is processed on it. With no room now it is dropped, and the client's
    /// retransmission tries again. False when it is no answer to a cookie.
    func cookieArrived(_ segment: TCPSegment, key: ConnectionKey, listener: Listener, now: Instant) -> Bool {
        guard let sent = lastSynCookieSent, now.since(sent) < SynCookies.lifetime else { return false }
        let clientISN = segment.seq - 1
        guard let peerMSS = secrets.cookies.check(segment.ack - 1, for: key, clientISN: clientISN, now: now) else {
            return false
        }
        if refusedForSource(key.remote.address, halfOpen: false) { return true }
        guard listener.acceptQueue.count < listener.backlog, refusal(now: now, source: key.remote.address) == nil else {
            counters.synCookiesDropped += 1
            return true
        }
        counters.synCookiesAccepted += 1
        let connection = createConnection(key: key, state: .synReceived, iss: segment.ack - 1, now: now)
        connection.openFromCookie(listener: listener.handle, clientISN: clientISN, peerMSS: peerMSS,
                                  window: SynCookies.window(configuration))
        listener.halfOpen += 1
        connection.segmentArrived(segment, now: now, layer: self)
        return true
    }
}
