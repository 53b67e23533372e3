import Testing
import Crypto
import Foundation
import Bytes
import Seal

/// Seal against swift-crypto (BoringSSL's ChaCha20-Poly1305): random keys, nonces, and lengths of
/// plaintext and additional data around the 16- and 64-byte boundaries where padding and block
/// counters change; each side must produce and accept exactly what the other does.
@Suite struct CrossCheckTests {
    static let lengths = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 300]

    @Test func sealsAndOpensAsSwiftCryptoDoes() throws {
        var random = SplitMix64(seed: 0x5EA1_C0DE)
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        for plainLength in Self.lengths {
            for aadLength in [0, 1, 12, 16, 33] {
                let key = bytes(32), nonce = bytes(12), plain = bytes(plainLength), aad = bytes(aadLength)
                let theirs = try ChaChaPoly.seal(plain, using: SymmetricKey(data: key), nonce: ChaChaPoly.Nonce(data: nonce),
                                                 authenticating: aad)
                let ours = ChaCha20Poly1305(key: key)!.seal(plain, nonce: nonce, additionalData: aad)!
                #expect(ours == Array(theirs.ciphertext) + Array(theirs.tag), "plaintext \(plainLength), aad \(aadLength)")
                #expect(ChaCha20Poly1305(key: key)!.open(Array(theirs.ciphertext) + Array(theirs.tag), nonce: nonce, additionalData: aad) == plain)
                let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: Data(ours.dropLast(16)),
                                                   tag: Data(ours.suffix(16)))
                #expect(try Array(ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: aad)) == plain)
            }
        }
    }

    /// A cookie sealed by ChaChaCookieCipher is nonce + ChaCha20-Poly1305 with the name as additional
    /// data: swift-crypto opens it given the same key.
    @Test func aSealedCookieOpensWithSwiftCrypto() throws {
        let key = Array(UInt8(1)...UInt8(32))
        let cipher = ChaChaCookieCipher(key: key, entropy: [9, 9, 9])!
        let sealed = cipher.seal(Array("visitor".utf8), name: Array("session".utf8))
        let box = try ChaChaPoly.SealedBox(combined: Data(sealed))
        #expect(try Array(ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: Array("session".utf8))) == Array("visitor".utf8))
    }
}
