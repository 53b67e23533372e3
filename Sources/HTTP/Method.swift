/// The request methods this server recognises (RFC 9110 §9 and PATCH from RFC 5789). Any other method
/// is answered 501 by the parser; a recognised method a resource does not support gets 405 + Allow.
public enum HTTPMethod: Hashable {
    case get, head, post, put, delete, connect, options, trace, patch

    static let all: [HTTPMethod] = [.get, .head, .post, .put, .delete, .connect, .options, .trace, .patch]

    /// The method token as sent on the wire (methods are case-sensitive: "get" is not GET).
    public var name: String {
        switch self {
        case .get: return "GET"
        case .head: return "HEAD"
        case .post: return "POST"
        case .put: return "PUT"
        case .delete: return "DELETE"
        case .connect: return "CONNECT"
        case .options: return "OPTIONS"
        case .trace: return "TRACE"
        case .patch: return "PATCH"
        }
    }

    /// Methods whose requests are defined to carry content: a route for one reads it by default.
    public var carriesContent: Bool { self == .post || self == .put || self == .patch }

    init?<C: Collection>(token: C) where C.Element == UInt8 {
        for m in HTTPMethod.all where token.count == m.name.utf8.count && token.elementsEqual(m.name.utf8) {
            self = m; return
        }
        return nil
    }
}

/// HTTP-version: only major version 1 is served; 1.0 and 1.1 differ in persistence and framing.
public struct HTTPVersion: Hashable {
    public let major: UInt8
    public let minor: UInt8

    public init(major: UInt8, minor: UInt8) { self.major = major; self.minor = minor }

    public static let http10 = HTTPVersion(major: 1, minor: 0)
    public static let http11 = HTTPVersion(major: 1, minor: 1)

    /// 1.1 or any later 1.x: persistent by default, chunked allowed.
    public var atLeast11: Bool { major > 1 || (major == 1 && minor >= 1) }

    public var text: String { "HTTP/\(major).\(minor)" }
}
