import Bytes

/// What an app's handler or loop callback throws when it cannot answer (a broken invariant, a resource
/// it needs is gone): the client gets a 500, the failure is counted (`http.app_failures`) and logged at
/// error level with `reason`, the error callback hears it, and the connection stays usable. A request
/// the client got wrong is not a failure: answer it with its 4xx instead.
public struct AppError: Error {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// The loop callback: the request in, a response out, or nil to decline it.
public typealias LoopCallback = (HTTPRequest) throws(AppError) -> HTTPResponse?

/// What the error callback hears: an answer of 400 or more, or a response cut short.
public struct HTTPErrorEvent {
    public enum Kind {
        /// Refused before a whole request was read (a parse error, a timeout, a full content budget):
        /// there is no target.
        case request
        /// A 4xx or 5xx answer to a request (a missing file, a refused login, a handler's own 404...).
        case answer
        /// The response's content failed: a file read (500 if nothing was sent yet, else the response
        /// was cut short and the connection closed) or a stream producer.
        case content
        /// An app callback threw `AppError`: answered 500.
        case app
    }
    public var kind: Kind
    public var status: HTTPStatus
    /// One token: the access log's (`timeout`, `domain`, `app-failure`, `truncated`...), else the
    /// status's reason phrase.
    public var reason: String
    /// The request target as the client sent it; nil for `.request`.
    public var target: [UInt8]?
}

/// The HTTP object's callbacks, after the Daylight toolkit's `_init_cb`, `_loop_cb`, `_beat_cb`,
/// `_error_cb` and `_exit_cb`. Time is passed in; none of them may block.
struct HTTPCallbacks {
    var initialize: ((Instant) -> Void)?
    var loop: LoopCallback?
    var beat: ((Instant) -> Void)?
    var beatInterval: Interval?
    var error: ((HTTPErrorEvent) -> Void)?
    var exit: ((Instant) -> Void)?
}

/// Set them in the app's install closure (each replaces the one set before); they run only while the
/// HTTP server is the app's (`serveHTTP`).
extension HTTPServer {
    /// Once, when the server starts: its port is open, nothing has been served yet.
    public func onInit(_ callback: @escaping (Instant) -> Void) { callbacks.initialize = callback }

    /// Every request, first (after `protect`'s credentials, so `request.user` is set): answer it, or
    /// decline with nil and the routes, then the built-in pages, then the files answer it. So a loop may
    /// override, deny (403, 404) or, per request, hand back a /factory page. Content is read only for a
    /// route that accepts it; the loop sees that request's body too.
    public func onLoop(_ callback: @escaping LoopCallback) { callbacks.loop = callback }

    /// Every `interval` from now on (the registry's heartbeat: no thread, no drift).
    public func onBeat(every interval: Interval, _ callback: @escaping (Instant) -> Void) {
        callbacks.beatInterval = interval
        callbacks.beat = callback
    }

    /// Each answer of 400 or more and each response cut short, once its last byte is handed to the
    /// connection (see `HTTPErrorEvent`).
    public func onError(_ callback: @escaping (HTTPErrorEvent) -> Void) { callbacks.error = callback }

    /// Once, at a clean shutdown, after the connections in flight finished (or the grace period ended).
    public func onExit(_ callback: @escaping (Instant) -> Void) { callbacks.exit = callback }

    /// The access log's reason for a failed app callback.
    static let appFailureReason = "app-failure"

    /// An app callback threw: count and log it, answer 500.
    func failed(_ error: AppError, _ question: Question) -> HTTPResponse {
        counters.appFailures += 1
        question.appFailed = true
        // Joined from parts, not interpolated: each interpolated or appended part inlines a string append.
        errorLog?(["http: the app failed on ", question.request.method.name, " ",
                   String(decoding: question.request.target.prefix(AccessLogEntry.maximumTarget), as: UTF8.self),
                   ": ", error.reason, "; answered 500"].joined(separator: ""))
        return .error(.internalServerError)
    }

    /// Tells the error callback about a finished response, if it is one it hears.
    func reportError(_ out: Outgoing, truncated: Bool) {
        guard let heard = callbacks.error, truncated || out.status.code >= 400 else { return }
        let e = out.exchange
        heard(HTTPErrorEvent(kind: truncated ? .content : e.kind, status: out.status,
                             reason: truncated ? "truncated" : e.reason ?? out.status.reason,
                             target: e.method == nil ? nil : e.target))
    }
}
