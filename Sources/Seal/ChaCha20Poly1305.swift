import Bytes

/// The ChaCha20-Poly1305 AEAD (RFC 8439 §2.8): encrypts a plaintext and authenticates it together
/// with additional data that travels in the clear. A nonce must never repeat under one key.
public struct ChaCha20Poly1305 {
    public static let tagBytes = Poly1305.tagBytes
    private let key: [UInt8]

    /// nil unless `key` is 32 bytes.
    public init?(key: [UInt8]) {
        guard key.count == ChaCha20.keyBytes else { return nil }
        self.key = key
    }

    /// The ciphertext (as long as `plaintext`) followed by the 16-byte tag; nil for a nonce that is
    /// not 12 bytes.
    public func seal(_ plaintext: [UInt8], nonce: [UInt8], additionalData: [UInt8] = []) -> [UInt8]? {
        guard let cipher = ChaCha20(key: key, nonce: nonce) else { return nil }
        let ciphertext = cipher.xor(plaintext, counter: 1)
        return ciphertext + Self.tag(cipher, ciphertext, additionalData)
    }

    /// The plaintext of `sealed` (ciphertext then tag), or nil when the tag does not match: a changed
    /// byte anywhere, another key, nonce or additional data, or too short to hold a tag.
    public func open(_ sealed: [UInt8], nonce: [UInt8], additionalData: [UInt8] = []) -> [UInt8]? {
        guard sealed.count >= Self.tagBytes, let cipher = ChaCha20(key: key, nonce: nonce) else { return nil }
        let ciphertext = Array(sealed[..<(sealed.count - Self.tagBytes)])
        let expected = Self.tag(cipher, ciphertext, additionalData)
        guard ConstantTime.equals(expected, sealed[(sealed.count - Self.tagBytes)...]) else { return nil }
        return cipher.xor(ciphertext, counter: 1)
    }

    /// Poly1305 over aad, padding, ciphertext, padding and both lengths, keyed by block 0 (§2.6, §2.8).
    private static func tag(_ cipher: ChaCha20, _ ciphertext: [UInt8], _ aad: [UInt8]) -> [UInt8] {
        let oneTimeKey = Array(cipher.block(counter: 0)[..<Poly1305.keyBytes])
        var mac = aad + padding(aad.count) + ciphertext + padding(ciphertext.count)
        for length in [aad.count, ciphertext.count] {
            for b in 0..<8 { mac.append(UInt8(truncatingIfNeeded: UInt64(length) >> (8 * b))) }
        }
        return Poly1305.tag(key: oneTimeKey, message: mac)
    }

    private static func padding(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: (16 - count % 16) % 16) }
}
