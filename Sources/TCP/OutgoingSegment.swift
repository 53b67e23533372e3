import Bytes

/// One block of a receive-side SACK report: bytes `left..<right` are held out of order.
public struct SACKBlock: Equatable {
    public var left: SequenceNumber
    public var right: SequenceNumber
    @inlinable public init(left: SequenceNumber, right: SequenceNumber) { self.left = left; self.right = right }
}

/// Everything needed to write one segment's header and options; the payload is written by a closure
/// straight from the send buffer into the transmit buffer.
struct OutgoingSegment {
    /// RFC 2018: with timestamps present, three SACK blocks is what fits in 40 bytes of options.
    static let maximumSACKBlocks = 3

    var sourcePort: UInt16
    var destinationPort: UInt16
    var seq: SequenceNumber
    var ack: SequenceNumber
    var flags: TCPFlags
    var window: UInt16
    var mss: UInt16? = nil
    var windowScale: UInt8? = nil
    var sackPermitted = false
    var timestamp: TCPTimestamp? = nil
    var sackBlocks: [SACKBlock] = []

    /// Option bytes, padded to a multiple of four. The layouts are the conventional ones (NOPs align the
    /// 32-bit fields), so captures read the way engineers expect.
    var optionsLength: Int {
        var n = 0
        if mss != nil { n += 4 }
        if timestamp != nil { n += 12 } else if sackPermitted { n += 4 }
        if windowScale != nil { n += 4 }
        if !sackBlocks.isEmpty { n += 4 + 8 * sackBlocks.count }
        return n
    }

    var headerLength: Int { TCPSegment.minimumHeaderLength + optionsLength }

    /// Writes header and options at the start of `view` and the checksum over all of `view`, whose
    /// payload part (after the header) the caller has already filled. With `checksumOffload` the field
    /// gets only the pseudo-header sum (not complemented), which the NIC completes over the segment; then
    /// `view` may be the header alone, the segment being `segmentLength` bytes long.
    func writeHeader(into view: MutableByteView, source: IPAddress, destination: IPAddress,
                     checksumOffload: Bool = false, segmentLength: Int? = nil) {
        view.setU16(sourcePort, at: 0)
        view.setU16(destinationPort, at: 2)
        view.setU32(seq.raw, at: 4)
        view.setU32(ack.raw, at: 8)
        view[12] = UInt8(headerLength / 4) << 4
        view[13] = flags.rawValue
        view.setU16(window, at: 14)
        view.setU16(0, at: 16)   // checksum, filled below
        view.setU16(0, at: 18)   // urgent pointer: we never send urgent data
        var i = TCPSegment.minimumHeaderLength
        func put(_ byte: UInt8) { view[i] = byte; i += 1 }
        func put32(_ value: UInt32) { view.setU32(value, at: i); i += 4 }
        if let mss {
            put(2); put(4); view.setU16(mss, at: i); i += 2
        }
        if let timestamp {
            if sackPermitted { put(4); put(2) } else { put(1); put(1) }
            put(8); put(10); put32(timestamp.value); put32(timestamp.echo)
        } else if sackPermitted {
            put(1); put(1); put(4); put(2)
        }
        if let windowScale { put(1); put(3); put(3); put(windowScale) }
        if !sackBlocks.isEmpty {
            put(1); put(1); put(5); put(UInt8(2 + 8 * sackBlocks.count))
            for block in sackBlocks { put32(block.left.raw); put32(block.right.raw) }
        }
        var sum = TCPSegment.pseudoHeaderSum(source: source, destination: destination, length: segmentLength ?? view.count)
        if checksumOffload {
            view.setU16(sum.folded, at: SegmentOffload.checksumOffset)
            return
        }
        sum.add(view.readOnly)
        view.setU16(sum.value, at: SegmentOffload.checksumOffset)
    }
}
