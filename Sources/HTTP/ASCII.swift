/// Byte classes from RFC 9110 §5.6 and RFC 3986, as tables of predicates over single bytes. The parser
/// never works on Characters: every decision is made on the octet, so there is no Unicode ambiguity for
/// an attacker to exploit.
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let slash: UInt8 = 0x2F
    static let question: UInt8 = 0x3F
    static let percent: UInt8 = 0x25
    static let dot: UInt8 = 0x2E
    static let hyphen: UInt8 = 0x2D
    static let comma: UInt8 = 0x2C
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22

    /// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    /// field-vchar / SP / HTAB: what may appear inside a field value (obs-text 0x80...0xFF allowed,
    /// every other control byte, DEL and NUL refused).
    static func isFieldValueChar(_ b: UInt8) -> Bool {
        b == htab || (b >= 0x20 && b != 0x7F)
    }

    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Value of a hex digit, or nil.
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    /// Case-insensitive comparison of a byte slice with ASCII text (header names, tokens).
    /// Lengths first: most header names differ in length, and both counts cost nothing here.
    static func equalsIgnoringCase<C: Collection>(_ bytes: C, _ text: String) -> Bool where C.Element == UInt8 {
        guard bytes.count == text.utf8.count else { return false }
        var i = bytes.startIndex
        for t in text.utf8 {
            guard i != bytes.endIndex, lower(bytes[i]) == lower(t) else { return false }
            i = bytes.index(after: i)
        }
        return i == bytes.endIndex
    }

    /// Bytes with leading and trailing SP/HTAB removed (OWS around field values and list elements).
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = bytes.startIndex, hi = bytes.endIndex
        while lo < hi, isWhitespace(bytes[lo]) { lo += 1 }
        while hi > lo, isWhitespace(bytes[hi - 1]) { hi -= 1 }
        return bytes[lo..<hi]
    }

    /// Splits a comma-separated list (RFC 9110 §5.6.1), trimming OWS and dropping empty elements.
    static func listElements(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var i = bytes.startIndex
        while i <= bytes.endIndex {
            if i == bytes.endIndex || bytes[i] == comma {
                let element = trimmed(bytes[start..<i])
                if !element.isEmpty { out.append(element) }
                start = i + 1
            }
            i += 1
        }
        return out
    }

    /// True when the comma-separated list `bytes` has an element equal to `token`, ignoring case and
    /// the whitespace around elements (`listElements`' elements, without gathering them).
    static func listContains(_ bytes: ArraySlice<UInt8>, _ token: String) -> Bool {
        var start = bytes.startIndex
        for i in bytes.startIndex...bytes.endIndex where i == bytes.endIndex || bytes[i] == comma {
            if equalsIgnoringCase(trimmed(bytes[start..<i]), token) { return true }
            start = i + 1
        }
        return false
    }

    /// Decimal digits as an unsigned integer; nil on empty input, a non-digit, or overflow.
    static func parseDecimal(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for b in bytes {
            guard isDigit(b) else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
            guard !o1, !o2 else { return nil }
            value = s
        }
        return value
    }

    /// Appends `value` in decimal (no String: response heads and dates are built as bytes).
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var start = out.count
        var v = value
        repeat { out.append(0x30 + UInt8(v % 10)); v /= 10 } while v != 0
        var end = out.count - 1
        while start < end { out.swapAt(start, end); start += 1; end -= 1 }
    }

    static func hex(_ value: UInt64) -> [UInt8] {
        if value == 0 { return [0x30] }
        var out: [UInt8] = []
        var v = value
        while v > 0 {
            let d = UInt8(v & 0xF)
            out.append(d < 10 ? 0x30 + d : 0x61 + d - 10)
            v >>= 4
        }
        return out.reversed()
    }
}
