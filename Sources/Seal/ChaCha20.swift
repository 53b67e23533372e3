/// The ChaCha20 stream cipher (RFC 8439 §2.3-2.4): a 256-bit key, a 96-bit nonce and a 32-bit block
/// counter make each 64-byte block of keystream. Integer arithmetic only (the kernel is soft-float and
/// has no vector unit), and no table lookups indexed by secrets, so its timing does not depend on them.
public struct ChaCha20 {
    public static let keyBytes = 32
    public static let nonceBytes = 12
    public static let blockBytes = 64

    /// The 16-word state's constant, key and nonce words; the counter is filled in per block.
    private var input: [UInt32]

    /// nil when `key` or `nonce` has the wrong length.
    public init?(key: [UInt8], nonce: [UInt8]) {
        guard key.count == ChaCha20.keyBytes, nonce.count == ChaCha20.nonceBytes else { return nil }
        input = [0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574]   // "expand 32-byte k"
        for i in 0..<8 { input.append(ChaCha20.word(key, at: 4 * i)) }
        input.append(0)
        for i in 0..<3 { input.append(ChaCha20.word(nonce, at: 4 * i)) }
    }

    /// One 64-byte keystream block (§2.3.2).
    public func block(counter: UInt32) -> [UInt8] {
        var start = input
        start[12] = counter
        var x = start
        for _ in 0..<10 {
            ChaCha20.quarterRound(&x, 0, 4, 8, 12); ChaCha20.quarterRound(&x, 1, 5, 9, 13)
            ChaCha20.quarterRound(&x, 2, 6, 10, 14); ChaCha20.quarterRound(&x, 3, 7, 11, 15)
            ChaCha20.quarterRound(&x, 0, 5, 10, 15); ChaCha20.quarterRound(&x, 1, 6, 11, 12)
            ChaCha20.quarterRound(&x, 2, 7, 8, 13); ChaCha20.quarterRound(&x, 3, 4, 9, 14)
        }
        var out = [UInt8](repeating: 0, count: ChaCha20.blockBytes)
        for i in 0..<16 {
            let w = x[i] &+ start[i]
            for b in 0..<4 { out[4 * i + b] = UInt8(truncatingIfNeeded: w >> (8 * b)) }
        }
        return out
    }

    /// `data` XORed with the keystream starting at block `counter` (§2.4): encrypts and decrypts.
    public func xor(_ data: [UInt8], counter: UInt32) -> [UInt8] {
        var out = data
        var offset = 0
        var n = counter
        while offset < out.count {
            let stream = block(counter: n)
            for i in 0..<min(ChaCha20.blockBytes, out.count - offset) { out[offset + i] ^= stream[i] }
            offset += ChaCha20.blockBytes
            n &+= 1
        }
        return out
    }

    private static func quarterRound(_ x: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        x[a] &+= x[b]; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] &+= x[d]; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] &+= x[b]; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] &+= x[d]; x[b] = rotl(x[b] ^ x[c], 7)
    }

    private static func rotl(_ v: UInt32, _ n: UInt32) -> UInt32 { v << n | v >> (32 - n) }

    /// The little-endian word at `offset`.
    static func word(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
