import Bytes
import Services

/// Who asked what, for the access log.
struct Exchange {
    let peer: Endpoint
    /// The request line's parts, for the access log; nil when no request could be read.
    let method: HTTPMethod?
    let target: [UInt8]
    let version: HTTPVersion
    let user: [UInt8]?
    /// A /factory/health poll: not access-logged unless configured.
    let healthCheck: Bool
    /// Why the request was refused, for the access log and the error callback (nil: it was answered).
    var reason: String? = nil
    /// For the error callback, if the response is one it hears.
    var kind = HTTPErrorEvent.Kind.answer
}

/// One response on its way out: the head, then the body pulled from its source as send space opens.
final class Outgoing {
    enum Source {
        case none
        case bytes([UInt8], next: Int)
        case file(FileSystem, FileID, next: UInt64, remaining: UInt64)
        case stream(BodyProducer, chunked: Bool)
    }

    let status: HTTPStatus
    let closeAfter: Bool
    /// For the access log: who asked what.
    let exchange: Exchange
    var head: [UInt8]?          // until the first body piece is ready (a file may still fail with 500)
    var pending: [UInt8] = []
    var pendingOffset = 0
    var source: Source
    var finished = false        // the source has nothing more
    var blocked = false         // the source said "would block"
    var bodyBytes: UInt64 = 0

    init(status: HTTPStatus, head: [UInt8], source: Source, closeAfter: Bool, exchange: Exchange) {
        self.status = status; self.head = head; self.source = source; self.closeAfter = closeAfter
        self.exchange = exchange
    }
}

/// A request and its normalised path, between parsing and answering, and what answering it found out.
final class Question {
    let request: HTTPRequest
    let path: PathNormalizer.Normalized
    /// Whom the request authenticated as (for the access log).
    var user: [UInt8]?
    /// The loop callback has seen it (and declined, or the request would be answered).
    var looped = false
    /// An app callback threw: the answer is the server's 500.
    var appFailed = false
    init(request: HTTPRequest, path: PathNormalizer.Normalized) { self.request = request; self.path = path }
}

/// The server's state for one connection: unparsed input, the parser, and the response in progress.
/// Requests are handled strictly one at a time, so pipelined responses leave in request order; while a
/// response is streaming no more input is read, which pushes back on the client through TCP's window.
final class ConnectionEngine {
    enum Phase {
        case reading
        /// A request being answered (again, while the file system says "would block"). Boxed: every
        /// `switch` on the phase copies its payload, and a bare request is a dozen references.
        case handling(Question)
        case sending(Outgoing)
        case closed
    }

    let connection: any Connection
    let server: HTTPServer
    var parser: RequestParser
    var phase: Phase = .reading
    /// Bytes read and not yet parsed: `input[inputStart..<inputEnd]`. The array only grows (to the
    /// largest read) and is written over by each read: zero-filling the read's length first, as an
    /// append before each read did, was a share of every small request.
    var input: [UInt8] = []
    var inputStart = 0
    var inputEnd = 0
    var served = 0
    /// The request being read (from its first byte), under its head's or its content's minimum rate.
    var requestDeadline: RateDeadline?
    var idleSince: Instant
    /// The response being sent, under the minimum send rate.
    var sendDeadline: RateDeadline
    /// When the file system or producer last answered "would block".
    var lastBlockedAttempt: Instant?
    /// Bytes of request content this connection holds against the server's body budget.
    var bodyCharge = 0
    /// The request being answered had content that was not read: close once answered, unless the
    /// content is small enough to skip (`maxDiscardedBody`).
    var closeAfterAnswer = false
    /// The previous response's head buffer, for the next head (see `makeHead`).
    var spareHead: [UInt8] = []
    /// Its place in the server's `engines` (nil once forgotten), and whether it is in `blocked`.
    var listIndex: Int?
    var isBlockedListed = false

    init(connection: any Connection, server: HTTPServer, now: Instant) {
        self.connection = connection; self.server = server
        parser = RequestParser(limits: server.configuration.limits, pausesAtHead: true)
        idleSince = now
        sendDeadline = RateDeadline(server.configuration.sendRate, from: now)
    }

    var isClosed: Bool { if case .closed = phase { return true }; return false }

    /// Waiting for the next request with no byte of it read or arrived: closing loses nothing.
    var isIdleBetweenRequests: Bool {
        guard case .reading = phase else { return false }
        return requestDeadline == nil && inputStart >= inputEnd && connection.available == 0
    }

    // MARK: the loop

    /// Makes all the progress possible now: parse, answer, send; then re-arms the connection's timer.
    func run(now: Instant) {
        var steps = 0
        while steps < 1 << 20 {   // a bound, not a budget: each pass either progresses or returns
            steps += 1
            switch phase {
            case .closed:
                return
            case .reading:
                guard let request = nextRequest(now: now) else {
                    if case .sending = phase { continue }   // a refusal to send
                    return armTimer(now: now)
                }
                begin(request, now: now)
            case .handling(let question):
                switch server.respond(to: question, now: now) {
                case .wouldBlock:
                    noteBlocked(now: now)
                    return armTimer(now: now)
                case .response(let response):
                    lastBlockedAttempt = nil
                    releaseBody()   // the handler has had the content
                    start(response, for: question.request, user: question.user, now: now,
                          reason: question.appFailed ? HTTPServer.appFailureReason : nil,
                          kind: question.appFailed ? .app : .answer)
                }
            case .sending(let out):
                if send(out, now: now) {
                    finish(out, now: now)
                } else if case .sending(let current) = phase, current === out {
                    return armTimer(now: now)   // waiting for send space or the source
                }   // else replaced (a 500 for a failed body) or closed: go round again
            }
        }
    }

    /// The connection's alarm fired (or the server retries blocked work): enforce deadlines, retry.
    func wake(now: Instant) {
        switch phase {
        case .reading where requestDeadline != nil:
            if now >= requestDeadline!.deadline {
                if parser.readingBody { server.counters.bodyTimeouts += 1 } else { server.counters.requestTimeouts += 1 }
                requestDeadline = nil
                startError(RequestError(.requestTimeout, "The request did not arrive in time.", reason: "timeout"), now: now)
            }
        case .reading:
            if now >= idleSince + server.configuration.keepAliveTimeout {
                server.counters.idleCloses += 1
                closeOrderly()
                return
            }
        case .sending(let out) where !out.blocked:
            if now >= sendDeadline.deadline {
                server.counters.sendStallAborts += 1
                phase = .closed
                connection.abort()
                server.forget(self)
                return
            }
        default:
            break
        }
        run(now: now)
    }

    /// When this connection next needs attention without any event from the network.
    var deadline: Instant {
        let c = server.configuration
        switch phase {
        case .closed: return .never
        case .reading: return requestDeadline?.deadline ?? idleSince + c.keepAliveTimeout
        case .handling: return (lastBlockedAttempt ?? idleSince) + c.retryInterval
        case .sending(let out): return out.blocked ? (lastBlockedAttempt ?? idleSince) + c.retryInterval
                                                   : sendDeadline.deadline
        }
    }

    /// Sets the connection's alarm to `deadline`, at least a millisecond ahead (a step that finds its
    /// deadline passed acts on it itself; this keeps a retry from spinning within one instant).
    func armTimer(now: Instant) {
        guard !isClosed else { return }
        connection.wake(at: max(deadline, now + .milliseconds(1)))
    }

    func noteBlocked(now: Instant) {
        server.counters.wouldBlockRetries += 1
        lastBlockedAttempt = now   // the next retry is one interval after the latest attempt, so a slow disk is not spun on
        server.noteBlocked(self)
    }

    // MARK: input

    private func nextRequest(now: Instant) -> HTTPRequest? {
        while true {
            if inputStart < inputEnd {
                if requestDeadline == nil { requestDeadline = RateDeadline(server.configuration.requestHeadRate, from: now) }
                // Content that is kept is fed no faster than the body budget has room for, so the
                // budget bounds the bytes held whatever the clients announce.
                // (Content is kept only after `readBody()`, so a consume that did not start in a body
                // adds none: requests without content skip the accounting.)
                let keepingContent = parser.readingBody
                var end = inputEnd
                var held = 0
                if keepingContent {
                    let room = server.bodyBudget.available
                    if room == 0 { refuseForBudget(now: now); return nil }
                    end = min(end, inputStart + room)
                    held = parser.heldBodyBytes
                }
                let (used, result) = input[inputStart..<end].withUnsafeBytes { parser.consume(ByteView($0)) }
                inputStart += used
                requestDeadline?.passed(used, now: now)
                if keepingContent {
                    // A completed request has left the parser: its content is counted from the request.
                    if case .complete(let request) = result { chargeBody(request.body.count - held) }
                    else { chargeBody(parser.heldBodyBytes - held) }
                }
                switch consume result {   // the request moves out of the result, not copied
                case .needMore:
                    if parser.expectsContinue { sendContinue() }
                case .head(var head):
                    head.peer = connection.peer
                    if wantsContent(head) {
                        guard server.bodyBudget.available > 0 else { refuseForBudget(now: now); return nil }
                        parser.readBody()
                        requestDeadline = RateDeadline(server.configuration.requestBodyRate, from: now)
                        if parser.expectsContinue { sendContinue() }
                        continue
                    }
                    // Answered at its head; its content is skipped as it arrives, or the connection
                    // closes after the answer when skipping would cost more than answering again.
                    server.counters.contentDiscarded += 1
                    closeAfterAnswer = !discardKeepsConnection(head)
                    parser.discardBody()
                    requestDeadline = nil
                    return head
                case .complete(var request):
                    requestDeadline = nil
                    request.peer = connection.peer
                    return request
                case .failed(let error):
                    server.counters.parseErrors += 1
                    startError(error, now: now)
                    return nil
                }
                continue
            }
            inputStart = 0
            inputEnd = 0
            let available = connection.available
            if available == 0 {
                if connection.peerFinished {
                    if parser.inProgress { server.counters.incompleteRequests += 1 }
                    closeOrderly()
                }
                return nil
            }
            let n = min(available, server.configuration.readChunk)
            if input.count < n { input.append(contentsOf: repeatElement(0, count: n - input.count)) }
            let got = input.withMutableByteView { connection.receive(into: $0.slice(0, n)!) }
            inputEnd = got
            if got == 0 { return nil }
        }
    }

    /// Whether the content announced by `head` is read: only for a route that takes content, from a
    /// client inside the service domain that passes the route's authorization. Anything else is answered
    /// from the head alone (404, 405, 403, 401...), so no client can make the server hold content that
    /// nothing would use.
    private func wantsContent(_ head: HTTPRequest) -> Bool {
        guard server.configuration.domain.allows(head.peer.address), head.target != [0x2A],
              let path = PathNormalizer.normalize(target: head.target) else { return false }
        guard case .route(let route) = server.router.resolve(head.method, path.requestPath),
              route.acceptsContent else { return false }
        if let auth = route.auth, auth.authenticate(head) == nil { return false }
        return true
    }

    /// Skipping keeps the connection for a known, small length the client sends without waiting for a
    /// 100 (Continue); otherwise the connection closes once the answer is out.
    private func discardKeepsConnection(_ head: HTTPRequest) -> Bool {
        guard case .length(let n)? = parser.pendingFraming else { return false }
        return n <= UInt64(server.configuration.maxDiscardedBody)
            && !(head.version.atLeast11 && head.headers.hasToken("Expect", "100-continue"))
    }

    private func chargeBody(_ bytes: Int) {
        guard bytes > 0 else { return }
        bodyCharge += bytes
        server.bodyBudget.charge(bytes)
    }

    /// Gives the content's bytes back to the budget (after the handler, or when the connection goes).
    func releaseBody() {
        server.bodyBudget.release(bodyCharge)
        bodyCharge = 0
    }

    /// Every connection's content together has filled the budget: 503 with Retry-After, and close.
    private func refuseForBudget(now: Instant) {
        server.counters.bodyBudgetRefusals += 1
        requestDeadline = nil
        startError(RequestError(.serviceUnavailable, "Too many uploads at once; try again shortly."), now: now)
    }

    /// The interim 100 response. Nothing else is being sent while a request is read, so it cannot
    /// interleave with a response; if the send buffer has no room the client just sends after its
    /// own timeout, which is what the RFC expects of it.
    private func sendContinue() {
        parser.continueSent()
        let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
        guard connection.sendSpace >= interim.count else { return }
        _ = interim.withByteView { connection.send($0) }
    }

    // MARK: answering

    private func begin(_ request: consuming HTTPRequest, now: Instant) {
        server.counters.requests += 1
        if served > 0 { server.counters.keepAliveReuses += 1 }
        guard server.configuration.domain.allows(request.peer.address) else {
            server.counters.forbiddenByDomain += 1
            return start(.error(.forbidden, "This server does not answer your network."), for: request,
                         now: now, forceClose: true, reason: "domain")
        }
        if request.method == .connect {   // this is not a proxy; no resource takes CONNECT
            return start(server.methodNotAllowed(server.serverWideAllow), for: request, now: now)
        }
        let asterisk = request.target == [0x2A]   // OPTIONS *: about the server, not a path
        guard let path = asterisk ? PathNormalizer.Normalized(segments: [], trailingSlash: false)
                                  : PathNormalizer.normalize(target: request.target) else {
            return start(.error(.badRequest, "The path is malformed or leaves the document root."),
                         for: request, now: now, forceClose: true)
        }
        request.path = path.requestPath     // the request is ours (consuming): set in place, not copied
        phase = .handling(Question(request: request, path: path))
    }

    /// A parser refusal or timeout: answer and close, since the stream can no longer be framed.
    private func startError(_ error: RequestError, now: Instant) {
        var response = HTTPResponse.error(error.status, error.detail)
        if error.status == .serviceUnavailable { response.headers.add("Retry-After", HTTPServer.retryAfterSeconds) }
        let head = makeHead(for: response, version: .http11, bodyLength: response.body.knownLength,
                               chunked: false, close: true)
        let out = Outgoing(status: error.status, head: head, source: source(of: response.body), closeAfter: true,
                           exchange: Exchange(peer: connection.peer, method: nil, target: [], version: .http11, user: nil,
                                              healthCheck: false, reason: server.wantsReasons ? error.reason : nil, kind: .request))
        phase = .sending(out)
    }

    private func start(_ response: HTTPResponse, for request: HTTPRequest, user: [UInt8]? = nil, now: Instant,
                       forceClose: Bool = false, reason: String? = nil, kind: HTTPErrorEvent.Kind = .answer) {
        served += 1
        var close = forceClose || closeAfterAnswer || !request.wantsPersistence || server.closingConnections
        closeAfterAnswer = false
        if served >= server.configuration.maxRequestsPerConnection {
            if !close { server.counters.requestCapCloses += 1 }
            close = true
        }
        let noBody = request.method == .head || response.status.forbidsContent
        var length = response.body.knownLength
        var chunked = false
        if length == nil && !noBody {
            if request.version.atLeast11 { chunked = true } else { close = true }   // 1.0: ends at close
        }
        if response.status.forbidsContent { length = nil }
        let head = makeHead(for: response, version: request.version, bodyLength: length, chunked: chunked,
                               close: close, keepAliveFor10: !close && !request.version.atLeast11)
        var src = noBody ? Outgoing.Source.none : source(of: response.body)
        if case .stream(let producer, _) = src { src = .stream(producer, chunked: chunked) }
        let out = Outgoing(status: response.status, head: head, source: src, closeAfter: close,
                           exchange: Exchange(peer: request.peer, method: request.method, target: request.target,
                                              version: request.version, user: user,
                                              healthCheck: request.path == HTTPServer.factoryHealth, reason: reason, kind: kind))
        phase = .sending(out)
        sendDeadline = RateDeadline(server.configuration.sendRate, from: now)
    }

    func source(of body: ResponseBody) -> Outgoing.Source {
        switch body {
        case .empty: return .none
        case .bytes(let b): return b.isEmpty ? .none : .bytes(b, next: 0)
        case .file(let fs, let id, let offset, let length):
            return length == 0 ? .none : .file(fs, id, next: offset, remaining: length)
        case .stream(_, let producer): return .stream(producer, chunked: false)
        }
    }

    /// Orderly release. Unread input is discarded first: closing a TCP socket with unread data makes
    /// many stacks send RST, which could destroy the response still in flight.
    func closeOrderly() {
        guard !isClosed else { return }
        phase = .closed
        var scratch = [UInt8](repeating: 0, count: 512)
        var drained = 0
        while connection.available > 0 && drained < 1 << 16 {
            let n = scratch.withMutableByteView { connection.receive(into: $0) }
            if n == 0 { break }
            drained += n
        }
        connection.close()
        server.forget(self)
    }
}
