/// The Poly1305 one-time authenticator (RFC 8439 §2.5): a 16-byte tag of a message under a 32-byte
/// one-time key. Arithmetic modulo 2^130 - 5 in five 26-bit limbs with 64-bit products (the
/// well-known "donna" 32-bit layout), so nothing needs 128-bit integers; the final reduction selects
/// with masks, not branches, so the tag's timing does not depend on the secret.
public enum Poly1305 {
    public static let keyBytes = 32
    public static let tagBytes = 16
    private static let limb: UInt32 = 0x3FF_FFFF

    /// The tag of `message`; `key` must be 32 bytes (used once: the AEAD derives it per nonce).
    public static func tag(key: [UInt8], message: [UInt8]) -> [UInt8] {
        precondition(key.count == keyBytes)
        // r, clamped (§2.5.1), in 26-bit limbs
        let r0 = ChaCha20.word(key, at: 0) & 0x3FF_FFFF
        let r1 = (ChaCha20.word(key, at: 3) >> 2) & 0x3FF_FF03
        let r2 = (ChaCha20.word(key, at: 6) >> 4) & 0x3FF_C0FF
        let r3 = (ChaCha20.word(key, at: 9) >> 6) & 0x3F0_3FFF
        let r4 = (ChaCha20.word(key, at: 12) >> 8) & 0x00F_FFFF
        let r = [r0, r1, r2, r3, r4].map(UInt64.init)
        let s = [r1, r2, r3, r4].map { UInt64($0) &* 5 }    // s[i-1] = 5 r[i]: 2^130 folds back as 5
        var h: [UInt32] = [0, 0, 0, 0, 0]

        var offset = 0
        while offset < message.count {
            // A block of up to 16 bytes, with the 0x01 byte after its last (the 2^128 bit for a full one).
            var block = [UInt8](repeating: 0, count: 17)
            let n = min(16, message.count - offset)
            for i in 0..<n { block[i] = message[offset + i] }
            block[n] = 1
            offset += n
            h[0] &+= ChaCha20.word(block, at: 0) & limb
            h[1] &+= (ChaCha20.word(block, at: 3) >> 2) & limb
            h[2] &+= (ChaCha20.word(block, at: 6) >> 4) & limb
            h[3] &+= (ChaCha20.word(block, at: 9) >> 6) & limb
            h[4] &+= ChaCha20.word(block, at: 12) >> 8 | UInt32(block[16]) << 24
            let h64 = h.map(UInt64.init)
            var d: [UInt64] = [
                h64[0] &* r[0] &+ h64[1] &* s[3] &+ h64[2] &* s[2] &+ h64[3] &* s[1] &+ h64[4] &* s[0],
                h64[0] &* r[1] &+ h64[1] &* r[0] &+ h64[2] &* s[3] &+ h64[3] &* s[2] &+ h64[4] &* s[1],
                h64[0] &* r[2] &+ h64[1] &* r[1] &+ h64[2] &* r[0] &+ h64[3] &* s[3] &+ h64[4] &* s[2],
                h64[0] &* r[3] &+ h64[1] &* r[2] &+ h64[2] &* r[1] &+ h64[3] &* r[0] &+ h64[4] &* s[3],
                h64[0] &* r[4] &+ h64[1] &* r[3] &+ h64[2] &* r[2] &+ h64[3] &* r[1] &+ h64[4] &* r[0],
            ]
            var carry: UInt64 = 0
            for i in 0..<5 {
                d[i] &+= carry
                carry = d[i] >> 26
                h[i] = UInt32(truncatingIfNeeded: d[i]) & limb
            }
            h[0] &+= UInt32(truncatingIfNeeded: carry) &* 5
            h[1] &+= h[0] >> 26
            h[0] &= limb
        }
        return finish(h, pad: key)
    }

    /// h fully reduced modulo 2^130 - 5, plus s (the key's second half), modulo 2^128.
    private static func finish(_ hIn: [UInt32], pad key: [UInt8]) -> [UInt8] {
        var h = hIn
        var c: UInt32 = 0
        for i in 1..<5 { h[i] &+= c; c = h[i] >> 26; h[i] &= limb }
        h[0] &+= c &* 5; c = h[0] >> 26; h[0] &= limb
        h[1] &+= c
        // g = h + 5 - 2^130: if it does not go negative, h >= p and g is the reduced value.
        var g = [UInt32](repeating: 0, count: 5)
        c = 5
        for i in 0..<4 { g[i] = h[i] &+ c; c = g[i] >> 26; g[i] &= limb }
        g[4] = h[4] &+ c &- (1 << 26)
        let useG = (g[4] >> 31) &- 1            // all ones when g >= 0
        for i in 0..<5 { h[i] = (h[i] & ~useG) | (g[i] & useG) }
        // 26-bit limbs to four 32-bit words, plus s
        let words: [UInt32] = [h[0] | h[1] << 26, h[1] >> 6 | h[2] << 20, h[2] >> 12 | h[3] << 14, h[3] >> 18 | h[4] << 8]
        var out = [UInt8](repeating: 0, count: tagBytes)
        var f: UInt64 = 0
        for i in 0..<4 {
            f = UInt64(words[i]) &+ UInt64(ChaCha20.word(key, at: 16 + 4 * i)) &+ (f >> 32)
            for b in 0..<4 { out[4 * i + b] = UInt8(truncatingIfNeeded: f >> (8 * b)) }
        }
        return out
    }
}
