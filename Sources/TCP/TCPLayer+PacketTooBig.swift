import Bytes

extension TCPLayer {
    /// An ICMPv6 packet too big (RFC 8201, RFC 4443 3.2) that quotes one of our segments: `local` and
    /// `remote` are the quoted packet's source and destination, `quoted` its TCP header's first bytes
    /// (ports and sequence number, at least 8), `mtu` the MTU the router reported. Taken only when the
    /// quote names a live connection and a sequence number it sent that is not yet acknowledged (RFC
    /// 5927 4.1: a blind attacker would have to guess one); anything else is ignored and counted.
    /// True when it was taken.
    @discardableResult
    public func packetTooBig(local: IPAddress, remote: IPAddress, quoted: ByteView, mtu: Int, now: Instant) -> Bool {
        guard quoted.count >= 8 else { counters.packetTooBigIgnored += 1; return false }
        let key = ConnectionKey(local: Endpoint(local, quoted.u16(at: 0)), remote: Endpoint(remote, quoted.u16(at: 2)))
        guard let index = connections[key], case .connection(let connection) = slots[index].entry,
              connection.pathTooBig(quotedSeq: SequenceNumber(quoted.u32(at: 4)), mtu: mtu, layer: self) else {
            counters.packetTooBigIgnored += 1
            return false
        }
        counters.packetTooBigAccepted += 1
        return true
    }
}

extension Connection {
    /// The IPv6 and TCP headers a segment's payload shares the MTU with (options are counted by the
    /// payload's own sizing, as for the MSS).
    static let ipv6AndTCPHeaderLength = 60

    /// Lowers the segment size to fit `mtu` (never below `TCPLayer.minimumIPv6MSS`) and resends
    /// everything unacknowledged in the smaller segments at once, without the RTO's congestion
    /// response (the segments were lost to their size, not to congestion). False when `quotedSeq` is
    /// not in SND.UNA..<SND.MAX of a synchronized connection.
    func pathTooBig(quotedSeq: SequenceNumber, mtu: Int, layer: TCPLayer) -> Bool {
        guard state.isSynchronized, quotedSeq >= snd.una, quotedSeq < snd.max else { return false }
        // Every IPv6 link carries 1280 bytes (RFC 8200 5), so a smaller report is taken as that (RFC
        // 8201 4): the floor is 1280 - 60 = TCPLayer.minimumIPv6MSS.
        let mss = max(TCPLayer.minimumIPv6MSS, mtu - Connection.ipv6AndTCPHeaderLength)
        guard mss < min(options.peerMSS, configuration.mss) else { return true }
        options.peerMSS = mss      // the effective MSS is the smaller of this and ours, everywhere
        cc.mss = fullSegmentSize
        rttSeq = nil               // Karn: what is resent now cannot time the path
        snd.nxt = snd.una
        layer.wantsOutput(self)
        return true
    }
}
