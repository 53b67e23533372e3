import Bytes
import Net

/// An in-memory NIC: tests push frames into `inbox` and read what the stack sent from `flushed`.
/// `freeTransmitBuffers` (nil = unlimited) simulates a full transmit ring.
final class FrameQueueNIC: NetworkInterface {
    let macAddress: MACAddress
    let mtu: Int
    var inbox: [[UInt8]] = []
    /// Transmitted but not yet flushed.
    var queued: [[UInt8]] = []
    /// Flushed to the "device", oldest first.
    var flushed: [[UInt8]] = []
    var flushCount = 0
    var freeTransmitBuffers: Int? = nil
    /// Claim every received frame's transport checksum checked (virtio-net's DATA_VALID).
    var vouchForReceived = false
    /// What the "device" offers to finish or cut (none unless a test says so).
    var transmitOffloads = TransmitOffloads.none

    init(mac: MACAddress, mtu: Int = 1500) {
        macAddress = mac
        self.mtu = mtu
    }

    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int {
        receive(limit: limit) { frame, _ in handler(frame) }
    }

    func receive(limit: Int, _ handler: (ByteView, _ checksumVouched: Bool) -> Void) -> Int {
        var n = 0
        while n < limit, !inbox.isEmpty {
            let frame = inbox.removeFirst()
            frame.withByteView { handler($0, vouchForReceived) }
            n += 1
        }
        return n
    }

    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool {
        if let free = freeTransmitBuffers {
            guard free > 0 else { return false }
            freeTransmitBuffers = free - 1
        }
        // Stale bytes, so a test notices any byte the stack forgets to write.
        var buffer = [UInt8](repeating: 0xA5, count: length)
        buffer.withMutableByteView { fill($0) }
        queued.append(buffer)
        return true
    }

    /// Frames with offload metadata are recorded as the stack wrote them (the "device" finishes nothing;
    /// TestSupport's OffloadingDevice does that where a test needs it).
    func transmit(length: Int, offload: FrameOffload?, _ fill: (MutableByteView) -> Void) -> Bool {
        precondition(offload == nil || transmitOffloads != .none, "offload metadata for a NIC that offers no offloads")
        return transmit(length: length, fill)
    }

    func flush() {
        flushCount += 1
        flushed += queued
        queued.removeAll()
    }

    /// Takes everything flushed so far.
    func takeSent() -> [[UInt8]] {
        defer { flushed.removeAll() }
        return flushed
    }
}
