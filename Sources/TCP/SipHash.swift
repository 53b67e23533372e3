import Bytes

/// SipHash-2-4 (Aumasson and Bernstein, 2012): a fast keyed hash that resists an attacker who sees
/// outputs but not the key. TCP uses it where predictability is the attack: initial sequence numbers
/// (RFC 6528), timestamp offsets and ephemeral port choice.
public struct SipHash24 {
    public let key0: UInt64
    public let key1: UInt64

    public init(key0: UInt64, key1: UInt64) { self.key0 = key0; self.key1 = key1 }

    /// The 64-bit hash of `bytes`.
    public func hash(_ bytes: ByteView) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ key0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ key1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ key0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ key1

        func round() {
            v0 = v0 &+ v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = v2 &+ v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 = v0 &+ v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 = v2 &+ v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }
        func absorb(_ m: UInt64) {
            v3 ^= m
            round(); round()
            v0 ^= m
        }

        let n = bytes.count
        var offset = 0
        while offset + 8 <= n {
            // One unaligned little-endian load per block, in range by the loop's condition.
            absorb(UInt64(littleEndian: bytes.base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        // Last block: the remaining bytes, with the message length (mod 256) in the top byte.
        var last = UInt64(truncatingIfNeeded: n) << 56
        for i in 0..<(n - offset) { last |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        absorb(last)

        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

}

@inline(__always) private func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }
