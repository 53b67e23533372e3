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

    /// `value` in decimal, with a minus sign when it is negative (what String interpolation writes).
    public mutating func putInteger(_ value: Int) {
        if value < 0 { put(UInt8(ascii: "-")) }
        putDecimal(UInt64(value.magnitude))
    }

    /// Dotted-quad text of `address`. Addresses are written into sinks, never through String
    /// interpolation: an interpolation costs the kernel about a kilobyte per call site.
    public mutating func putAddress(_ address: IPv4Address) {
        for i in 0..<4 {
            if i > 0 { put(UInt8(ascii: ".")) }
            putDecimal(UInt64(truncatingIfNeeded: address.value >> UInt32(24 - 8 * i)) & 0xFF)
        }
    }

    /// RFC 5952 text of `address`: lowercase, no leading zeros, the longest run of two or more zero
    /// groups (the first of equal runs) as "::".
    public mutating func putAddress(_ address: IPv6Address) {
        var bestStart = -1, bestLength = 1, runStart = -1
        for i in 0...8 {
            if i < 8 && address.group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        var i = 0
        while i < 8 {
            if i == bestStart {
                put(UInt8(ascii: ":")); put(UInt8(ascii: ":"))
                i += bestLength
                continue
            }
            if i > 0 && i != bestStart + bestLength { put(UInt8(ascii: ":")) }
            let g = address.group(i)
            var started = false
            for shift in stride(from: 12, through: 0, by: -4) {
                let nibble = UInt8(truncatingIfNeeded: g >> UInt16(shift)) & 0xF
                if nibble != 0 || started || shift == 0 { put(Hex.digit(nibble)); started = true }
            }
            i += 1
        }
    }

    /// `address` in its family's text form.
    public mutating func putAddress(_ address: IPAddress) {
        if let v4 = address.ipv4 { putAddress(v4) } else { putAddress(address.bits) }
    }

    /// The UTF-8 of `text` (a name or message already built).
    public mutating func putText(_ text: String) {
        for b in text.utf8 { put(b) }
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

/// A String built by writing into a byte sink: what log lines with addresses and numbers use instead of
/// String interpolation, which costs the kernel about a kilobyte of inlined code per call site.
extension String {
    public init(building body: (inout [UInt8]) -> Void) {
        var out: [UInt8] = []
        body(&out)
        self.init(decoding: out, as: UTF8.self)
    }
}

/// A growable byte buffer as a sink (tests, and text built before it goes anywhere).
extension Array: ByteSink where Element == UInt8 {
    public mutating func put(_ byte: UInt8) { append(byte) }
}
