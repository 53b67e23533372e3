/// A dynamic handler: the request in, the response out (WSGI's shape, without the environ dictionary).
/// One that cannot answer throws `AppError`: the client gets a 500, and the failure is counted and logged.
public typealias Handler = (HTTPRequest) throws(AppError) -> HTTPResponse

/// One entry of the route table.
public struct Route {
    public enum Match {
        /// The path must be exactly this.
        case exact
        /// The path is this or lies below it ("/api" matches "/api", "/api/x", not "/apix").
        case prefix
    }

    public var method: HTTPMethod
    public var path: [UInt8]
    public var match: Match
    /// When set, only these credentials may call the route (RFC 7617 Basic).
    public var auth: BasicAuth?
    /// Whether request content is read for this route (up to `HTTPLimits.maxBodyBytes`, within the
    /// server's body budget). Other requests are answered at their head and their content skipped.
    public var acceptsContent: Bool
    public var handler: Handler

    func matches(_ requestPath: [UInt8]) -> Bool { Route.matches(requestPath, path, match) }

    static func matches(_ requestPath: [UInt8], _ path: [UInt8], _ match: Match) -> Bool {
        switch match {
        case .exact:
            return requestPath == path
        case .prefix:
            guard requestPath.starts(with: path) else { return false }
            return requestPath.count == path.count || path.last == ASCII.slash || requestPath[path.count] == ASCII.slash
        }
    }
}

/// Routes are checked in registration order, before the built-in pages and the static files. HEAD is
/// served by a GET route (the server drops the body); a path with routes but none for the method gets
/// 405 with Allow.
public final class Router {
    public private(set) var routes: [Route] = []

    public init() {}

    /// `acceptsContent` defaults to whether the method carries content (POST, PUT, PATCH).
    public func add(_ method: HTTPMethod, _ path: String, match: Route.Match = .exact, auth: BasicAuth? = nil,
                    acceptsContent: Bool? = nil, _ handler: @escaping Handler) {
        routes.append(Route(method: method, path: Array(path.utf8), match: match, auth: auth,
                            acceptsContent: acceptsContent ?? method.carriesContent, handler: handler))
    }

    enum Resolution {
        case none
        case route(Route)
        /// The path is routed, but not for this method: these methods are.
        case methodNotAllowed(allow: String)
    }

    func resolve(_ method: HTTPMethod, _ path: [UInt8]) -> Resolution {
        var methods: [HTTPMethod] = []
        for r in routes where r.matches(path) {
            if r.method == method || (method == .head && r.method == .get) { return .route(r) }
            if !methods.contains(r.method) { methods.append(r.method) }
        }
        if methods.isEmpty { return .none }
        return .methodNotAllowed(allow: Router.allowList(methods))
    }

    static func allowList(_ methods: [HTTPMethod]) -> String {
        var all = methods
        if all.contains(.get) && !all.contains(.head) { all.append(.head) }
        if !all.contains(.options) { all.append(.options) }
        var text = ""
        for m in HTTPMethod.all where all.contains(m) { text += text.isEmpty ? m.name : ", " + m.name }
        return text
    }
}
