/// Somewhere bytes of text go one at a time: the console's line ring, the UART in a panic, a buffer.
/// Number formatting lives here once, so every sink formats the same way and allocates nothing.
public protocol ByteSink {
    mutating func put(_ byte: UInt8)
    /// Many bytes at once; a sink that can copy them in bulk (the console ring) implements it.
    mutating func put(bytes: UnsafeBufferPointer<UInt8>)
}

extension ByteSink {
    public mutating func put(bytes: UnsafeBufferPointer<UInt8>) {
        for b in bytes { put(b) }
    }

    public mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { for b in $0 { put(b) } }
    }

    public mutating func put<S: Sequence>(contentsOf bytes: S) where S.Element == UInt8 {
        for b in bytes { put(b) }
    }

    /// `value` in decimal, left-padded with `pad` to `width` characters.
    public mutating func putDecimal(_ value: UInt64, width: Int = 0, pad: UInt8 = UInt8(ascii: " ")) {
        var digits = 1
        var rest = value / 10
        while rest != 0 { digits += 1; rest /= 10 }
        var padding = width - digits
        while padding > 0 { put(pad); padding -= 1 }
        var divisor: UInt64 = 1
        for _ in 1..<digits { divisor &*= 10 }
        while divisor != 0 {
            put(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / divisor % 10))
            divisor /= 10
        }
    }

    /// `0x` and all 16 hex digits of `value`.
    public mutating func putHex(_ value: UInt64) {
        put("0x")
        var shift: UInt64 = 60
        while true {
            put(Hex.digit(UInt8((value >> shift) & 0xF)))
            if shift == 0 { break }
            shift -= 4
        }
    }
}

/// A growable byte buffer as a sink (tests, and text built before it goes anywhere).
extension Array: ByteSink where Element == UInt8 {
    public mutating func put(_ byte: UInt8) { append(byte) }
}
