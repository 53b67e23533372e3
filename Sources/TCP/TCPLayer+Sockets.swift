import Bytes

/// The socket operations, by handle. None of them blocks or sends at once (except `abort`'s RST):
/// they queue work that the next `poll` transmits (`nextDeadline` reports it as due now).
///
/// Handle lifetime: a connection handle comes from `accept` or `connect` and stays valid until the user
/// calls `release`. Once its readiness says `ended`, only leftover reads and `release` make sense.
/// Releasing a connection that is still open hands it to the layer: if the user had called `close`, the
/// orderly release completes in the background; otherwise it is aborted. Either way the handle is stale
/// at once, and `nextChanged` never names it again.
extension TCPLayer {
    // MARK: Listening

    /// Opens a listener on `port` (any local address). `backlog` is clamped to 1...maximumBacklog.
    public func listen(port: UInt16, backlog: Int) throws(TCPError) -> TCPHandle {
        guard port != 0 else { throw .invalidPort }
        guard listenersByPort[port] == nil else { throw .portInUse }
        guard listenerCount < configuration.maximumListeners else { throw .listenerLimit }
        let index = allocateSlot()
        let handle = TCPHandle(index: UInt32(index), generation: slots[index].generation)
        let clamped = min(max(backlog, 1), configuration.maximumBacklog)
        slots[index].entry = .listener(Listener(port: port, backlog: clamped, handle: handle))
        listenersByPort[port] = index
        listenerCount += 1
        return handle
    }

    /// Takes the oldest established connection from the listener's queue, or nil if there is none.
    public func accept(_ listenerHandle: TCPHandle) throws(TCPError) -> TCPHandle? {
        guard let listener = listener(listenerHandle) else { throw .invalidHandle }
        guard !listener.acceptQueue.isEmpty else { return nil }
        let handle = listener.acceptQueue.removeFirst()
        guard let connection = connection(handle) else { return nil }
        connection.accepted()
        // What arrived before the user could hear of it is worth a look at once.
        markChanged(handle)
        return handle
    }

    // MARK: Active open

    /// Opens a connection from `local` (our current address, of `remote`'s family) to `remote`; its readiness turns
    /// `connected`, or `ended` without it when the connection fails.
    public func connect(from local: IPAddress, to remote: Endpoint, now: Instant) throws(TCPError) -> TCPHandle {
        guard TCPLayer.isUnicast(local), TCPLayer.isUnicast(remote.address), remote.port != 0,
              local.isIPv4 == remote.address.isIPv4 else {
            throw .invalidState
        }
        guard connectionCount < configuration.maximumConnections else { throw .connectionLimit }
        guard memoryInUse + Connection.memoryCost(configuration) <= configuration.maximumMemory, !memoryPressure() else {
            throw .memoryLimit
        }
        guard let port = ephemeralPort(local: local, remote: remote) else { throw .noEphemeralPort }
        let key = ConnectionKey(local: Endpoint(local, port), remote: remote)
        let connection = createConnection(key: key, state: .synSent, now: now)
        connection.openActive()
        wantsOutput(connection)
        return connection.handle
    }

    /// RFC 6056 algorithm 3: a keyed-hash starting point per destination, then a counter, so ports are
    /// hard to guess yet spread out; tuples in use or in TIME-WAIT are skipped.
    private func ephemeralPort(local: IPAddress, remote: Endpoint) -> UInt16? {
        let first: UInt32 = 49152
        let count: UInt32 = 65536 - first
        let probe = ConnectionKey(local: Endpoint(local, 0), remote: remote)
        let offset = UInt32(truncatingIfNeeded: probe.keyedHash(secrets.portHash))
        for attempt in 0..<count {
            let port = UInt16(first + (offset &+ ephemeralCounter &+ attempt) % count)
            let key = ConnectionKey(local: Endpoint(local, port), remote: remote)
            if connections[key] == nil && timeWait[key] == nil && listenersByPort[port] == nil {
                ephemeralCounter &+= attempt + 1
                return port
            }
        }
        return nil
    }

    // MARK: Data

    /// Queues up to `sendSpace` bytes; returns how many were taken. The connection is marked changed
    /// whenever an acknowledgement opens space again.
    public func send(_ handle: TCPHandle, _ bytes: ByteView) throws(TCPError) -> Int {
        guard let connection = connection(handle) else { throw .invalidHandle }
        return try connection.send(bytes, layer: self)
    }

    /// Lets `fill` write up to `maximum` bytes straight into the send buffer (see `ByteRing.append(upTo:_:)`:
    /// one contiguous run, possibly shorter than `sendSpace`); queues and returns what it wrote.
    public func send(_ handle: TCPHandle, upTo maximum: Int, fill: (MutableByteView) -> Int) throws(TCPError) -> Int {
        guard let connection = connection(handle) else { throw .invalidHandle }
        return try connection.send(upTo: maximum, layer: self, fill: fill)
    }

    /// Moves up to `destination.count` received bytes out; 0 when none are ready (see `isPeerFinished`).
    public func receive(_ handle: TCPHandle, into destination: MutableByteView) throws(TCPError) -> Int {
        guard let connection = connection(handle) else { throw .invalidHandle }
        return connection.read(into: destination, layer: self)
    }

    /// Copies up to `destination.count` received bytes without consuming them.
    public func peek(_ handle: TCPHandle, into destination: MutableByteView) throws(TCPError) -> Int {
        guard let connection = connection(handle) else { throw .invalidHandle }
        let n = min(connection.receiveBuffer.count, destination.count)
        connection.receiveBuffer.copy(from: 0, length: n, to: destination, at: 0)
        return n
    }

    public func available(_ handle: TCPHandle) -> Int { connection(handle)?.available ?? 0 }
    public func sendSpace(_ handle: TCPHandle) -> Int { connection(handle)?.sendSpace ?? 0 }
    /// Bytes queued for sending and not yet acknowledged.
    public func unacknowledged(_ handle: TCPHandle) -> Int { connection(handle)?.sendBuffer.count ?? 0 }

    /// True once the peer's FIN arrived and every byte before it has been read.
    public func isPeerFinished(_ handle: TCPHandle) -> Bool {
        guard let connection = connection(handle) else { return false }
        return connection.peerFinReceived && connection.available == 0
    }

    // MARK: Introspection

    /// The state of a connection (`.listen` for a listener); nil for a stale handle.
    public func state(_ handle: TCPHandle) -> TCPState? {
        if listener(handle) != nil { return .listen }
        return connection(handle)?.state
    }

    public func localEndpoint(_ handle: TCPHandle) -> Endpoint? { connection(handle)?.key.local }
    public func remoteEndpoint(_ handle: TCPHandle) -> Endpoint? { connection(handle)?.key.remote }

    // MARK: Options

    /// Disables Nagle's algorithm (small segments go out at once).
    public func setNoDelay(_ handle: TCPHandle, _ on: Bool) throws(TCPError) {
        guard let connection = connection(handle) else { throw .invalidHandle }
        connection.setNoDelay(on, layer: self)
    }

    /// Keepalive probes after `keepaliveIdle` without traffic; the connection times out after
    /// `keepaliveProbes` unanswered ones.
    public func setKeepalive(_ handle: TCPHandle, _ on: Bool) throws(TCPError) {
        guard let connection = connection(handle) else { throw .invalidHandle }
        connection.setKeepalive(on)
    }

    // MARK: Ending

    /// Orderly release: everything queued is sent, then FIN. The application will not read again:
    /// unread data is discarded, and data the peer sends afterwards is refused with an RST once our
    /// own data is acknowledged (RFC 1122 4.2.2.13). On a listener: pending connections are reset and
    /// the listener's handle is freed at once.
    public func close(_ handle: TCPHandle) throws(TCPError) {
        if let listener = listener(handle) {
            closeListener(listener)
            return
        }
        guard let connection = connection(handle) else { throw .invalidHandle }
        connection.closeReading()
        connection.closeSending(layer: self)
    }

    /// Half-close: everything queued is sent, then FIN; reading goes on until the peer's FIN.
    public func shutdown(_ handle: TCPHandle) throws(TCPError) {
        guard let connection = connection(handle) else { throw .invalidHandle }
        connection.closeSending(layer: self)
    }

    /// Abortive release: RST, queued data discarded, `.closed(.aborted)` follows.
    public func abort(_ handle: TCPHandle) throws(TCPError) {
        if let listener = listener(handle) {
            closeListener(listener)
            return
        }
        guard let connection = connection(handle) else { throw .invalidHandle }
        connection.abort(layer: self)
    }

    /// The user is done with `handle` (see the lifetime rules above). Stale handles are ignored.
    public func release(_ handle: TCPHandle) {
        if let listener = listener(handle) {
            closeListener(listener)
            return
        }
        guard let connection = connection(handle) else { return }
        let index = Int(handle.index)
        if connection.state == .closed {
            freeSlot(index)
            return
        }
        guard connection.released(layer: self) else { return }
        // Background close: same slot, new generation, so the user's handle is stale from now on.
        slots[index].generation &+= 1
        connection.renamed(TCPHandle(index: handle.index, generation: slots[index].generation))
    }

    private func closeListener(_ listener: Listener) {
        for index in slots.indices {
            guard case .connection(let connection) = slots[index].entry,
                  connection.listener == listener.handle else { continue }
            connection.abort(layer: self)
        }
        freeSlot(Int(listener.handle.index))
    }

    /// The local address `address` is gone (DHCP lease lost or changed): every connection bound to it
    /// ends with `.addressLost`, silently (an RST from an address we no longer own would be spoofing),
    /// and its TIME-WAIT records go too.
    public func resetConnections(boundTo address: IPAddress) {
        for index in slots.indices {
            guard case .connection(let connection) = slots[index].entry,
                  connection.key.local.address == address, connection.state != .closed else { continue }
            connection.terminate(.addressLost, layer: self)
        }
        timeWait.removeAll { $0.key.local.address == address }
    }
}

extension TCPState {
    /// States in which `send` may queue data.
    var acceptsSends: Bool {
        switch self {
        case .synSent, .synReceived, .established, .closeWait: return true
        default: return false
        }
    }
}
