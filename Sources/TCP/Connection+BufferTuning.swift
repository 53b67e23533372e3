import Bytes

/// Buffer autotuning: a connection's rings start at the configuration's initial sizes and grow with
/// what the connection actually moves, as Linux's tcp_sndbuf_expand and receive-buffer autotuning do,
/// so hundreds of idle or slow connections cost a few KiB each while a bulk transfer still gets its
/// full window. Every change goes through the layer's buffer account (`TCPLayer.chargeBuffers`), so
/// `maximumMemory` and memory pressure bound the sum; a refused growth only leaves the buffer as it is.
///
/// The advertised window stays honest: it is the receive ring's free space, a ring never shrinks below
/// what it holds plus the window already advertised (RFC 9293 3.8.6.2.2, RFC 7323 2.4: the right edge
/// never moves left), so every byte the peer may send has room.
extension Connection {
    var initialSendBufferSize: Int { min(configuration.initialSendBufferSize, configuration.sendBufferSize) }
    var initialReceiveBufferSize: Int { min(configuration.initialReceiveBufferSize, configuration.receiveBufferSize) }

    /// Bytes this connection's rings hold now (what it costs in the layer's account).
    var bufferBytes: Int { sendBuffer.capacity + receiveBuffer.capacity }

    /// The send ring a connection's pace justifies: four times what it may have in flight (the
    /// congestion window, or the peer's largest offered window if smaller), as Linux's
    /// tcp_sndbuf_expand allows twice the window for recovery in buffer memory that costs about twice
    /// the payload. A reader that offers 2 KiB and never reads never justifies more than the initial
    /// ring.
    var sendBufferTarget: Int {
        min(configuration.sendBufferSize, max(initialSendBufferSize, Connection.sendBufferWindows * min(cc.cwnd, snd.maxWnd)))
    }

    /// Windows in flight the send ring may hold (see `sendBufferTarget`).
    static let sendBufferWindows = 4

    /// The application wants to queue `wanted` bytes: grow the send ring (at least doubling it, so a
    /// transfer reallocates only a few times) when what is queued fills it and the pace justifies more.
    /// An ACK that finds the ring full asks the same (as Linux expands on new space after a writer was
    /// refused): an application that writes only what fits (the echo service) never asks for more, and
    /// with its ring stuck at the initial size it stopped reading, the receive window closed and the
    /// peer waited (tcp_linux_test's 2 MiB echo at 2 % loss: 0.29 MB/s with fixed rings, 0.17).
    func growSendBuffer(toTake wanted: Int, layer: TCPLayer) {
        let capacity = sendBuffer.capacity
        guard wanted > sendBuffer.free, sendBufferTarget > capacity, sendSpace == sendBuffer.free, !buffersReleased else {
            return
        }
        let grown = min(configuration.sendBufferSize, max(sendBufferTarget, 2 * capacity))
        guard layer.chargeBuffers(grown - capacity) else { return }
        sendBuffer.resize(to: grown, keeping: sendBuffer.count)
        layer.counters.buffersGrown += 1
    }

    /// In-order data arrived: when the peer sent a whole ring's worth within
    /// `receiveBufferGrowthInterval`, the ring (and with it the window) doubles. The ACK for that data
    /// carries the larger window.
    func noteReceived(now: Instant, layer: TCPLayer) {
        let moved = receiveEpochSeq.distance(to: rcv.nxt)
        let capacity = receiveBuffer.capacity
        let recent = now.since(receiveEpochStart) <= configuration.receiveBufferGrowthInterval
        if moved >= capacity && recent && capacity < configuration.receiveBufferSize && !buffersReleased {
            let grown = min(configuration.receiveBufferSize, 2 * capacity)
            if layer.chargeBuffers(grown - capacity) {
                receiveBuffer.resize(to: grown, keeping: receiveBuffer.count + reassembly.extent)
                layer.counters.buffersGrown += 1
            }
        }
        if moved >= capacity || !recent {
            receiveEpochStart = now
            receiveEpochSeq = rcv.nxt
        }
    }

    /// The window we advertised and have not yet been sent data for: the receive ring must keep room
    /// for it.
    private var promisedWindow: Int { max(0, Int(rcv.nxt.distance(to: rcv.adv))) }

    private var sendTrimmable: Bool {
        sendBuffer.capacity > initialSendBufferSize && sendBuffer.count <= initialSendBufferSize
    }

    private var receiveTrimmable: Bool {
        receiveBuffer.capacity > initialReceiveBufferSize && reassembly.isEmpty
            && receiveBuffer.count + promisedWindow <= initialReceiveBufferSize
    }

    /// When grown buffers go back to their initial sizes (`.never` while nothing can be trimmed).
    var bufferTrimDeadline: Instant {
        guard !buffersReleased, sendTrimmable || receiveTrimmable else { return .never }
        return lastProgress + configuration.bufferTrimAge
    }

    /// Gives grown buffers back once the connection has been idle for `bufferTrimAge`.
    func trimBuffers(now: Instant, layer: TCPLayer) {
        guard bufferTrimDeadline <= now else { return }
        if sendTrimmable {
            layer.chargeBuffers(initialSendBufferSize - sendBuffer.capacity)
            sendBuffer.resize(to: initialSendBufferSize, keeping: sendBuffer.count)
            layer.counters.buffersTrimmed += 1
        }
        if receiveTrimmable {
            layer.chargeBuffers(initialReceiveBufferSize - receiveBuffer.capacity)
            receiveBuffer.resize(to: initialReceiveBufferSize, keeping: receiveBuffer.count)
            layer.counters.buffersTrimmed += 1
        }
    }
}

extension TCPLayer {
    /// Moves `delta` bytes into (positive) or out of the buffer account. Growth is refused, and
    /// counted, when it would pass `maximumMemory` or the owner reports memory pressure; giving back
    /// always succeeds.
    @discardableResult
    func chargeBuffers(_ delta: Int) -> Bool {
        if delta > 0 && (memoryInUse + delta > configuration.maximumMemory || memoryPressure()) {
            counters.bufferGrowthRefused += 1
            return false
        }
        memoryInUse += delta
        return true
    }
}
