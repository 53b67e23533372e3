extension HTTPRequest {
    /// Cookies the client sent (RFC 6265 §5.4): "name=value" pairs from every Cookie field, in order.
    public var cookies: FormFields {
        var out = FormFields()
        for line in headers.values("Cookie") {
            for piece in line.split(separator: ASCII.semicolon) {
                let pair = ASCII.trimmed(piece)
                guard let eq = pair.firstIndex(of: ASCII.equals), eq > pair.startIndex else { continue }
                var value = pair[(eq + 1)...]
                if value.count >= 2, value.first == ASCII.quote, value.last == ASCII.quote {
                    value = value.dropFirst().dropLast()
                }
                out.pairs.append((Array(pair[..<eq]), Array(value)))
            }
        }
        return out
    }
}

/// A cookie to set (RFC 6265 §4.1).
public struct SetCookie {
    public enum SameSite: String { case strict = "Strict", lax = "Lax", none = "None" }

    public var name: String
    public var value: String
    public var path: String? = "/"
    public var maxAge: Int64?
    public var httpOnly = true
    public var secure = false
    public var sameSite: SameSite? = .lax

    public init(name: String, value: String) { self.name = name; self.value = value }

    /// The Set-Cookie field value; nil when the name is not a token or the value holds bytes a
    /// cookie may not carry (so a handler cannot be tricked into injecting attributes).
    public var fieldValue: String? {
        guard !name.isEmpty, name.utf8.allSatisfy(ASCII.isTokenChar),
              value.utf8.allSatisfy(SetCookie.isCookieOctet),
              path?.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != ASCII.semicolon }) ?? true else { return nil }
        var text = "\(name)=\(value)"
        if let path { text += "; Path=\(path)" }
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        if secure { text += "; Secure" }
        if httpOnly { text += "; HttpOnly" }
        if let sameSite { text += "; SameSite=\(sameSite.rawValue)" }
        return text
    }

    /// cookie-octet: visible ASCII except DQUOTE, comma, semicolon and backslash.
    static func isCookieOctet(_ b: UInt8) -> Bool {
        b > 0x20 && b < 0x7F && b != ASCII.quote && b != ASCII.comma && b != ASCII.semicolon && b != 0x5C
    }
}

extension HTTPResponse {
    /// Adds a Set-Cookie field; false (and nothing added) when the cookie is invalid.
    @discardableResult
    public mutating func setCookie(_ cookie: SetCookie) -> Bool {
        guard let value = cookie.fieldValue else { return false }
        headers.add("Set-Cookie", value)
        return true
    }
}
