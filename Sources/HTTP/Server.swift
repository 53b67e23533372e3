import Bytes
import Services

/// The HTTP/1.1 server: one instance serves every connection of its NetworkService. The engine works
/// on explicit time (`now`); `service()` adapts it to the registry's callbacks, which give it theirs.
public final class HTTPServer {
    public var configuration: HTTPConfiguration {
        didSet { bodyBudget.limit = configuration.bodyBudget; lastDate.seconds = .max }   // the Server line may change
    }
    public var counters = HTTPCounters()
    public let router = Router()
    /// The document root; nil serves the welcome page at "/".
    public var fileSystem: FileSystem?
    /// One entry per response (`AccessLogEntry.line` is its Common Log Format line); nil: no access log.
    public var accessLog: ((AccessLogEntry) -> Void)?
    /// Writes a line to the console at error level (an app callback that failed); nil: nowhere.
    public var errorLog: ((String) -> Void)?
    /// The console's most recent lines for /factory/log; nil: no such page.
    public var recentLog: (() -> [UInt8])?
    /// What /factory/health answers.
    public var health: Health = .serving
    public enum Health { case serving, draining }
    /// Sections of /factory/etc and /factory/metrics, in order: a title and a closure producing its
    /// metrics when asked.
    public private(set) var statusProviders: [(title: String, metrics: () -> Metrics)] = []
    /// Extra lines for /factory/help (what the appliance serves, how to configure it).
    public var helpText: [String] = []
    /// The last minutes of the key figures, for the charts on /factory/etc.
    public internal(set) var history = StatusHistory()

    public let wallClock: WallClock
    /// The HTTP object's callbacks (`onInit`, `onLoop`, ...: HTTPCallbacks.swift).
    var callbacks = HTTPCallbacks()
    /// Every open connection's engine. A callback finds its engine through the connection's
    /// `userState`, so no table is looked up per callback, and an engine knows its place here
    /// (`listIndex`), so forgetting it swaps the last one in. No Dictionary keyed by ObjectIdentifier:
    /// its specialised hash-table code cost the image about 2.9 KB.
    var engines: [ConnectionEngine] = []
    /// Connections waiting on the file system or a producer, retried by `poll` (each at most once:
    /// `isBlockedListed`).
    var blocked: [ConnectionEngine] = []
    /// Static files' validator and type fields, made once per file.
    let representations = Representations()
    /// Request content held across connections (sized from `configuration.bodyBudget` at init).
    public internal(set) var bodyBudget: BodyBudget

    public init(configuration: HTTPConfiguration = HTTPConfiguration(), wallClock: WallClock) {
        self.configuration = configuration
        self.wallClock = wallClock
        bodyBudget = BodyBudget(limit: configuration.bodyBudget)
    }

    /// Retry-After (seconds) sent with a 503 for a full body budget.
    static let retryAfterSeconds = "1"

    /// Paths under which every request (routes, built-in pages, files) needs these credentials, in
    /// order; a request under several must pass each.
    public private(set) var protectedPaths: [(path: [UInt8], auth: BasicAuth)] = []

    /// Protects `path` and everything below it ("/factory", "/private/") with Basic auth.
    public func protect(_ path: String, with auth: BasicAuth) { protectedPaths.append((Array(path.utf8), auth)) }

    public func addStatusProvider(_ title: String, _ metrics: @escaping () -> Metrics) {
        statusProviders.append((title, metrics))
    }

    // MARK: events (time explicit)

    public func accept(_ connection: any Connection, now: Instant) -> ServiceDecision {
        counters.connectionsAccepted += 1
        counters.connectionsOpen += 1
        let engine = ConnectionEngine(connection: connection, server: self, now: now)
        engine.listIndex = engines.count
        engines.append(engine)
        connection.userState = engine
        // Every deadline of a connection (keep-alive idle, the minimum rates, a retry) is its alarm,
        // which the engine sets after each step; the registry's idle timeout would only duplicate it.
        connection.receiveTimeout = nil
        engine.armTimer(now: now)
        return .waitForData
    }

    public func receive(_ connection: any Connection, now: Instant) -> ServiceDecision {
        guard let engine = Self.engine(connection) else { return .done }
        engine.run(now: now)
        return engine.isClosed ? .done : .waitForData
    }

    public func sendSpace(_ connection: any Connection, now: Instant) {
        Self.engine(connection)?.run(now: now)
    }

    /// The connection's alarm: one of its deadlines (or a retry) is due.
    public func wake(_ connection: any Connection, now: Instant) {
        Self.engine(connection)?.wake(now: now)
    }

    public func closed(_ connection: any Connection) {
        if let engine = Self.engine(connection) { forget(engine) }
    }

    /// Retries the connections waiting on the disk or a producer (each also has its alarm set for its
    /// next retry); call after the disk completes a read. Deadlines are not kept here: each connection's
    /// are its alarm (`wake`), so this looks at no other connection.
    /// Runs on every pass of the main loop, so the list is only copied when something is waiting
    /// (copied because a retry may close the engine and remove it).
    public func poll(now: Instant) {
        guard !blocked.isEmpty else { return }
        let waiting = blocked
        blocked = []
        for engine in waiting { engine.isBlockedListed = false }
        for engine in waiting { engine.wake(now: now) }
    }

    /// The registry's view. Each callback takes its time from what it is given (the connection's or the
    /// context's `now`, the registry poll's), so serving a request reads no clock.
    public func service() -> NetworkService {
        NetworkService(
            name: "http",
            doInit: { [self] context in
                serviceContext = context
                _ = context.listen(port: configuration.port, backlog: configuration.backlog)
                if let every = callbacks.beatInterval { context.beat(every: every) }
                callbacks.initialize?(context.now)
            },
            doAccept: { [self] in accept($0, now: $0.now) },
            doReceive: { [self] in receive($0, now: $0.now) },
            doSendSpace: { [self] in sendSpace($0, now: $0.now) },
            doWake: { [self] in wake($0, now: $0.now) },
            doClose: { [self] in closed($0) },
            doBeat: { [self] in if let context = serviceContext { callbacks.beat?(context.now) } },
            doExit: { [self] in if let context = serviceContext { callbacks.exit?(context.now) } })
    }

    /// The registry's context, kept from `doInit` for the callbacks that get no connection (beat, exit).
    private var serviceContext: (any ServiceContext)?

    /// A stopping appliance's last call before it waits for requests in flight: from now on every
    /// response closes its connection, and the keep-alive connections idle between requests are
    /// closed at once (counted as `http.shutdown_idle_closes`), so only requests in flight hold the stop.
    /// Returns how many were closed.
    @discardableResult
    public func closeIdleConnections() -> Int {
        closingConnections = true
        var closed = 0
        for engine in engines where engine.isIdleBetweenRequests {   // a copy: closing one forgets it
            engine.closeOrderly()
            closed += 1
        }
        counters.shutdownIdleCloses += UInt64(closed)
        return closed
    }

    /// Refusals' reasons are made only for someone who reads them.
    var wantsReasons: Bool { accessLog != nil || callbacks.error != nil }

    /// Set by `closeIdleConnections`: no connection is kept alive after its response.
    public private(set) var closingConnections = false

    /// The engine closed or aborted its connection: drop its state now rather than wait for doClose,
    /// so a registry that forgets a connection after `.done` leaks nothing.
    func forget(_ engine: ConnectionEngine) {
        engine.releaseBody()
        if let index = engine.listIndex {
            let last = engines.removeLast()
            if last !== engine { engines[index] = last; last.listIndex = index }
            engine.listIndex = nil
            engine.connection.userState = nil
            counters.connectionsOpen -= 1
        }
        if engine.isBlockedListed, let index = blocked.firstIndex(where: { $0 === engine }) {
            blocked.remove(at: index)
            engine.isBlockedListed = false
        }
    }

    /// The engine `accept` made for `connection`; nil once it is forgotten.
    static func engine(_ connection: any Connection) -> ConnectionEngine? { connection.userState as? ConnectionEngine }

    func noteBlocked(_ engine: ConnectionEngine) {
        guard !engine.isBlockedListed else { return }
        engine.isBlockedListed = true
        blocked.append(engine)
    }

    // MARK: dispatch

    /// Protected paths' credentials, then the loop callback, then routes (with their credentials), then
    /// the built-in pages, then the document root (or the welcome page). The loop and the handler see
    /// the authenticated user in `request.user`; the question keeps it for the access log.
    func respond(to question: Question, now: Instant) -> Outcome {
        if question.request.target == [0x2A] {   // OPTIONS *
            return .response(options(allow: serverWideAllow))
        }
        var user: [UInt8]?
        for area in protectedPaths where Route.matches(question.request.path, area.path, .prefix) {
            guard let who = area.auth.authenticate(question.request) else { counters.authFailures += 1; return .response(area.auth.challenge) }
            user = who
        }
        guard let user else { return answer(question.request, question, now: now) }
        question.user = user
        return answer(question.request.with(user: user), question, now: now)
    }

    /// `respond`'s rest, for the request as the loop and handlers see it. The question's request itself
    /// unless a user was authenticated: a copy of the request (every array in it retained, and released
    /// again) was a visible share of a keep-alive request's instructions.
    private func answer(_ request: HTTPRequest, _ question: Question, now: Instant) -> Outcome {
        let path = question.path
        do throws(AppError) {   // one catch for the loop and the handlers: an app callback that threw
            // Once per request: a retry after the disk said "would block" comes back here.
            if let loop = callbacks.loop, !question.looped {
                question.looped = true
                if let answer = try loop(request) { return .response(answer) }
            }
            switch router.resolve(request.method, request.path) {
            case .route(let route):
                if let auth = route.auth {
                    guard let who = auth.authenticate(request) else {
                        counters.authFailures += 1
                        return .response(auth.challenge)
                    }
                    question.user = who
                    return .response(try route.handler(request.with(user: who)))
                }
                return .response(try route.handler(request))
            case .methodNotAllowed(let allow):
                return .response(request.method == .options ? options(allow: allow) : methodNotAllowed(allow))
            case .none:
                break
            }
        } catch {
            return .response(failed(error, question))
        }
        if configuration.factoryPages, let page = factoryPage(request, now: now) {
            switch request.method {
            case .get, .head: return .response(page())
            case .options: return .response(options(allow: StaticFiles.allowed))
            default: return .response(methodNotAllowed(StaticFiles.allowed))
            }
        }
        if request.method == .options { return .response(options(allow: StaticFiles.allowed)) }
        if let fs = fileSystem {
            if !configuration.serveDotFiles && StaticFiles.isHidden(path) {
                counters.dotFilesRefused += 1
                return .response(.error(.notFound, "No such file."))
            }
            return StaticFiles(fileSystem: fs, now: wallClock.unixSeconds(), representations: representations)
                .respond(to: request, at: path)
        }
        guard request.method == .get || request.method == .head else {
            return .response(methodNotAllowed(StaticFiles.allowed))
        }
        if request.path == [ASCII.slash] { return .response(welcomePage()) }
        return .response(.error(.notFound, "Nothing is served at this path."))
    }

    private func options(allow: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: HTTPHeaders([("Allow", allow)]))
    }

    /// Every method some resource here accepts (for `OPTIONS *` and CONNECT's 405).
    var serverWideAllow: String { Router.allowList([.get] + router.routes.map { $0.method }) }

    func methodNotAllowed(_ allow: String) -> HTTPResponse {
        var r = HTTPResponse.error(.methodNotAllowed, "Allowed here: \(allow).")
        r.headers.add("Allow", allow)
        return r
    }

    // MARK: response head

    /// Status line, Date, Server, the handler's fields, framing and persistence fields. Built as bytes
    /// (the Date line made once a second): this runs for every response, and String building here was a
    /// visible share of a keep-alive request.
    /// The response head, written into `h` (emptied first, its capacity kept: the connection hands back
    /// the buffer of its previous head, so a keep-alive connection allocates no head after its first).
    func head(into h: inout [UInt8], for response: HTTPResponse, version: HTTPVersion, bodyLength: UInt64?,
              chunked: Bool, close: Bool, keepAliveFor10: Bool = false) {
        h.removeAll(keepingCapacity: true)
        h.reserveCapacity(512)   // a static file's head is ~300 bytes: one allocation, no regrowth
        h += HTTPServer.statusLinePrefix
        ASCII.appendDecimal(UInt64(response.status.code), to: &h)
        h.append(ASCII.sp); h += response.status.reason.utf8; h += HTTPServer.crlf
        h += dateLine(wallClock.unixSeconds())
        if let prepared = response.preparedFields { h += prepared } else { HTTPServer.writeFields(response.headers, into: &h) }
        if chunked {
            h += "Transfer-Encoding: chunked\r\n".utf8
        } else if let length = bodyLength, response.status.code != 204, response.status.code >= 200 {
            h += HTTPServer.contentLengthName
            ASCII.appendDecimal(length, to: &h)
            h += HTTPServer.crlf
        }
        if close { h += "Connection: close\r\n".utf8 } else if keepAliveFor10 { h += "Connection: keep-alive\r\n".utf8 }
        h += HTTPServer.crlf
    }

    /// Constant pieces as bytes, made once: appending a String's UTF-8 or an array literal cost a
    /// conversion or an allocation in every response.
    private static let statusLinePrefix = Array("HTTP/1.1 ".utf8)
    private static let crlf: [UInt8] = [ASCII.cr, ASCII.lf]
    private static let contentLengthName = Array("Content-Length: ".utf8)

    /// `writeFields`' bytes on their own: what `Representation` keeps for a file's responses.
    static func fieldBytes(_ headers: HTTPHeaders) -> [UInt8] {
        var bytes: [UInt8] = []
        writeFields(headers, into: &bytes)
        return bytes
    }

    /// A handler's fields as the head carries them: managed ones dropped (the server owns framing),
    /// `X-Content-Type-Options: nosniff` after them when they name a type. A file's fields are written
    /// once per file (`Representation`) and go in as one piece (`HTTPResponse.preparedFields`): field by
    /// field, this was about a tenth of a keep-alive request for a static file.
    static func writeFields(_ headers: HTTPHeaders, into h: inout [UInt8]) {
        var typed = false
        for f in headers.fields {
            if HTTPServer.isManaged(f.name) { continue }
            if !typed && ASCII.equalsIgnoringCase(f.name, "Content-Type") { typed = true }
            h += f.name; h += [ASCII.colon, ASCII.sp]; h += f.value; h += HTTPServer.crlf
        }
        if typed { h += "X-Content-Type-Options: nosniff\r\n".utf8 }
    }

    /// The Date and Server lines, made anew only when the second (or the configuration) changes:
    /// the server's name was copied out of its String for every response.
    private var lastDate: (seconds: UInt64, line: [UInt8]) = (UInt64.max, [])

    private func dateLine(_ seconds: UInt64) -> [UInt8] {
        if lastDate.seconds != seconds {
            var line = Array("Date: ".utf8)
            line += HTTPDate.format(seconds).utf8
            line += "\r\nServer: ".utf8
            line += configuration.serverName.utf8
            line += HTTPServer.crlf
            lastDate = (seconds, line)
        }
        return lastDate.line
    }

    /// Fields the server owns; a handler's copies are dropped so framing is never contradicted.
    static let managedFields = ["Content-Length", "Transfer-Encoding", "Connection", "Date", "Server",
                                "Keep-Alive", "X-Content-Type-Options"]

    /// Bit n set when a managed name is n bytes long.
    private static let managedLengths: UInt32 = managedFields.reduce(0) { $0 | 1 << UInt32($1.utf8.count) }

    /// Lengths first, from one mask: the fields a response usually carries (Content-Type, ETag,
    /// Last-Modified, ...) mostly have lengths no managed name has, and comparing each against every
    /// managed name was a twentieth of a keep-alive request.
    static func isManaged(_ name: [UInt8]) -> Bool {
        name.count < 32 && managedLengths & 1 << UInt32(name.count) != 0
            && managedFields.contains { ASCII.equalsIgnoringCase(name, $0) }
    }

    // MARK: access log

    /// Counts the response and hands its access-log entry on, unformatted: whoever keeps it decides
    /// when to make the line.
    func log(_ out: Outgoing, truncated: Bool) {
        counters.byStatus.count(out.status.code)
        reportError(out, truncated: truncated)
        let e = out.exchange
        guard let accessLog, !(e.healthCheck && !configuration.logHealthChecks) else { return }
        accessLog(AccessLogEntry(peer: e.peer.address, user: e.user, unixSeconds: wallClock.unixSeconds(),
                                 method: e.method, target: e.target, version: e.version, status: out.status.code,
                                 bodyBytes: out.bodyBytes, truncated: truncated, reason: e.reason))
    }
}
