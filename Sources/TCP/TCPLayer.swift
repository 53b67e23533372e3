import Bytes

/// A TCP implementation (RFC 9293 with RFC 5681/6582/6298/7323/2018/5961/6528) over a caller-driven
/// clock. Sockets are named by `TCPHandle`s; the socket operations are in TCPLayer+Sockets.swift.
///
/// Wiring (the IPv4 layer and the main loop):
/// - every IPv4 packet with protocol 6 addressed to us: `receive(source:destination:segment:now:)`
///   (TCP verifies the checksum itself); it only changes state and never writes a segment;
/// - take `nextChanged()` and look at each changed connection's `readiness` (or listener's
///   `hasAcceptable`), and let the application read, write and close;
/// - then, once per loop turn: `poll(now:)`, which runs due timers and writes every segment that
///   receiving, the timers and the application called for (TCPLayer+Emit); `nextDeadline()` says
///   when that is next needed (a past instant means "now");
/// - when the interface address changes: `resetConnections(boundTo:)` with the old address.
public final class TCPLayer {
    public let configuration: TCPConfiguration
    /// `configuration` for IPv6 connections: the MSS 20 bytes smaller (the IPv6 header's 40 against
    /// IPv4's 20: 1440 for a 1500 MTU), never below IPv6's minimum MTU allows (1280 - 60 = 1220).
    let ipv6Configuration: TCPConfiguration
    public internal(set) var counters = TCPCounters()
    let output: any TCPOutput
    /// `output.offload`, read once: a NIC's offloads are fixed once it is up.
    let offload: TCPOutputOffload
    let secrets: ConnectionSecrets

    enum SlotEntry {
        case free
        case listener(Listener)
        case connection(Connection)
    }
    struct Slot {
        var generation: UInt32
        var entry: SlotEntry
        /// In `changed` (so each slot is there at most once, and the set can never overflow).
        var changed = false
    }
    var slots: [Slot] = []
    var freeSlots: [Int] = []
    var connections: [ConnectionKey: Int] = [:]
    var listenersByPort = ListeningPorts()
    var timeWait: TimeWaitTable
    /// Slots whose readiness may have changed since the user last looked (see TCPLayer+Readiness).
    var changed = FIFO<Int>()
    /// Connections with something to send at the next `emit`, and the replies waiting for it
    /// (see TCPLayer+Emit).
    var pendingOutput = FIFO<Int>()
    var replies: [Reply] = []
    public internal(set) var connectionCount = 0
    /// The most connections there have ever been at once (what a test checks `maximumConnections` by).
    public internal(set) var peakConnectionCount = 0
    public internal(set) var listenerCount = 0
    /// Bytes of connection buffers allocated now, as grown or trimmed (bounded by `maximumMemory`).
    public internal(set) var memoryInUse = 0
    /// Connections per source (`sourceKey`: an IPv6 peer's /64), for the per-source limits and
    /// fair-share replacement (see TCPLayer+SourceLimits); a source with none is not kept.
    var sources: [IPAddress: SourceCount] = [:]
    /// New connections per source while contended (see TCPLayer+SourceLimits).
    var sourceRates: SourceRateLimiter
    /// When a SYN last met a full backlog (see `synOverRate`).
    var lastBacklogOverflow: Instant?
    /// Asked before every new connection (a SYN reaching a listener, or `connect`); true refuses it like
    /// the buffer budget does (`synDroppedMemoryPressure`, `.memoryLimit`). The owner answers from the
    /// whole machine's free memory, which TCP's own budget cannot see: the heap is shared with HTTP,
    /// the disk cache and the runtime, and a refused SYN costs nothing while an allocation failure is
    /// fatal. Existing connections are never touched; they finish and free their buffers.
    public var memoryPressure: () -> Bool = { false }
    /// False once the owner is shutting down: a SYN reaching a listener is answered with a reset
    /// (`synRefusedStopping`), so a client fails at once instead of waiting on a machine about to go;
    /// the connections already open finish.
    public var acceptingConnections = true
    /// When a passive half-open connection last had to retransmit its SYN-ACK: the sign of a SYN flood
    /// that turns half-open replacement on (see `evictOldestHalfOpen`).
    var lastUnansweredSynAck: Instant?
    /// When a SYN cookie last went out: ACKs are checked against cookies only for a while after.
    var lastSynCookieSent: Instant?
    private var challengeWindowStart: Instant?
    private var challengeAckBudget = 0
    /// Draws each second's challenge ACK budget (seeded from the configuration's secret seed).
    private var challengeRandom: SplitMix64
    var ephemeralCounter: UInt32 = 0

    public init(configuration: TCPConfiguration, output: any TCPOutput) {
        self.configuration = configuration
        var ipv6Configuration = configuration
        ipv6Configuration.mss = max(TCPLayer.minimumIPv6MSS, configuration.mss - TCPLayer.ipv6HeaderGrowth)
        self.ipv6Configuration = ipv6Configuration
        self.output = output
        offload = output.offload
        secrets = ConnectionSecrets(seed: configuration.seed)
        sourceRates = SourceRateLimiter(configuration: configuration, hash: secrets.sourceHash)
        challengeRandom = SplitMix64(seed: configuration.seed ^ 0x6368_616C_6C65_6E67)
        timeWait = TimeWaitTable(capacity: configuration.maximumTimeWait, duration: configuration.timeWaitDuration)
    }

    /// How much longer an IPv6 header is than an IPv4 one without options.
    static let ipv6HeaderGrowth = 20
    /// The MSS IPv6's minimum link MTU (1280, RFC 8200 5) leaves: 1280 - 40 - 20.
    public static let minimumIPv6MSS = 1220

    /// The configuration a connection on `key` runs with (the MSS depends on the family).
    func configuration(for key: ConnectionKey) -> TCPConfiguration {
        key.local.address.isIPv4 ? configuration : ipv6Configuration
    }

    public var timeWaitCount: Int { timeWait.count }

    // MARK: Input

    /// One incoming segment (the payload of an IPv4 packet with protocol 6), lent for this call.
    /// `checksumVouched`: the NIC verified its checksum, so TCP does not.
    public func receive(source: IPAddress, destination: IPAddress, segment bytes: ByteView,
                        checksumVouched: Bool = false, now: Instant) {
        counters.segmentsReceived += 1
        let segment: TCPSegment
        do {
            segment = try TCPSegment(parsing: bytes, source: source, destination: destination,
                                     verifyChecksum: !checksumVouched)
        } catch {
            if error == .badChecksum { counters.badChecksum += 1 } else { counters.malformed += 1 }
            return
        }
        // Segments from or to non-unicast addresses, or port 0, are never part of a connection and
        // must not draw an RST (RFC 1122 4.2.3.10).
        guard TCPLayer.isUnicast(source), TCPLayer.isUnicast(destination),
              segment.sourcePort != 0, segment.destinationPort != 0 else {
            counters.malformed += 1
            return
        }
        let key = ConnectionKey(local: Endpoint(destination, segment.destinationPort),
                                remote: Endpoint(source, segment.sourcePort))
        if let index = connections[key], case .connection(let connection) = slots[index].entry {
            connection.segmentArrived(segment, now: now, layer: self)
        } else if let entry = timeWait[key] {
            timeWaitArrived(segment, entry: entry, now: now)
        } else if let index = listenersByPort[key.local.port], case .listener(let listener) = slots[index].entry {
            listenerArrived(segment, key: key, listener: listener, now: now)
        } else {
            if !segment.flags.contains(.rst) { counters.noListener += 1 }
            replyReset(to: segment, key: key)
        }
    }

    /// IPv4: not 0.0.0.0, broadcast or multicast; IPv6: not ::, ::1 or multicast.
    static func isUnicast(_ address: IPAddress) -> Bool {
        if let v4 = address.ipv4 { return v4 != .any && v4 != .broadcast && v4.value >> 28 != 0xE }
        let v6 = address.bits
        return !v6.isUnspecified && v6 != .loopback && !v6.isMulticast
    }

    /// RFC 9293 3.10.7.2, LISTEN.
    private func listenerArrived(_ segment: TCPSegment, key: ConnectionKey, listener: Listener, now: Instant) {
        let flags = segment.flags
        if flags.contains(.rst) { return }
        if flags.contains(.ack) && !flags.contains(.syn) && cookieArrived(segment, key: key, listener: listener, now: now) {
            return
        }
        if flags.contains(.ack) || !flags.contains(.syn) {
            counters.listenerBadSegment += 1
            if flags.contains(.ack) { replyReset(to: segment, key: key) }
            return
        }
        guard acceptingConnections else {
            counters.synRefusedStopping += 1
            replyReset(to: segment, key: key)
            return
        }
        // An address at its share gets nothing: no cookie, no replacement of anyone.
        if refusedForSource(key.remote.address, halfOpen: true) || synOverRate(key.remote.address, listener: listener, now: now) {
            return
        }
        guard !listener.isFull || evictOldestHalfOpen(of: listener.handle, now: now) else {
            counters.backlogFull += 1
            sendCookie(answering: segment, key: key, listener: listener, now: now)
            return
        }
        if let refusal = refusal(now: now, source: key.remote.address) {
            switch refusal {
            case .connectionLimit: counters.synDroppedConnectionLimit += 1
            case .memoryLimit: counters.synDroppedMemoryLimit += 1
            case .memoryPressure: counters.synDroppedMemoryPressure += 1
            }
            return
        }
        let connection = createConnection(key: key, state: .synReceived, now: now)
        connection.openPassive(segment, listener: listener.handle)
        listener.halfOpen += 1
        wantsOutput(connection)
    }

    enum Refusal { case connectionLimit, memoryLimit, memoryPressure }

    /// Why a new connection from `source` may not be made now, or nil when it may. At a layer limit or
    /// under memory pressure, room is made by replacing a half-open connection where that is allowed,
    /// else an established one that is stalled, else one of the address holding the most connections
    /// when that is clearly more than the newcomer's (each costs nothing more, so even under pressure).
    func refusal(now: Instant, source: IPAddress) -> Refusal? {
        let atConnectionLimit = connectionCount >= configuration.maximumConnections
        let atMemoryLimit = memoryInUse + Connection.memoryCost(configuration) > configuration.maximumMemory
        guard atConnectionLimit || atMemoryLimit || memoryPressure() else { return nil }
        if evictOldestHalfOpen(of: nil, now: now) || evictStalledEstablished(now: now)
            || evictForFairShare(newcomer: source) { return nil }
        return atConnectionLimit ? .connectionLimit : atMemoryLimit ? .memoryLimit : .memoryPressure
    }

    /// A SYN flood from spoofed addresses fills the backlog and the buffer budget with half-open
    /// connections whose SYN-ACKs nobody answers; each would hold its place for the whole SYN-ACK
    /// retransmission schedule (a minute), locking real clients out. So, like BSD's syncache, a SYN that
    /// meets a full backlog or a layer limit replaces the oldest half-open connection (of `listener`, or
    /// of any listener when nil), silently: a real client completes its handshake within a round trip,
    /// long before the flood pushes it out, and established connections are never touched. Only while a
    /// flood is likely (a SYN-ACK went unanswered within `halfOpenReplacementWindow`), and only entries
    /// older than `halfOpenReplacementAge`: a burst of real clients is not churned (their surplus SYNs
    /// are dropped and retried, as without replacement). Linear in the connection table, which
    /// `maximumConnections` bounds. False if there was none to replace.
    private func evictOldestHalfOpen(of listener: TCPHandle?, now: Instant) -> Bool {
        guard let flood = lastUnansweredSynAck, now.since(flood) < configuration.halfOpenReplacementWindow else {
            return false
        }
        var oldest: Connection?
        for slot in slots {
            guard case .connection(let connection) = slot.entry, connection.state == .synReceived,
                  let owner = connection.listener, listener == nil || owner == listener else { continue }
            if let current = oldest, current.lastReceived <= connection.lastReceived { continue }
            oldest = connection
        }
        guard let oldest, now.since(oldest.lastReceived) >= configuration.halfOpenReplacementAge else { return false }
        counters.halfOpenEvicted += 1
        oldest.terminate(.aborted, layer: self)
        return true
    }

    /// Hoarders hold established connections without moving data (a reader that never reads, a request
    /// that never ends); with the table or memory full they would lock every newcomer out until some
    /// timeout. So the newcomer replaces the served connection (on a listening port) whose last progress
    /// is oldest, if it is at least `stalledReplacementAge` old; it is reset, the registry hears it
    /// closed. Connections moving data are never touched. Linear in the table, as above.
    private func evictStalledEstablished(now: Instant) -> Bool {
        var stalest: Connection?
        for slot in slots {
            guard case .connection(let connection) = slot.entry, connection.state != .synReceived,
                  connection.state != .synSent, connection.state != .closed,
                  listenersByPort[connection.key.local.port] != nil else { continue }
            if let current = stalest, current.lastProgress <= connection.lastProgress { continue }
            stalest = connection
        }
        guard let stalest, now.since(stalest.lastProgress) >= configuration.stalledReplacementAge else { return false }
        counters.stalledEvicted += 1
        replace(stalest)
        return true
    }

    /// Many clients from a few addresses can fill the table with connections that each move a little
    /// (a flood of short requests): none is stalled, yet a client from elsewhere would never get in.
    /// So a newcomer whose address holds clearly fewer connections (at least `fairShareMargin` fewer)
    /// than the address holding most replaces that address's connection with the oldest progress: the
    /// table is shared between addresses, and one address cannot take it from the others. Linear in
    /// the table.
    private func evictForFairShare(newcomer: IPAddress) -> Bool {
        let mine = connections(from: newcomer)
        var greediest: (address: IPAddress, count: Int)?
        for (address, count) in sources where count.connections > (greediest?.count ?? 0) {
            greediest = (address, count.connections)
        }
        guard let greediest, greediest.count >= mine + TCPLayer.fairShareMargin else { return false }
        var victim: Connection?
        for slot in slots {
            guard case .connection(let connection) = slot.entry, connection.state != .closed,
                  TCPLayer.sourceKey(connection.key.remote.address) == greediest.address,
                  listenersByPort[connection.key.local.port] != nil else { continue }
            if let current = victim, current.lastProgress <= connection.lastProgress { continue }
            victim = connection
        }
        guard let victim else { return false }
        counters.fairShareEvicted += 1
        replace(victim)
        return true
    }

    /// How many more connections the address holding most must have than a newcomer's address before
    /// the newcomer may replace one of them (2: two addresses with one connection each never churn).
    static let fairShareMargin = 2

    /// Resets `connection` (silently while half-open) to make room for a new one; its buffers and its
    /// place in its source's count go now, not when its user releases the handle later in this poll:
    /// a burst of SYNs replacing one connection each must not hold old and new buffers at once.
    private func replace(_ connection: Connection) {
        if connection.state != .synReceived { connection.sendReset(layer: self) }
        connection.terminate(.aborted, layer: self)
        retire(connection)
    }

    /// Gives back a finished connection's buffers, its place in the connection count (which the limit
    /// and the peak read) and in its source's count, once: a replaced connection stops counting at
    /// once, though its user releases the handle later in this poll.
    func retire(_ connection: Connection) {
        let bytes = connection.bufferBytes
        guard connection.releaseBuffers() else { return }
        connectionCount -= 1
        chargeBuffers(-bytes)
        countSource(connection.key.remote.address, connections: -1)
    }

    /// RFC 9293 3.10.7.4 for TIME-WAIT, on the compact record.
    private func timeWaitArrived(_ segment: TCPSegment, entry: TimeWaitEntry, now: Instant) {
        let flags = segment.flags
        // RFC 1337: an RST must not cut TIME-WAIT short ("TIME-WAIT assassination").
        if flags.contains(.rst) { return }
        if flags.contains(.syn) && !flags.contains(.ack) && segment.seq > entry.rcvNxt,
           let index = listenersByPort[entry.key.local.port], case .listener(let listener) = slots[index].entry {
            // A new incarnation beyond the old sequence space may reuse the tuple (RFC 9293 3.10.7.4).
            timeWait.remove(entry.key)
            listenerArrived(segment, key: entry.key, listener: listener, now: now)
            return
        }
        // Only the peer's own FIN again (it ends exactly at the RCV.NXT we acknowledged) restarts the
        // wait; any other FIN cannot prolong it.
        if flags.contains(.fin) && segment.seq + segment.sequenceLength == entry.rcvNxt {
            timeWait.restart(entry.key, now: now)
        }
        // Anything occupying sequence space (a retransmitted FIN, late data, a SYN) gets our final ACK,
        // at most one per `invalidAckInterval`.
        guard segment.sequenceLength > 0 else { return }
        guard timeWait.mayAcknowledge(entry.key, now: now, interval: configuration.invalidAckInterval) else {
            counters.timeWaitAcksSuppressed += 1
            return
        }
        var ack = OutgoingSegment(sourcePort: entry.key.local.port, destinationPort: entry.key.remote.port,
                                  seq: entry.seq, ack: entry.rcvNxt, flags: [.ack], window: 0)
        if entry.timestampsEnabled {
            ack.timestamp = TCPTimestamp(value: UInt32(truncatingIfNeeded: now.milliseconds) &+ entry.timestampOffset,
                                         echo: entry.tsRecent)
        }
        queueReply(ack, key: entry.key)
    }

    // MARK: Timers

    /// Runs every timer that is due, then writes everything there is to send (`emit`).
    public func poll(now: Instant) {
        for index in slots.indices {
            guard case .connection(let connection) = slots[index].entry, connection.state != .closed else { continue }
            if connection.nextDeadline <= now { connection.timersExpired(now: now, layer: self) }
        }
        if timeWait.nextExpiry <= now { timeWait.expire(now: now) }
        emit(now: now)
    }

    /// The earliest instant at which `poll` has work; `.never` when idle.
    public func nextDeadline() -> Instant {
        if hasOutput { return .zero }
        var deadline = timeWait.nextExpiry
        for slot in slots {
            if case .connection(let connection) = slot.entry, connection.state != .closed {
                deadline = min(deadline, connection.nextDeadline)
            }
        }
        return deadline
    }

    // MARK: Services for connections

    /// Writes `segment` (and `payloadLength` bytes from `payload`) into a buffer lent by the output.
    @discardableResult
    func transmit(_ segment: OutgoingSegment, key: ConnectionKey, now: Instant, payloadLength: Int = 0,
                  payload: (MutableByteView) -> Void = { _ in }) -> Bool {
        let headerLength = segment.headerLength
        let source = key.local.address, destination = key.remote.address
        let checksumOffload = offload.checksum
        func write(_ view: MutableByteView) {
            if payloadLength > 0 { payload(view.slice(headerLength, payloadLength)!) }
            segment.writeHeader(into: view, source: source, destination: destination, checksumOffload: checksumOffload)
        }
        let length = headerLength + payloadLength
        let sent = checksumOffload
            ? output.emitSegment(source: source, destination: destination, length: length,
                                 offload: SegmentOffload(headerLength: headerLength, segmentSize: 0), now: now,
                                 fill: write)
            : output.emitSegment(source: source, destination: destination, length: length, now: now, fill: write)
        if sent { counters.segmentsSent += 1 } else { counters.emitFailed += 1 }
        return sent
    }

    /// As `transmit`, for a segment the NIC cuts into segments of `segmentSize` payload bytes (only within
    /// `offload.segmentationLimit`, so checksum offload is on), whose payload the output may read straight
    /// from the send buffer: the CPU writes only the header.
    func transmit(_ segment: OutgoingSegment, key: ConnectionKey, now: Instant, segmentSize: Int,
                  lent payload: LentBytes) -> Bool {
        precondition(offload.checksum && segmentSize > 0, "a lent payload is for segmentation offload")
        let headerLength = segment.headerLength
        let source = key.local.address, destination = key.remote.address
        let length = headerLength + payload.count
        let sent = output.emitSegment(source: source, destination: destination, length: length,
                                      offload: SegmentOffload(headerLength: headerLength, segmentSize: segmentSize),
                                      payload: payload, now: now) { view in
            segment.writeHeader(into: view, source: source, destination: destination, checksumOffload: true,
                                segmentLength: length)
        }
        if sent { counters.segmentsSent += 1 } else { counters.emitFailed += 1 }
        return sent
    }

    /// RFC 9293 3.10.7.1: the RST that answers a segment no connection wants (never an RST).
    func replyReset(to segment: TCPSegment, key: ConnectionKey) {
        guard !segment.flags.contains(.rst) else { return }
        var reply = OutgoingSegment(sourcePort: key.local.port, destinationPort: key.remote.port,
                                    seq: SequenceNumber(0), ack: SequenceNumber(0), flags: [.rst], window: 0)
        if segment.flags.contains(.ack) {
            reply.seq = segment.ack
        } else {
            reply.ack = segment.seq + segment.sequenceLength
            reply.flags.insert(.ack)
        }
        if queueReply(reply, key: key) { counters.resetsSent += 1 }
    }

    /// RFC 5961 7: the layer-wide challenge ACK budget, drawn anew every second (see
    /// `challengeAckLimitPerSecond`); true when one more may go (and it is counted as sent).
    func drawChallengeAck(now: Instant) -> Bool {
        if challengeWindowStart.map({ now.since($0) >= .seconds(1) }) ?? true {
            challengeWindowStart = now
            let limit = UInt64(max(configuration.challengeAckLimitPerSecond, 1))
            challengeAckBudget = Int(limit / 2 + challengeRandom.next(below: limit))
        }
        guard challengeAckBudget > 0 else {
            counters.challengeAcksSuppressed += 1
            return false
        }
        challengeAckBudget -= 1
        counters.challengeAcksSent += 1
        return true
    }

    func connectionEstablished(_ connection: Connection) {
        if let listenerHandle = connection.listener {
            countSource(connection.key.remote.address, halfOpen: -1)
            guard let listener = listener(listenerHandle) else { return }
            listener.halfOpen -= 1
            listener.acceptQueue.append(connection.handle)
            markChanged(listenerHandle)
        } else if connection.userOwned {
            markChanged(connection.handle)
        }
    }

    func enterTimeWait(_ connection: Connection, now: Instant) {
        let entry = TimeWaitEntry(key: connection.key, seq: connection.snd.max, rcvNxt: connection.rcv.nxt,
                                  timestampsEnabled: connection.options.timestamps,
                                  timestampOffset: connection.options.timestampOffset, tsRecent: connection.options.tsRecent)
        if timeWait.insert(entry, now: now) { counters.timeWaitEvicted += 1 }
    }

    /// A connection reached CLOSED: unhook it from demux and from `owner`, the listener that still held
    /// it; tell its user, or free it.
    func connectionEnded(_ connection: Connection, listener owner: TCPHandle?, reason: TCPCloseReason) {
        connections[connection.key] = nil
        if reason == .reset { counters.connectionsReset += 1 }
        if owner != nil && !connection.wasEstablished { countSource(connection.key.remote.address, halfOpen: -1) }
        if let owner, let listener = listener(owner) {
            if connection.wasEstablished {
                listener.acceptQueue.removeAll { $0 == connection.handle }
            } else {
                listener.halfOpen -= 1
            }
        }
        if connection.userOwned {
            markChanged(connection.handle)
        } else {
            freeSlot(Int(connection.handle.index))
        }
    }

    // MARK: Slots

    /// A new connection on `key`; its ISS is RFC 6528's unless given (a SYN cookie's). In SYN-RECEIVED
    /// it is a listener's, and counts as half-open for its source.
    func createConnection(key: ConnectionKey, state: TCPState, iss: SequenceNumber? = nil, now: Instant) -> Connection {
        let index = allocateSlot()
        let handle = TCPHandle(index: UInt32(index), generation: slots[index].generation)
        let numbers = secrets.numbers(for: key, now: now)
        let connection = Connection(key: key, handle: handle, configuration: configuration(for: key),
                                    iss: iss ?? numbers.iss, timestampOffset: numbers.timestampOffset,
                                    state: state, now: now)
        slots[index].entry = .connection(connection)
        connections[key] = index
        connectionCount += 1
        peakConnectionCount = max(peakConnectionCount, connectionCount)
        memoryInUse += connection.bufferBytes
        countSource(key.remote.address, connections: 1, halfOpen: state == .synReceived ? 1 : 0)
        return connection
    }

    func allocateSlot() -> Int {
        if let index = freeSlots.popLast() { return index }
        slots.append(Slot(generation: 0, entry: .free))
        return slots.count - 1
    }

    /// Frees a slot; the generation bump turns every handle to it stale.
    func freeSlot(_ index: Int) {
        switch slots[index].entry {
        case .connection(let connection):
            connections[connection.key] = connections[connection.key] == index ? nil : connections[connection.key]
            retire(connection)
        case .listener(let listener):
            listenersByPort[listener.port] = nil
            listenerCount -= 1
        case .free:
            return
        }
        slots[index].entry = .free
        slots[index].generation &+= 1
        freeSlots.append(index)
    }

    func isLive(_ handle: TCPHandle) -> Bool {
        let index = Int(handle.index)
        guard index < slots.count, slots[index].generation == handle.generation else { return false }
        if case .free = slots[index].entry { return false }
        return true
    }

    func connection(_ handle: TCPHandle) -> Connection? {
        let index = Int(handle.index)
        guard index < slots.count, slots[index].generation == handle.generation,
              case .connection(let connection) = slots[index].entry else { return nil }
        return connection
    }

    func listener(_ handle: TCPHandle) -> Listener? {
        let index = Int(handle.index)
        guard index < slots.count, slots[index].generation == handle.generation,
              case .listener(let listener) = slots[index].entry else { return nil }
        return listener
    }
}
