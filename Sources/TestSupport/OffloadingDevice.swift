import Bytes

/// The device's half of checksum and TCP segmentation offload, for test NICs: what virtio-net's host
/// (or a real NIC) does with a frame flagged NEEDS_CSUM, and with GSO_TCPV4.
///
/// The stack leaves only the pseudo-header sum in the TCP checksum field. The device cuts the payload
/// into pieces of `segmentSize` bytes, each behind a copy of the headers: sequence number advanced, FIN
/// and PSH only on the last piece, CWR only on the first, IPv4 total length and identification (one more
/// per piece) rewritten and the IPv4 checksum recomputed. Each TCP checksum is finished from the sum the
/// stack left, adjusted from the whole segment's length to the piece's (as Linux's GSO does), so a wrong
/// pseudo-header sum gives frames that a receiver rejects.
public enum OffloadingDevice {
    static let fin: UInt8 = 0x01
    static let psh: UInt8 = 0x08
    static let cwr: UInt8 = 0x80

    /// Finishes a TCP segment (`segment[0...]` is the TCP header) into the segments that go on the wire.
    /// `segmentSize` 0: one segment, checksum finished only.
    public static func finishTCP(_ segment: [UInt8], headerLength: Int, segmentSize: Int) -> [[UInt8]] {
        let payload = segment.count - headerLength
        let pieceSize = segmentSize > 0 ? segmentSize : max(payload, 1)
        let partial = UInt16(segment[16]) << 8 | UInt16(segment[17])
        let flags = segment[13]
        let seq = UInt32(segment[4]) << 24 | UInt32(segment[5]) << 16 | UInt32(segment[6]) << 8 | UInt32(segment[7])
        var pieces: [[UInt8]] = []
        var offset = 0
        repeat {
            let length = min(pieceSize, payload - offset)
            var piece = Array(segment[0..<headerLength]) + segment[(headerLength + offset)..<(headerLength + offset + length)]
            let first = offset == 0, last = offset + length == payload
            piece.withMutableByteView { view in
                view.setU32(seq &+ UInt32(offset), at: 4)
                var f = flags
                if !last { f &= ~(fin | psh) }
                if !first { f &= ~cwr }
                view[13] = f
                var sum = InternetChecksum()
                sum.add(u16: partial)
                sum.add(u16: ~UInt16(truncatingIfNeeded: segment.count))
                sum.add(u16: UInt16(truncatingIfNeeded: view.count))
                view.setU16(0, at: 16)
                sum.add(view.readOnly)
                view.setU16(sum.value, at: 16)
            }
            pieces.append(piece)
            offset += length
        } while offset < payload
        return pieces
    }

    /// Finishes an Ethernet frame carrying IPv4 (20-byte header at 14) and TCP at `checksumStart`.
    public static func finishFrame(_ frame: [UInt8], checksumStart: Int, headerLength: Int, segmentSize: Int) -> [[UInt8]] {
        let ipStart = 14
        let identification = UInt16(frame[ipStart + 4]) << 8 | UInt16(frame[ipStart + 5])
        let tcp = finishTCP(Array(frame[checksumStart...]), headerLength: headerLength - checksumStart,
                            segmentSize: segmentSize)
        return tcp.enumerated().map { index, segment in
            var out = Array(frame[0..<checksumStart]) + segment
            let ipLength = out.count - ipStart
            out.withMutableByteView { view in
                view.setU16(UInt16(truncatingIfNeeded: ipLength), at: ipStart + 2)
                view.setU16(identification &+ UInt16(truncatingIfNeeded: index), at: ipStart + 4)
                view.setU16(0, at: ipStart + 10)
                view.setU16(InternetChecksum.of(view.readOnly.slice(ipStart, checksumStart - ipStart)!), at: ipStart + 10)
            }
            return out
        }
    }
}
