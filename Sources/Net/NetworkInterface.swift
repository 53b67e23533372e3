import Bytes

/// The driver boundary: what a NIC (virtio-net in the kernel, a tap device on Linux, a frame queue in
/// tests) offers the stack. Frames are lent, never owned, so the driver keeps its fixed buffer pools and
/// the stack parses in place and writes replies straight into transmit memory.
///
/// Re-entrancy: the stack may call `transmit` from inside a `receive` handler (an echo reply is written
/// while the request is still lent). Drivers keep separate receive and transmit buffers, so this is safe.
public protocol NetworkInterface: AnyObject {
    var macAddress: MACAddress { get }
    /// IP MTU (the largest IPv4 packet, header included), 1500 normally. Frames are 14 bytes longer.
    var mtu: Int { get }
    /// Hands up to `limit` received frames to `handler`; each view is valid only during the call.
    /// Returns how many.
    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int
    /// Lends a transmit buffer of exactly `length` bytes to `fill`, then queues it. False if no buffer is
    /// free.
    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool
    /// Makes queued transmits visible to the device (one notification per batch).
    func flush()
}
