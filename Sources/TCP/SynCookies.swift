import Bytes

/// SYN cookies (RFC 4987 3.6, as Linux and the BSDs make them). When a SYN meets a full backlog (and no
/// half-open connection may be replaced), the SYN-ACK's sequence number carries what the connection
/// needs and nothing is kept.
/// A client that answers returns the cookie in its ACK, and the connection is made then. A spoofed
/// flood so costs one segment per SYN and no memory, while real clients still get in.
///
/// The 32-bit cookie: 5 bits of time (64 s ticks, modulo 32), 3 bits naming the peer's MSS in
/// `mssTable`, and 24 bits of a keyed hash over the 4-tuple, the client's ISN and the whole tick. A
/// cookie is good in the tick it was made in and the next (64 to 128 s). Guessing one blindly takes
/// 2^24 tries per 4-tuple, and cookies are checked only while some are out (`lifetime`).
///
/// What the cookie cannot carry is lost: a connection made from one has no window scaling, SACK or
/// timestamps, and its MSS is rounded down to the table.
struct SynCookies {
    static let tick: Interval = .seconds(64)
    /// How long after the last cookie went out an ACK is still checked against cookies.
    static let lifetime: Interval = .seconds(128)
    /// The MSS values a cookie can name: RFC 1122's minimum, tunnel and PPPoE sizes, Ethernet's.
    static let mssTable: [Int] = [536, 1220, 1300, 1360, 1400, 1440, 1452, 1460]

    private let hash: SipHash24

    init(hash: SipHash24) { self.hash = hash }

    /// The sequence number of a SYN-ACK answering `clientISN` on `key` without keeping state.
    func make(for key: ConnectionKey, clientISN: SequenceNumber, peerMSS: Int, now: Instant) -> SequenceNumber {
        let tick = SynCookies.tick(now)
        let index = SynCookies.mssTable.lastIndex { $0 <= peerMSS } ?? 0
        return SequenceNumber(UInt32(truncatingIfNeeded: tick & 0x1F) << 27 | UInt32(index) << 24
                              | authenticator(key, clientISN, tick))
    }

    /// The peer MSS that `cookie` (an ACK's acknowledgement number less one) names, or nil when it is
    /// not one made for this 4-tuple and client ISN in this tick or the one before.
    func check(_ cookie: SequenceNumber, for key: ConnectionKey, clientISN: SequenceNumber, now: Instant) -> Int? {
        let current = SynCookies.tick(now)
        let tick = UInt32(truncatingIfNeeded: current & 0x1F) == cookie.raw >> 27 ? current : current &- 1
        guard UInt32(truncatingIfNeeded: tick & 0x1F) == cookie.raw >> 27,
              cookie.raw & 0xFF_FFFF == authenticator(key, clientISN, tick) else { return nil }
        return SynCookies.mssTable[Int(cookie.raw >> 24 & 7)]
    }

    /// The window a cookie's SYN-ACK offers: unscaled, since no window scale option goes with it, and
    /// no more than the receive ring the connection will start with (the window must have room).
    static func window(_ configuration: TCPConfiguration) -> Int {
        min(configuration.initialReceiveBufferSize, configuration.receiveBufferSize, 0xFFFF)
    }

    private static func tick(_ now: Instant) -> UInt64 { now.nanoseconds / tick.nanoseconds }

    private func authenticator(_ key: ConnectionKey, _ clientISN: SequenceNumber, _ tick: UInt64) -> UInt32 {
        let words = [clientISN.raw, UInt32(truncatingIfNeeded: tick >> 32), UInt32(truncatingIfNeeded: tick)]
        return UInt32(truncatingIfNeeded: key.keyedHash(hash, followedBy: words)) & 0xFF_FFFF
    }
}
