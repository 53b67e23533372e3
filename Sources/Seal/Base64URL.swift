import HTTP

/// base64url without padding (RFC 4648 §5): the cookie-safe alphabet ("-" and "_" for "+" and "/").
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var bits: UInt32 = 0, count = 0
        for b in bytes {
            bits = bits << 8 | UInt32(b); count += 8
            while count >= 6 { count -= 6; out.append(alphabet[Int(bits >> UInt32(count) & 63)]) }
        }
        if count > 0 { out.append(alphabet[Int(bits << UInt32(6 - count) & 63)]) }
        return out
    }

    /// nil for a byte outside the alphabet, a length no encoding has (4n+1), or stray low bits in the
    /// last character (so each byte string has exactly one encoding: no silent variants of a cookie).
    public static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        guard text.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var bits: UInt32 = 0, count = 0
        for c in text {
            guard let v = value(c) else { return nil }
            bits = bits << 6 | UInt32(v); count += 6
            if count >= 8 { count -= 8; out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count))) }
        }
        guard bits & ((1 << UInt32(count)) - 1) == 0 else { return nil }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? { Base64.value(c, digit62: 0x2D, digit63: 0x5F) }
}
