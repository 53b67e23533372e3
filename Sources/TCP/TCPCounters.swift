/// What the TCP layer dropped, refused or did unusually, for `/factory/etc` and debug logs.
public struct TCPCounters {
    public var segmentsReceived: UInt64 = 0
    public var segmentsSent: UInt64 = 0
    /// The output sink had no buffer for a segment (it is recovered by the retransmission timer).
    public var emitFailed: UInt64 = 0
    /// Stateless replies (RSTs, SYN cookies, TIME-WAIT ACKs) beyond `TCPLayer.replyQueueLimit` in one turn.
    public var repliesDropped: UInt64 = 0

    // Refused before reaching a connection.
    public var badChecksum: UInt64 = 0
    public var malformed: UInt64 = 0
    /// A segment for no connection and no listener: answered with RST (RFC 9293 3.10.7.1).
    public var noListener: UInt64 = 0
    public var resetsSent: UInt64 = 0

    // Listening.
    public var backlogFull: UInt64 = 0
    public var synDroppedConnectionLimit: UInt64 = 0
    public var synDroppedMemoryLimit: UInt64 = 0
    /// The owner reported memory pressure (`TCPLayer.memoryPressure`); the SYN was dropped silently.
    public var synDroppedMemoryPressure: UInt64 = 0
    /// A SYN reached a listener while the owner was shutting down (`TCPLayer.acceptingConnections`): reset.
    public var synRefusedStopping: UInt64 = 0
    /// A SYN from an address at its share of a contended table (`maximumConnectionsPerSource`,
    /// `maximumHalfOpenPerSource`) was dropped.
    public var synDroppedSourceLimit: UInt64 = 0
    public var synDroppedSourceHalfOpenLimit: UInt64 = 0
    /// A SYN from an address over its rate of new connections on a contended table
    /// (`newConnectionsPerSourcePerSecond`, see `SourceRateLimiter`) was dropped.
    public var synDroppedSourceRate: UInt64 = 0
    /// A half-open connection was dropped to make room for a new SYN (see `evictOldestHalfOpen`).
    public var halfOpenEvicted: UInt64 = 0
    /// An established connection without progress was reset to make room for a new one (see
    /// `evictStalledEstablished`).
    public var stalledEvicted: UInt64 = 0
    /// A connection of the address holding most was reset to let in a client from an address holding
    /// fewer (see `evictForFairShare`).
    public var fairShareEvicted: UInt64 = 0
    /// A non-SYN segment reached a listener and was no answer to a SYN cookie (RST sent if it carried no RST).
    public var listenerBadSegment: UInt64 = 0
    /// SYNs answered with a SYN cookie instead of being dropped (see `SynCookies`); of the ACKs that
    /// returned a valid cookie, those that made a connection and those that found no room (dropped: the
    /// client retransmits, and its cookie stays good for a minute or two).
    public var synCookiesSent: UInt64 = 0
    public var synCookiesAccepted: UInt64 = 0
    public var synCookiesDropped: UInt64 = 0

    // Receiving.
    /// Unacceptable sequence numbers (RFC 9293 3.10.7.4 first check): ACKed and dropped.
    public var outOfWindow: UInt64 = 0
    /// ACKs for data we never sent, or too old (RFC 5961 5.2): ACKed and dropped.
    public var badAck: UInt64 = 0
    /// RFC 7323 PAWS rejections.
    public var pawsRejected: UInt64 = 0
    /// ACKs not sent in answer to unacceptable bare ACKs (rate limit against ACK loops).
    public var invalidAcksSuppressed: UInt64 = 0
    public var challengeAcksSent: UInt64 = 0
    public var challengeAcksSuppressed: UInt64 = 0
    /// ACKs a TIME-WAIT record did not send because it had sent one within `invalidAckInterval`.
    public var timeWaitAcksSuppressed: UInt64 = 0
    /// Challenge ACKs not sent because the connection had answered an invalid segment within
    /// `invalidAckInterval`.
    public var challengeAcksSuppressedConnection: UInt64 = 0
    /// In-window RSTs not exactly at RCV.NXT (RFC 5961 3.2), answered with a challenge ACK.
    public var resetsChallenged: UInt64 = 0
    public var resetsAccepted: UInt64 = 0
    /// Out-of-order segments stored, and those dropped for want of a range slot.
    public var outOfOrderQueued: UInt64 = 0
    public var outOfOrderDropped: UInt64 = 0
    public var duplicateSegments: UInt64 = 0
    /// Data arriving after the application closed (discarded; RST once our data is acknowledged).
    public var dataAfterClose: UInt64 = 0

    // Sending.
    public var retransmissionTimeouts: UInt64 = 0
    public var fastRetransmits: UInt64 = 0
    public var segmentsRetransmitted: UInt64 = 0
    /// ICMPv6 packet too big taken (the segment size lowered, the unacknowledged data resent), and
    /// ignored: no such connection, or a sequence number it has not sent or already had acknowledged.
    public var packetTooBigAccepted: UInt64 = 0
    public var packetTooBigIgnored: UInt64 = 0
    public var zeroWindowProbes: UInt64 = 0
    public var keepalivesSent: UInt64 = 0
    public var delayedAcksSent: UInt64 = 0

    // Buffers (see Connection+BufferTuning).
    /// A send or receive buffer grew; one that would have grown but for `maximumMemory` or memory
    /// pressure (it keeps its size: the connection only moves data more slowly); one trimmed back.
    public var buffersGrown: UInt64 = 0
    public var bufferGrowthRefused: UInt64 = 0
    public var buffersTrimmed: UInt64 = 0

    // Ending.
    public var connectionsTimedOut: UInt64 = 0
    public var connectionsReset: UInt64 = 0
    public var timeWaitEvicted: UInt64 = 0

    public init() {}
}
