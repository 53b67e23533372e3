/// Payload a frame carries by reference instead of by copy: at most two runs of bytes (a ring's data may
/// wrap past its end) and the object that owns their memory.
///
/// Unlike a `ByteView`, these bytes outlive the call that lends them for as long as `owner` is held: a
/// NIC that reads them after `transmit` returns (virtio-net's device, until it hands the buffer back)
/// keeps `owner` until then. So a connection that closes, or regrows its send buffer, while its frame is
/// still queued frees nothing the device reads, and the device can never send bytes the heap has since
/// given to another connection. The owner may meanwhile write over bytes its peer has acknowledged,
/// which a late retransmission may then carry: the peer already holds those and discards them.
public struct LentBytes {
    public let owner: AnyObject
    public let first: ByteView
    public let second: ByteView

    public init(owner: AnyObject, first: ByteView, second: ByteView) { self.owner = owner; self.first = first; self.second = second }

    public var count: Int { first.count + second.count }

    /// Copies the bytes in at `offset`.
    public func copy(to destination: MutableByteView, at offset: Int) {
        destination.copy(first, to: offset)
        destination.copy(second, to: offset + first.count)
    }

    /// How an output that cannot take lent bytes by reference sends them: `head` writes all of `frame`
    /// before them, then they are copied in at its end. Without `lent`, `head` writes all of `frame`.
    public static func fill(_ frame: MutableByteView, endingWith lent: LentBytes?, head: (MutableByteView) -> Void) {
        guard let lent else { return head(frame) }
        let headLength = frame.count - lent.count
        precondition(headLength >= 0, "lent payload longer than its frame")
        head(frame.slice(0, headLength)!)
        lent.copy(to: frame, at: headLength)
    }
}
