import Bytes

/// Everything a TCP layer is sized and tuned by. Every limit is a named field; running into one has a
/// defined, counted behaviour (documented on the field) and never touches existing connections.
public struct TCPConfiguration {
    /// Seed for the ISN, timestamp and port secrets (the kernel draws it from the TSC and RTC).
    public var seed: UInt64
    /// The MSS we announce: the largest payload we accept per segment (1460 = Ethernet MTU - 40).
    public var mss: Int = 1460

    // Limits.
    /// Connections in any state except TIME_WAIT (half-open ones included). At the limit a SYN replaces
    /// the oldest half-open connection (`halfOpenEvicted`) or, with none, is dropped
    /// (`synDroppedConnectionLimit`); `connect` fails with `.connectionLimit`.
    public var maximumConnections: Int = 256
    /// Listening ports. At the limit `listen` fails with `.listenerLimit`.
    public var maximumListeners: Int = 16
    /// Largest backlog a listener may ask for (half-open plus accepted-but-not-taken connections).
    /// When a listener's backlog is full a SYN replaces its oldest half-open connection
    /// (`halfOpenEvicted`: a SYN flood cannot lock real clients out) while a flood is likely; with none
    /// old enough to replace or no flood (see `halfOpenReplacementWindow`, `halfOpenReplacementAge`) it
    /// is refused and counted (`backlogFull`): answered with a SYN cookie (see `synCookies`), or dropped
    /// silently when the accept queue itself is full, and the client's SYN retransmission retries later.
    public var maximumBacklog: Int = 128
    /// A SYN that meets a full backlog (a SYN flood's mark) is answered with a SYN cookie, as long as
    /// the listener's accept queue has room (see `SynCookies`; `synCookiesSent`): the connection is made
    /// when the client's ACK returns the cookie, if the limits allow it then. SYNs refused by the
    /// connection, memory or pressure limits are still dropped (a cookie would only move the refusal to
    /// the client's first data). Off: a SYN meeting a full backlog is dropped too.
    public var synCookies = true
    /// Half-open connections are replaced only while a SYN flood is likely: within this long after a
    /// passive half-open connection's SYN-ACK went unanswered for a whole RTO (real clients answer
    /// within a round trip; spoofed sources never do). Otherwise a burst of real clients beyond the
    /// backlog would churn itself: their SYNs are dropped and retried instead.
    public var halfOpenReplacementWindow: Interval = .seconds(10)
    /// A half-open connection younger than this is never replaced by a new SYN: it may be a real client
    /// whose ACK is on its way. 10 ms covers a LAN round trip with room; replacement then keeps real
    /// clients served against floods of up to backlog / 10 ms SYNs per second (6400/s for HTTP's 64).
    public var halfOpenReplacementAge: Interval = .milliseconds(10)
    /// When the connection table, the buffer budget or memory is full, a new client may replace the
    /// established connection on a listening port that has made no progress (no new data acknowledged or
    /// received) for longest, if that is at least this long (`stalledEvicted`): slots then belong to
    /// clients that move data, and hoarders that hold them idle lose them to newcomers.
    public var stalledReplacementAge: Interval = .seconds(2)
    /// Connections (any state but TIME-WAIT) one remote address may hold on listening ports, and how many
    /// of them may be half-open, while the table or the buffer budget is at least half used or memory is
    /// under pressure (see `TCPLayer.isContended`): a SYN beyond either is dropped silently and counted
    /// (`synDroppedSourceLimit`, `synDroppedSourceHalfOpenLimit`), gets no SYN cookie and replaces no one,
    /// so a few addresses cannot take the table from everyone else. Below that, one busy client (a
    /// benchmark, a reverse proxy in front) may use what nobody else needs.
    public var maximumConnectionsPerSource: Int = 32
    public var maximumHalfOpenPerSource: Int = 16
    /// New connections one remote address may open on listening ports, per second after a burst of
    /// `newConnectionBurstPerSource`, while the table is contended as above or within `sourceRateWindow`
    /// after a SYN met a full backlog (see `SourceRateLimiter`, `TCPLayer.synOverRate`): a SYN beyond it
    /// is dropped silently, before any cookie or slot is spent, and counted (`synDroppedSourceRate`).
    /// Attackers whose requests are refused at once reconnect as fast as the CPU answers them; this
    /// bounds that per address. Otherwise one busy client (wrk reconnecting thousands of times a second
    /// within the backlog) is never throttled.
    public var newConnectionsPerSourcePerSecond: Int = 20
    public var newConnectionBurstPerSource: Int = 32
    public var sourceRateWindow: Interval = .seconds(2)
    /// Addresses the rate limit remembers (a fixed table, 4-way sets chosen by a keyed hash; the
    /// fullest bucket of a set gives its place to a newcomer).
    public var sourceRateTableSize: Int = 128
    /// Largest send buffer of a connection (a ring; `send` takes what fits). It starts at
    /// `initialSendBufferSize` and grows towards this with what the connection can have in flight
    /// (see Connection+BufferTuning).
    public var sendBufferSize: Int = 64 * 1024
    /// Largest receive buffer of a connection (a ring; it bounds the advertised window and out-of-order
    /// data). It starts at `initialReceiveBufferSize` and grows towards this while the peer fills it.
    public var receiveBufferSize: Int = 64 * 1024
    /// What a new connection's buffers start at (capped by the largest sizes above). Idle and slow
    /// connections (the hoarders of an attack) never grow past these, so they cost little; a connection
    /// that moves data grows its buffers, within `maximumMemory` (`buffersGrown`, `bufferGrowthRefused`).
    /// By default they start at their largest (fixed rings, no tuning); the appliance starts them at
    /// 8 KiB (TCPSizing).
    public var initialSendBufferSize: Int = 64 * 1024
    public var initialReceiveBufferSize: Int = 64 * 1024
    /// The receive buffer doubles when the peer sent a whole buffer's worth within this long (and the
    /// application read it: nothing more fits otherwise), as Linux's receive-buffer autotuning grows
    /// what a sender keeps filling. A trickle never grows it.
    public var receiveBufferGrowthInterval: Interval = .seconds(1)
    /// Buffers grown past their initial sizes go back to them (the memory to the heap) once the
    /// connection has moved no data for this long and what they hold, and the window we advertised,
    /// fit the initial sizes (`buffersTrimmed`).
    public var bufferTrimAge: Interval = .seconds(1)
    /// All connection buffers together, as they are now (`TCPLayer.memoryInUse`). A new connection
    /// whose initial buffers would pass it is treated like one over `maximumConnections`
    /// (`synDroppedMemoryLimit`, `.memoryLimit`), and a buffer that would grow past it stays as it is.
    /// The default lets every one of `maximumConnections` have its largest buffers; a kernel with a
    /// smaller heap sets it lower.
    public var maximumMemory: Int = 256 * 128 * 1024
    /// Out-of-order ranges held per connection; a segment that would open one more is dropped and
    /// counted (`outOfOrderDropped`). The bytes themselves live inside the receive buffer.
    public var maximumOutOfOrderRanges: Int = 8
    /// TIME_WAIT entries. When full, the entry closest to expiry is evicted (`timeWaitEvicted`):
    /// keeping new connections possible matters more than the last seconds of an old quiet period.
    public var maximumTimeWait: Int = 256

    // Timers.
    /// TIME_WAIT duration (2 * MSL; RFC 9293 suggests MSL = 2 minutes, stacks commonly use 60 s in all).
    public var timeWaitDuration: Interval = .seconds(60)
    /// RFC 6298 2.1: RTO before any RTT sample.
    public var initialRTO: Interval = .seconds(1)
    /// Lower bound on the RTO. RFC 6298 2.4 recommends 1 s; like Linux we default to 200 ms, which
    /// modern RTT estimation makes safe and which recovers losses far faster.
    public var minimumRTO: Interval = .milliseconds(200)
    /// RFC 6298 2.5 allows an upper bound of at least 60 s.
    public var maximumRTO: Interval = .seconds(60)
    /// Retransmissions of one segment before the connection is reset and reported `.timeout`.
    public var maximumRetransmissions: Int = 12
    /// SYN (or SYN-ACK) retransmissions before the attempt is given up.
    public var maximumSynRetransmissions: Int = 5
    /// Delayed-ACK bound (RFC 9293 3.8.6.3 requires < 0.5 s).
    public var ackDelay: Interval = .milliseconds(40)
    /// Keepalive (when a connection asks for it): idle time, probe interval, unanswered probes.
    public var keepaliveIdle: Interval = .seconds(7200)
    public var keepaliveInterval: Interval = .seconds(75)
    public var keepaliveProbes: Int = 9
    /// At most one ACK per interval answers unacceptable bare ACKs on a connection (Linux's
    /// tcp_invalid_ratelimit), which breaks ACK loops between desynchronised ends.
    public var invalidAckInterval: Interval = .milliseconds(500)
    /// RFC 5961 7: challenge ACKs sent per second, layer-wide, so they cannot be used as an amplifier.
    /// Each second's budget is drawn at random between half and one and a half times this: a fixed
    /// budget shared by every connection is the CVE-2016-5696 side channel (an off-path attacker
    /// exhausts it and counts the challenge ACKs it still sees to find other clients' connections and
    /// their sequence numbers). Besides it, one connection answers at most one challenge per
    /// `invalidAckInterval`, as Linux does.
    public var challengeAckLimitPerSecond: Int = 1000

    // Options we offer.
    public var windowScaling = true
    public var timestamps = true
    public var selectiveAcknowledgements = true

    public init(seed: UInt64) { self.seed = seed }
}
