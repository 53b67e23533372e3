/// The internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words, folded.
/// Accumulate pieces in any order and size (a pseudo-header, a header, a payload); an odd-length piece
/// is handled by carrying its last byte into the next piece, so splits never change the result.
public struct InternetChecksum {
    @usableFromInline var sum: UInt64 = 0
    /// A byte left over from an odd-length piece, waiting to be paired with the next piece's first byte.
    @usableFromInline var pendingHigh: UInt8? = nil

    @inlinable public init() {}

    @inlinable public mutating func add(_ bytes: ByteView) {
        var i = 0
        let n = bytes.count
        if let high = pendingHigh, n > 0 {
            sum &+= UInt64(high) << 8 | UInt64(bytes.base[0])
            pendingHigh = nil
            i = 1
        }
        if n - i >= 8 {
            // Eight bytes per step, the bulk of every payload: native little-endian loads summed as 32-bit
            // halves, then folded and byte-swapped. One's-complement addition is byte-order independent
            // (RFC 1071 section 2(B)), so this equals the big-endian word sum with a quarter of the steps.
            var swappedSum: UInt64 = 0
            while i + 8 <= n {
                let w = UInt64(littleEndian: bytes.base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                swappedSum &+= (w & 0xFFFF_FFFF) &+ (w >> 32)
                i += 8
            }
            let folded = InternetChecksum.fold(swappedSum)
            sum &+= UInt64(folded >> 8 | (folded & 0xFF) << 8)
        }
        while i + 1 < n {
            sum &+= UInt64(bytes.base[i]) << 8 | UInt64(bytes.base[i + 1])
            i += 2
        }
        if i < n { pendingHigh = bytes.base[i] }
    }

    @inlinable public mutating func add(_ bytes: [UInt8]) {
        bytes.withByteView { add($0) }
    }

    /// Adds a 16-bit word (must be called on a word boundary, as pseudo-header fields are).
    @inlinable public mutating func add(u16 value: UInt16) {
        precondition(pendingHigh == nil, "InternetChecksum: word added after an odd-length piece")
        sum &+= UInt64(value)
    }

    @inlinable public mutating func add(u32 value: UInt32) {
        add(u16: UInt16(truncatingIfNeeded: value >> 16))
        add(u16: UInt16(truncatingIfNeeded: value))
    }

    /// The folded one's-complement sum, before the final complement.
    @inlinable public var folded: UInt16 {
        var s = sum
        if let high = pendingHigh { s &+= UInt64(high) << 8 }
        return InternetChecksum.fold(s)
    }

    /// A 64-bit sum folded to 16 bits with end-around carries.
    @inlinable static func fold(_ value: UInt64) -> UInt16 {
        var s = value
        while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
        return UInt16(truncatingIfNeeded: s)
    }

    /// The value to put in a checksum field.
    @inlinable public var value: UInt16 { ~folded }

    /// True when the data summed included a correct checksum field (the total folds to 0xFFFF).
    @inlinable public var verifies: Bool { folded == 0xFFFF }

    /// Checksum of one piece, for convenience.
    public static func of(_ bytes: ByteView) -> UInt16 {
        var c = InternetChecksum()
        c.add(bytes)
        return c.value
    }
}

extension InternetChecksum {
    /// The sum of a transport protocol's pseudo-header: IPv4's (RFC 9293 3.1: addresses, zero, protocol,
    /// length) when both addresses are IPv4, else IPv6's (RFC 8200 8.1: addresses, 32-bit length, next
    /// header). The same sum either way for the same words, whatever their order within 16-bit units.
    public static func pseudoHeader(source: IPAddress, destination: IPAddress, protocolNumber: UInt8,
                                    length: Int) -> InternetChecksum {
        var sum = InternetChecksum()
        if let s = source.ipv4, let d = destination.ipv4 {
            sum.add(u32: s.value)
            sum.add(u32: d.value)
            sum.add(u16: UInt16(protocolNumber))
            sum.add(u16: UInt16(truncatingIfNeeded: length))
        } else {
            for half in [source.bits.high, source.bits.low, destination.bits.high, destination.bits.low] {
                sum.add(u32: UInt32(truncatingIfNeeded: half >> 32))
                sum.add(u32: UInt32(truncatingIfNeeded: half))
            }
            sum.add(u32: UInt32(truncatingIfNeeded: length))
            sum.add(u16: UInt16(protocolNumber))
        }
        return sum
    }
}
