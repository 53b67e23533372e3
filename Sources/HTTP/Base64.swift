import Bytes

/// Standard base64 (RFC 4648 §4) decoding, strict: the padded alphabet only, no whitespace, padding
/// only at the end. Enough for Basic credentials; never traps on hostile input.
public enum Base64 {
    static func value(_ c: UInt8) -> UInt8? { value(c, digit62: 0x2B, digit63: 0x2F) }

    /// A character's 6-bit value in a base64 alphabet: RFC 4648's alphabets share their first 62
    /// characters and differ in the last two ("+" "/" here, "-" "_" for base64url).
    public static func value(_ c: UInt8, digit62: UInt8, digit63: UInt8) -> UInt8? {
        switch c {
        case 0x41...0x5A: return c - 0x41
        case 0x61...0x7A: return c - 0x61 + 26
        case 0x30...0x39: return c - 0x30 + 52
        case digit62: return 62
        case digit63: return 63
        default: return nil
        }
    }

    static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        let input = Array(text)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var i = 0
        while i < input.count {
            let isLast = i + 4 == input.count
            let pad = isLast ? (input[i + 3] == ASCII.equals ? (input[i + 2] == ASCII.equals ? 2 : 1) : 0) : 0
            var quad: UInt32 = 0
            for k in 0..<4 {
                if k >= 4 - pad { quad <<= 6; continue }
                guard let v = value(input[i + k]) else { return nil }
                quad = quad << 6 | UInt32(v)
            }
            out.append(UInt8(truncatingIfNeeded: quad >> 16))
            if pad < 2 { out.append(UInt8(truncatingIfNeeded: quad >> 8)) }
            if pad < 1 { out.append(UInt8(truncatingIfNeeded: quad)) }
            i += 4
        }
        return out
    }
}

/// Basic authentication for a route (RFC 7617): a realm and a check of user and password.
public struct BasicAuth {
    public var realm: String
    public var check: (_ user: [UInt8], _ password: [UInt8]) -> Bool

    public init(realm: String, check: @escaping (_ user: [UInt8], _ password: [UInt8]) -> Bool) {
        self.realm = realm; self.check = check
    }

    /// One fixed user and password, compared in constant time (both, always: no `&&` short cut), so
    /// response times tell nothing about how much of a guess was right.
    public init(realm: String, user: String, password: String) {
        let u = Array(user.utf8), p = Array(password.utf8)
        self.init(realm: realm) {
            let userMatches = ConstantTime.equals($0, u), passwordMatches = ConstantTime.equals($1, p)
            return userMatches && passwordMatches
        }
    }

    /// `USER:PASSWORD` (both non-empty, the first colon splits) as one fixed user, or nil.
    public init?(realm: String, userColonPassword text: [UInt8]) {
        guard let colon = text.firstIndex(of: ASCII.colon), colon > text.startIndex, colon + 1 < text.endIndex else { return nil }
        self.init(realm: realm, user: String(decoding: text[..<colon], as: UTF8.self),
                  password: String(decoding: text[(colon + 1)...], as: UTF8.self))
    }

    /// The user the request authenticates as, or nil (absent, malformed or wrong credentials).
    public func authenticate(_ request: HTTPRequest) -> [UInt8]? {
        guard let field = request.headers.first("Authorization"),
              let space = field.firstIndex(of: ASCII.sp),
              ASCII.equalsIgnoringCase(field[..<space], "Basic") else { return nil }
        let token = ASCII.trimmed(field[(space + 1)...])
        guard let decoded = Base64.decode(token), let colon = decoded.firstIndex(of: ASCII.colon) else { return nil }
        let user = Array(decoded[..<colon]), password = Array(decoded[(colon + 1)...])
        guard !decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }), check(user, password) else { return nil }
        return user
    }

    /// 401 with the challenge.
    var challenge: HTTPResponse {
        var r = HTTPResponse.error(.unauthorized, "This page needs a user name and password.")
        r.headers.add("WWW-Authenticate", "Basic realm=\"\(realm)\", charset=\"UTF-8\"")
        return r
    }
}
