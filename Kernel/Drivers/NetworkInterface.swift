import Bytes

// TEMPORARY: an exact copy of the contract being added to module `Net` (Sources/Net). At merge the lead
// deletes this file and the drivers conform to `Net.NetworkInterface` instead.

public protocol NetworkInterface: AnyObject {
    var macAddress: MACAddress { get }
    var mtu: Int { get }            // IP MTU, 1500
    /// Hands up to `limit` received frames to `handler`; each view is valid only during the call. Returns how many.
    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int
    /// Lends a transmit buffer of exactly `length` bytes to `fill`, then queues it. False if no buffer is free.
    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool
    /// Makes queued transmits visible to the device (one notification per batch).
    func flush()
}
