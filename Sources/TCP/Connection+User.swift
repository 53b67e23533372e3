import Bytes

/// The user's side of the TCB: what the socket calls (TCPLayer+Sockets.swift, which only resolves
/// the handle) do to the connection. None sends at once; each marks the connection for the next emit.
extension Connection {
    /// Queues up to `sendSpace` bytes of `bytes`; returns how many were taken.
    func send(_ bytes: ByteView, layer: TCPLayer) throws(TCPError) -> Int {
        if bytes.isEmpty && !finQueued { return 0 }
        growSendBuffer(toTake: bytes.count, layer: layer)
        guard try hasSendSpace() else { return 0 }
        return queued(sendBuffer.append(bytes), layer: layer)
    }

    /// Lets `fill` write up to `maximum` bytes straight into the send buffer; returns what it wrote.
    func send(upTo maximum: Int, layer: TCPLayer, fill: (MutableByteView) -> Int) throws(TCPError) -> Int {
        growSendBuffer(toTake: maximum, layer: layer)
        guard try hasSendSpace() else { return 0 }
        return queued(sendBuffer.append(upTo: maximum, fill), layer: layer)
    }

    private func queued(_ taken: Int, layer: TCPLayer) -> Int {
        if taken > 0 { layer.wantsOutput(self) }
        return taken
    }

    /// True when the application may queue data now; false when the buffer is full for now, and
    /// `.invalidState` thrown when it never will (FIN queued, or a state that sends no more data).
    private func hasSendSpace() throws(TCPError) -> Bool {
        if sendSpace > 0 { return true }
        if finQueued || !state.acceptsSends { throw .invalidState }
        return false
    }

    /// Moves up to `destination.count` received bytes out; a window update goes when it is worth one.
    func read(into destination: MutableByteView, layer: TCPLayer) -> Int {
        let n = receiveBuffer.read(into: destination)
        if n > 0 && windowUpdateDue {
            ackNow = true
            layer.wantsOutput(self)
        }
        return n
    }

    func setNoDelay(_ on: Bool, layer: TCPLayer) {
        noDelay = on
        if on { layer.wantsOutput(self) }
    }

    func setKeepalive(_ on: Bool) {
        keepaliveEnabled = on
        keepalivesUnanswered = 0
    }

    /// The user will not read again: what is unread, or parked out of order, is discarded (and the
    /// peer learns by RST once our data is acknowledged).
    func closeReading() {
        userClosedReading = true
        if !receiveBuffer.isEmpty || !reassembly.isEmpty {
            discardedAfterClose = true
            receiveBuffer.discard(receiveBuffer.count)
            reassembly.removeAll()
        }
    }
}
