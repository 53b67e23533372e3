import Testing
import Seal

/// RFC 8439's own test vectors (§2.3.2, §2.4.2, §2.5.2, §2.8.2).
@Suite struct RFC8439Tests {
    static let sunscreen = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)

    @Test func chacha20BlockFunction() {
        let cipher = ChaCha20(key: Array(0...31), nonce: hex("00 00 00 09 00 00 00 4a 00 00 00 00"))!
        #expect(cipher.block(counter: 1) == hex("""
            10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4 c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
            d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2 b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e
            """))
    }

    @Test func chacha20Encryption() {
        let cipher = ChaCha20(key: Array(0...31), nonce: hex("00 00 00 00 00 00 00 4a 00 00 00 00"))!
        let expected = hex("""
            6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81 e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b
            f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57 16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8
            07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e 52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36
            5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42 87 4d
            """)
        #expect(cipher.xor(Self.sunscreen, counter: 1) == expected)
        #expect(cipher.xor(expected, counter: 1) == Self.sunscreen)
    }

    @Test func poly1305() {
        let key = hex("85 d6 be 78 57 55 6d 33 7f 44 52 fe 42 d5 06 a8 01 03 80 8a fb 0d b2 fd 4a bf f6 af 41 49 f5 1b")
        #expect(Poly1305.tag(key: key, message: Array("Cryptographic Forum Research Group".utf8))
                == hex("a8 06 1d c1 30 51 36 c6 c2 2b 8b af 0c 01 27 a9"))
    }

    static let aeadKey: [UInt8] = Array(0x80...0x9f)
    static let aeadNonce = hex("07 00 00 00 40 41 42 43 44 45 46 47")
    static let aeadAAD = hex("50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7")
    static let aeadSealed = hex("""
        d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2 a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6
        3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b 1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36
        92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58 fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc
        3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b 61 16
        1a e1 0b 59 4f 09 e2 6a 7e 90 2e cb d0 60 06 91
        """)

    @Test func aeadSealsTheRFCsExample() {
        let aead = ChaCha20Poly1305(key: Self.aeadKey)!
        #expect(aead.seal(Self.sunscreen, nonce: Self.aeadNonce, additionalData: Self.aeadAAD) == Self.aeadSealed)
        #expect(aead.open(Self.aeadSealed, nonce: Self.aeadNonce, additionalData: Self.aeadAAD) == Self.sunscreen)
    }

    @Test func aeadRefusesEveryChangedByteAndTheWrongContext() {
        let aead = ChaCha20Poly1305(key: Self.aeadKey)!
        for i in Self.aeadSealed.indices {
            var changed = Self.aeadSealed
            changed[i] ^= 0x01
            #expect(aead.open(changed, nonce: Self.aeadNonce, additionalData: Self.aeadAAD) == nil, "byte \(i)")
        }
        #expect(aead.open(Array(Self.aeadSealed.dropLast()), nonce: Self.aeadNonce, additionalData: Self.aeadAAD) == nil)
        #expect(aead.open(Array(Self.aeadSealed.prefix(15)), nonce: Self.aeadNonce, additionalData: Self.aeadAAD) == nil)
        #expect(aead.open(Self.aeadSealed, nonce: Self.aeadNonce, additionalData: []) == nil)
        var otherNonce = Self.aeadNonce
        otherNonce[11] ^= 0x80
        #expect(aead.open(Self.aeadSealed, nonce: otherNonce, additionalData: Self.aeadAAD) == nil)
        #expect(ChaCha20Poly1305(key: Array(Self.aeadKey.reversed()))!.open(Self.aeadSealed, nonce: Self.aeadNonce, additionalData: Self.aeadAAD) == nil)
        #expect(ChaCha20Poly1305(key: Array(Self.aeadKey.dropLast())) == nil)
    }
}

/// Bytes from hex digits separated by anything else.
func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8?
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case 0x30...0x39: v = c - 0x30
        case 0x61...0x66: v = c - 0x61 + 10
        default: continue
        }
        if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
    }
    return out
}
