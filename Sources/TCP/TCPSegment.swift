import Bytes

/// Why an incoming segment was refused before any connection saw it.
public enum SegmentError: Error, Equatable {
    /// Shorter than a TCP header, or a data offset pointing outside the segment.
    case malformedHeader
    /// An option whose length runs past the header or is impossible (RFC 9293 3.1: drop it).
    case malformedOption
    /// The checksum over pseudo-header and segment does not verify.
    case badChecksum
}

/// A timestamp option's two values (RFC 7323 3.2).
public struct TCPTimestamp: Equatable {
    public var value: UInt32
    public var echo: UInt32
    @inlinable public init(value: UInt32, echo: UInt32) { self.value = value; self.echo = echo }
}

/// A parsed TCP segment: header fields and options read in place; `payload` still points into the
/// caller's buffer, valid only for the call that lent it.
public struct TCPSegment {
    public static let minimumHeaderLength = 20

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var seq: SequenceNumber
    public var ack: SequenceNumber
    public var flags: TCPFlags
    public var window: UInt16
    public var payload: ByteView

    // Options (RFC 9293 3.2, RFC 7323, RFC 2018). Unknown kinds are skipped.
    public var mss: UInt16? = nil
    public var windowScale: UInt8? = nil
    public var sackPermitted = false
    public var timestamp: TCPTimestamp? = nil
    /// The body of a SACK option (pairs of edges), read with `sackBlock(_:)`.
    private var sackBody: ByteView? = nil

    /// Sequence space the segment occupies: its data plus one for each of SYN and FIN.
    public var sequenceLength: Int {
        payload.count + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }

    public var sackBlockCount: Int { (sackBody?.count ?? 0) / 8 }

    /// The `index`th SACK block as (left edge, right edge).
    public func sackBlock(_ index: Int) -> (SequenceNumber, SequenceNumber) {
        let body = sackBody!
        return (SequenceNumber(body.u32(at: index * 8)), SequenceNumber(body.u32(at: index * 8 + 4)))
    }

    /// Parses `bytes` (a whole segment, the IPv4 payload) after verifying its checksum against the
    /// pseudo-header of `source` and `destination` (unless `verifyChecksum` is false: the NIC vouched).
    public init(parsing bytes: ByteView, source: IPAddress, destination: IPAddress,
                verifyChecksum: Bool = true) throws(SegmentError) {
        guard bytes.count >= TCPSegment.minimumHeaderLength else { throw .malformedHeader }
        let headerLength = Int(bytes[12] >> 4) * 4
        guard headerLength >= TCPSegment.minimumHeaderLength, headerLength <= bytes.count else {
            throw .malformedHeader
        }
        if verifyChecksum {
            var sum = TCPSegment.pseudoHeaderSum(source: source, destination: destination, length: bytes.count)
            sum.add(bytes)
            guard sum.verifies else { throw .badChecksum }
        }

        sourcePort = bytes.u16(at: 0)
        destinationPort = bytes.u16(at: 2)
        seq = SequenceNumber(bytes.u32(at: 4))
        ack = SequenceNumber(bytes.u32(at: 8))
        flags = TCPFlags(rawValue: bytes[13] & 0x3F)
        window = bytes.u16(at: 14)
        payload = bytes.suffix(from: headerLength)!
        try parseOptions(bytes.slice(TCPSegment.minimumHeaderLength, headerLength - TCPSegment.minimumHeaderLength)!)
    }

    private mutating func parseOptions(_ options: ByteView) throws(SegmentError) {
        var i = 0
        while i < options.count {
            let kind = options[i]
            if kind == 0 { return }              // end of option list
            if kind == 1 { i += 1; continue }    // no-operation padding
            guard i + 1 < options.count else { throw .malformedOption }
            let length = Int(options[i + 1])
            guard length >= 2, i + length <= options.count, let body = options.slice(i + 2, length - 2) else {
                throw .malformedOption
            }
            switch kind {
            case 2 where body.count == 2: mss = body.u16(at: 0)
            case 3 where body.count == 1: windowScale = body[0]
            case 4 where body.count == 0: sackPermitted = true
            case 5 where body.count % 8 == 0 && body.count > 0: sackBody = body
            case 8 where body.count == 8: timestamp = TCPTimestamp(value: body.u32(at: 0), echo: body.u32(at: 4))
            case 2, 3, 4, 5, 8: throw .malformedOption   // a known kind with the wrong length
            default: break                                // unknown options are ignored (RFC 9293 3.1)
            }
            i += length
        }
    }

    /// The sum of the pseudo-header (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6): addresses,
    /// protocol 6, TCP length.
    static func pseudoHeaderSum(source: IPAddress, destination: IPAddress, length: Int) -> InternetChecksum {
        InternetChecksum.pseudoHeader(source: source, destination: destination, protocolNumber: 6, length: length)
    }
}
