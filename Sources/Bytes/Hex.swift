/// Hexadecimal digits, for formatting without Foundation (MAC addresses, ETags, panic reports).
public enum Hex {
    @inlinable public static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Value of one hex digit, or nil.
    @inlinable public static func value(of c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `value` as lowercase hex with at least `minDigits` digits.
    public static func text(_ value: UInt64, minDigits: Int = 1) -> String {
        var digits: [UInt8] = []
        var v = value
        repeat { digits.append(digit(UInt8(truncatingIfNeeded: v & 0xF))); v >>= 4 } while v != 0
        while digits.count < minDigits { digits.append(UInt8(ascii: "0")) }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}
