import Bytes

/// A parsed request, as handlers see it (the WSGI "environ" of this server).
public struct HTTPRequest {
    public var method: HTTPMethod
    /// The request-target exactly as received.
    public var target: [UInt8]
    /// The decoded, normalised path ("/docs/a b.txt"); filled in by the server before routing.
    public var path: [UInt8]
    /// The query, still percent-encoded, without the "?" (empty when absent).
    public var query: [UInt8]
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// Fields sent after a chunked body (kept apart: they never override the header section).
    public var trailers: HTTPHeaders
    public var body: [UInt8]
    /// The client's address and port.
    public var peer: Endpoint
    /// The user name the request authenticated as (Basic auth of its route or protected path), or nil.
    public var user: [UInt8]?

    public init(method: HTTPMethod, target: [UInt8], version: HTTPVersion = .http11,
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                peer: Endpoint = Endpoint(.any, 0)) {
        self.method = method; self.target = target; self.version = version; self.headers = headers
        self.trailers = HTTPHeaders(); self.body = body; self.peer = peer
        path = []; query = []
        if let q = target.firstIndex(of: ASCII.question) { query = Array(target[(q + 1)...]) }
    }

    public var pathText: String { String(decoding: path, as: UTF8.self) }
    public var queryText: String { String(decoding: query, as: UTF8.self) }

    /// This request as an authenticated `user` made it.
    func with(user: [UInt8]) -> HTTPRequest {
        var copy = self
        copy.user = user
        return copy
    }

    /// Whether the client lets the connection persist after this exchange (RFC 9112 §9.3).
    var wantsPersistence: Bool {
        if headers.hasToken("Connection", "close") { return false }
        return version.atLeast11 || headers.hasToken("Connection", "keep-alive")
    }
}
