import Bytes
import HTTP

/// "User-provided encryption": how an app's cookie values are sealed and opened when it brings its own
/// scheme instead of the default ChaCha20-Poly1305 (`ChaChaCookieCipher`). `open` must refuse (nil)
/// anything its `seal` did not make for the same cookie name.
public protocol CookieCipher: AnyObject {
    func seal(_ plaintext: [UInt8], name: [UInt8]) -> [UInt8]
    func open(_ sealed: [UInt8], name: [UInt8]) -> [UInt8]?
}

/// The default encryption: nonce (12 random bytes) + ChaCha20-Poly1305 ciphertext + tag, with the
/// cookie's name as additional data, so a value moved to another cookie's name is refused too.
public final class ChaChaCookieCipher: CookieCipher {
    private let aead: ChaCha20Poly1305
    private var nonces: RandomStream

    /// nil unless `key` is 32 bytes. `entropy` seeds the nonces.
    public init?(key: [UInt8], entropy: [UInt8]) {
        guard let aead = ChaCha20Poly1305(key: key) else { return nil }
        self.aead = aead
        nonces = RandomStream(entropy: entropy, purpose: RandomStream.Purpose.nonces)
    }

    public func seal(_ plaintext: [UInt8], name: [UInt8]) -> [UInt8] {
        let nonce = nonces.next(ChaCha20.nonceBytes)
        return nonce + aead.seal(plaintext, nonce: nonce, additionalData: name)!   // the nonce is 12 bytes
    }

    public func open(_ sealed: [UInt8], name: [UInt8]) -> [UInt8]? {
        guard sealed.count >= ChaCha20.nonceBytes + ChaCha20Poly1305.tagBytes else { return nil }
        return aead.open(Array(sealed[ChaCha20.nonceBytes...]), nonce: Array(sealed[..<ChaCha20.nonceBytes]), additionalData: name)
    }
}

/// Cookies whose values the client can neither read nor change: sealed with an expiry time inside,
/// carried base64url-encoded. A cookie that is not base64url, fails to open (tampered, truncated, made
/// under another key or for another name) or has expired is treated as absent, and counted.
public final class SealedCookies {
    public struct Counters {
        public var sealed: UInt64 = 0
        public var opened: UInt64 = 0
        /// Not base64url.
        public var refusedMalformed: UInt64 = 0
        /// Did not open: changed, cut short, or sealed under another key or cookie name.
        public var refusedUnauthentic: UInt64 = 0
        /// Opened, but its expiry time has passed (a replay of an old cookie).
        public var refusedExpired: UInt64 = 0
    }

    public let cipher: any CookieCipher
    public private(set) var counters = Counters()
    private let wallClock: WallClock
    /// Bytes of the expiry time (big-endian Unix seconds) in front of the value.
    static let expiryBytes = 8

    public init(cipher: any CookieCipher, wallClock: WallClock) {
        self.cipher = cipher
        self.wallClock = wallClock
    }

    /// The default encryption under the app's cookie key (`cookie.key=`, or one drawn at boot), with
    /// its counters on /factory/etc and /factory/metrics.
    public convenience init(_ app: AppContext) {
        var bootKey = RandomStream(entropy: app.entropy, purpose: RandomStream.Purpose.bootKey)
        let key = app.cookieKey ?? bootKey.next(ChaCha20.keyBytes)
        self.init(cipher: ChaChaCookieCipher(key: key, entropy: app.entropy)!, wallClock: app.http.wallClock)  // key: 32 bytes
        app.http.addStatusProvider("sealed cookies") { self.metrics }    // the provider keeps the jar alive
    }

    /// What opening a sealed value found.
    public enum Opened: Equatable {
        case value([UInt8])
        /// Not base64url.
        case malformed
        /// Did not open: changed, cut short, or sealed under another key or for another purpose.
        case unauthentic
        /// Opened, but its expiry time has passed.
        case expired
    }

    /// `value` sealed for `purpose` (the additional data: it opens for no other purpose), valid for
    /// `maxAge` seconds, base64url-encoded: a cookie's value (the purpose is the cookie's name), or a
    /// token an app puts in a form and checks when the form comes back.
    public func seal(_ value: [UInt8], for purpose: [UInt8], maxAge: Int64) -> [UInt8] {
        let expiry = wallClock.unixSeconds() &+ UInt64(max(0, maxAge))
        var plain: [UInt8] = []
        for i in (0..<Self.expiryBytes).reversed() { plain.append(UInt8(truncatingIfNeeded: expiry >> (8 * UInt64(i)))) }
        return Base64URL.encode(cipher.seal(plain + value, name: purpose))
    }

    /// The value `seal` made for `purpose`, or why there is none.
    public func open<C: Collection>(_ text: C, for purpose: [UInt8]) -> Opened where C.Element == UInt8 {
        guard let sealed = Base64URL.decode(text) else { return .malformed }
        guard let plain = cipher.open(sealed, name: purpose), plain.count >= Self.expiryBytes else { return .unauthentic }
        var expiry: UInt64 = 0
        for b in plain[..<Self.expiryBytes] { expiry = expiry << 8 | UInt64(b) }
        guard wallClock.unixSeconds() < expiry else { return .expired }
        return .value(Array(plain[Self.expiryBytes...]))
    }

    /// The opened value of the cookie `name` in `request`, or nil: absent, or refused (and counted).
    public func value(_ name: String, in request: HTTPRequest) -> [UInt8]? {
        guard let text = request.cookies.values(name).first else { return nil }
        switch open(text, for: Array(name.utf8)) {
        case .value(let value): counters.opened += 1; return value
        case .malformed: counters.refusedMalformed += 1
        case .unauthentic: counters.refusedUnauthentic += 1
        case .expired: counters.refusedExpired += 1
        }
        return nil
    }

    /// A Set-Cookie for `value`, sealed, valid for `maxAge` seconds (inside the seal, and as Max-Age).
    public func cookie(_ name: String, value: [UInt8], maxAge: Int64) -> SetCookie {
        counters.sealed += 1
        var cookie = SetCookie(name: name, value: String(decoding: seal(value, for: Array(name.utf8), maxAge: maxAge), as: UTF8.self))
        cookie.maxAge = maxAge
        return cookie
    }

    public var metrics: Metrics {
        var m = Metrics()
        m.counter("cookies.sealed", counters.sealed, help: "Sealed cookies set")
        m.counter("cookies.opened", counters.opened, help: "Sealed cookies accepted")
        m.counter("cookies.refused", counters.refusedMalformed, help: "Sealed cookies treated as absent, by reason", label: ("reason", "malformed"))
        m.counter("cookies.refused", counters.refusedUnauthentic, label: ("reason", "unauthentic"))
        m.counter("cookies.refused", counters.refusedExpired, label: ("reason", "expired"))
        return m
    }
}
