/// Unpredictable bytes for nonces and boot-time keys: ChaCha20's keystream under a key made from boot
/// entropy (the kernel's RDRAND and TSC samples, the host's system generator). Each draw takes fresh
/// blocks, so no two draws of one stream share a byte.
public struct RandomStream {
    private let cipher: ChaCha20
    private var counter: UInt32 = 0
    private var pending: [UInt8] = []

    /// `entropy` of any length is folded into the key (XOR, position modulo 32); `purpose` separates
    /// streams made from the same entropy (the nonce stream from the boot-time cookie key).
    public enum Purpose {
        public static let bootKey: UInt8 = 1
        public static let nonces: UInt8 = 2
    }

    public init(entropy: [UInt8], purpose: UInt8) {
        var key = [UInt8](repeating: 0, count: ChaCha20.keyBytes)
        for (i, b) in entropy.enumerated() { key[i % key.count] ^= b }
        var nonce = [UInt8](repeating: 0, count: ChaCha20.nonceBytes)
        nonce[0] = purpose
        cipher = ChaCha20(key: key, nonce: nonce)!       // both lengths are the constants above
    }

    public mutating func next(_ count: Int) -> [UInt8] {
        while pending.count < count {
            pending += cipher.block(counter: counter)
            counter &+= 1
        }
        let out = Array(pending[..<count])
        pending.removeFirst(count)
        return out
    }
}
