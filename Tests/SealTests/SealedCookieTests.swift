import Testing
import Bytes
import HTTP
import TestSupport
import Seal

/// Sealed cookies: the client can neither read nor change them, and an old one stops working.
@Suite struct SealedCookieTests {
    let clock = VirtualClock()
    let key = Array(UInt8(100)...UInt8(131))

    func jar(key: [UInt8]? = nil) -> SealedCookies {
        SealedCookies(cipher: ChaChaCookieCipher(key: key ?? self.key, entropy: [1, 2, 3])!, wallClock: clock)
    }

    func request(cookie: String) -> HTTPRequest {
        HTTPRequest(method: .get, target: Array("/".utf8), headers: HTTPHeaders([("Cookie", "other=1; \(cookie)")]))
    }

    /// "name=value" of a Set-Cookie.
    func pair(_ cookie: SetCookie) -> String { "\(cookie.name)=\(cookie.value)" }

    @Test func roundTripsAndHidesTheValue() {
        let jar = jar()
        let cookie = jar.cookie("session", value: Array("Ada Lovelace".utf8), maxAge: 3600)
        #expect(cookie.maxAge == 3600)
        #expect(!cookie.value.contains("Ada"))
        #expect(!(Base64URL.decode(cookie.value.utf8) ?? []).containsSequence(Array("Ada".utf8)))
        #expect(cookie.fieldValue != nil)            // only cookie-octets
        #expect(jar.value("session", in: request(cookie: pair(cookie))) == Array("Ada Lovelace".utf8))
        #expect(jar.counters.sealed == 1 && jar.counters.opened == 1)
        // Two seals of one value differ (fresh nonce each time).
        #expect(jar.cookie("session", value: Array("Ada Lovelace".utf8), maxAge: 3600).value != cookie.value)
    }

    @Test func everyChangedCharacterIsRefusedAndCounted() {
        let jar = jar()
        let cookie = jar.cookie("session", value: Array("Ada".utf8), maxAge: 3600)
        var refused = 0
        for (i, c) in cookie.value.utf8.enumerated() {
            var bytes = Array(cookie.value.utf8)
            bytes[i] = c == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let changed = String(decoding: bytes, as: UTF8.self)
            #expect(jar.value("session", in: request(cookie: "session=\(changed)")) == nil, "character \(i)")
            refused += 1
        }
        #expect(jar.counters.refusedUnauthentic + jar.counters.refusedMalformed == UInt64(refused))
        #expect(jar.counters.opened == 0)
    }

    @Test func truncatedMalformedForeignAndMovedCookiesAreAbsent() {
        let jar = jar()
        let cookie = jar.cookie("session", value: Array("Ada".utf8), maxAge: 3600)
        #expect(jar.value("session", in: request(cookie: "session=\(cookie.value.dropLast(4))")) == nil)
        #expect(jar.value("session", in: request(cookie: "session=AAAA")) == nil)          // shorter than nonce + tag
        #expect(jar.counters.refusedUnauthentic == 2)
        #expect(jar.value("session", in: request(cookie: "session=not*base64")) == nil)
        #expect(jar.value("session", in: request(cookie: "session=")) == nil)
        #expect(jar.counters.refusedMalformed == 1 && jar.counters.refusedUnauthentic == 3)
        // Sealed under another key (another appliance, or before a reboot without cookie.key=).
        let foreign = self.jar(key: Array(repeating: 7, count: 32)).cookie("session", value: Array("Ada".utf8), maxAge: 3600)
        #expect(jar.value("session", in: request(cookie: pair(foreign))) == nil)
        // The same bytes under another cookie name: the name is authenticated too.
        #expect(jar.value("admin", in: request(cookie: "admin=\(cookie.value)")) == nil)
        #expect(jar.counters.refusedUnauthentic == 5)
        // Absent is not refused.
        #expect(jar.value("missing", in: request(cookie: pair(cookie))) == nil)
        #expect(jar.counters.refusedUnauthentic == 5 && jar.counters.refusedMalformed == 1)
    }

    @Test func anExpiredCookieIsRefusedEvenWhenTheClientKeepsIt() {
        let jar = jar()
        let cookie = jar.cookie("session", value: Array("Ada".utf8), maxAge: 60)
        clock.advance(by: .seconds(59))
        #expect(jar.value("session", in: request(cookie: pair(cookie))) == Array("Ada".utf8))
        clock.advance(by: .seconds(1))
        #expect(jar.value("session", in: request(cookie: pair(cookie))) == nil)
        #expect(jar.counters.refusedExpired == 1)
        #expect(jar.metrics.lines.contains("cookies.refused{reason=expired} 1"))
    }

    /// "User-provided encryption": an app's own CookieCipher replaces ChaCha20-Poly1305.
    @Test func anAppMayBringItsOwnCipher() {
        final class Reversing: CookieCipher {
            func seal(_ plaintext: [UInt8], name: [UInt8]) -> [UInt8] { name + plaintext.reversed() }
            func open(_ sealed: [UInt8], name: [UInt8]) -> [UInt8]? {
                sealed.starts(with: name) ? Array(sealed.dropFirst(name.count).reversed()) : nil
            }
        }
        let jar = SealedCookies(cipher: Reversing(), wallClock: clock)
        let cookie = jar.cookie("s", value: Array("xyz".utf8), maxAge: 10)
        #expect(jar.value("s", in: request(cookie: pair(cookie))) == Array("xyz".utf8))
        #expect(jar.value("s", in: request(cookie: "s=\(Base64URL.encode(Array("t12345678xyz".utf8)).map { Character(UnicodeScalar($0)) }.map(String.init).joined())")) == nil)
        #expect(jar.counters.refusedUnauthentic == 1)
    }

    @Test func base64URLRoundTripsEveryLengthAndRefusesVariants() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains(UInt8(ascii: "=")) && !text.contains(UInt8(ascii: "+")) && !text.contains(UInt8(ascii: "/")))
            #expect(Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.decode(Array("-_8".utf8)) == [0xFB, 0xFF])
        #expect(Base64URL.decode(Array("-_9".utf8)) == nil)          // stray low bits: not the canonical form
        #expect(Base64URL.decode(Array("AAAAA".utf8)) == nil)        // 4n+1 characters
        #expect(Base64URL.decode(Array("AA==".utf8)) == nil)         // no padding
    }
}

extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
    }
}
