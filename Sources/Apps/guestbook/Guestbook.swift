import Bytes
import HTTP
import Seal

/// A dynamic app: visitors sign a guestbook, the newest entries come first, a returning visitor is
/// greeted by the name kept in a sealed session cookie, and an admin (`app.admin=USER:PASSWORD`,
/// Basic auth) deletes entries. Everything lives in memory: a reboot empties the book.
/// It uses the HTTP object's callbacks: the loop holds signatures to a budget per minute, the beat
/// renews the budget, the error callback counts what went wrong, the exit callback says what is lost.
public let application = Application(name: "guestbook") { app in
    Guestbook(app).install(app)
}

public final class Guestbook {
    /// The book keeps this many entries; signing a full book drops the oldest (counted).
    public static let maxEntries = 100
    public static let maxNameBytes = 64
    public static let maxMessageBytes = 1000
    /// A sign form larger than this is refused (413) before it is parsed.
    public static let maxFormBytes = 4096
    /// Fields a sign or delete form may carry (name, message, id, a submit button's).
    static let formLimits: FormLimits = { var l = FormLimits(); l.maxFields = 8; return l }()
    public static let sessionCookie = "visitor"
    /// How long the cookie (and the seal's expiry inside it) lasts.
    public static let sessionSeconds: Int64 = 30 * 24 * 3600
    /// Signatures taken per minute from all visitors together; more are answered 429 until the next
    /// beat. So a flood pushes real entries out of the book no faster than this (100 entries last at
    /// least 3 minutes of it), whatever addresses it comes from. The price: a flood also keeps honest
    /// visitors from signing until the next beat (a budget per address would need a bounded table).
    public static let maxSignsPerMinute = 30
    public static let minute = Interval.seconds(60)
    /// How long the token in the admin's delete forms stays good.
    public static let formTokenSeconds: Int64 = 3600
    /// What the admin's form tokens are sealed for (the AEAD's additional data): no session cookie,
    /// sealed under the same key, passes as a token.
    static let formTokenPurpose = Array("guestbook admin form".utf8)
    static let signPath = Array("/sign".utf8)
    static let tooManyRequests = HTTPStatus(429, "Too Many Requests")

    public struct Entry {
        public var id: UInt64
        public var name: [UInt8]
        public var message: [UInt8]
    }

    public struct Counters {
        public var signed: UInt64 = 0
        public var evicted: UInt64 = 0
        public var deleted: UInt64 = 0
        public var refusedMalformed: UInt64 = 0
        public var refusedOversized: UInt64 = 0
        /// Signs over the minute's budget (429).
        public var refusedBusy: UInt64 = 0
        /// Deletes without a good form token (403).
        public var refusedForged: UInt64 = 0
        public var welcomes: UInt64 = 0
        /// What the error callback heard: 4xx and 5xx answers (and responses cut short).
        public var clientErrors: UInt64 = 0
        public var serverErrors: UInt64 = 0
    }

    /// Oldest first (the page shows them reversed).
    public private(set) var entries: [Entry] = []
    public private(set) var counters = Counters()
    private var nextID: UInt64 = 1
    private var signsThisMinute = 0
    private let cookies: SealedCookies
    private let log: (String) -> Void

    public init(_ app: AppContext) {
        cookies = SealedCookies(app)
        log = app.log
    }

    /// Adds the callbacks and the routes; they keep the book alive (it lives as long as the appliance).
    func install(_ app: AppContext) {
        let http = app.http
        http.onLoop { self.loop($0) }
        http.onBeat(every: Guestbook.minute) { _ in self.signsThisMinute = 0 }
        http.onError { self.heard($0) }
        http.onExit { _ in self.log("closing: entries lost with the book, which lives in memory: \(self.entries.count)") }
        let router = http.router
        router.add(.get, "/") { self.front($0) }
        router.add(.post, "/sign") { self.sign($0) }
        if let credentials = app.option("admin"), let admin = BasicAuth(realm: "guestbook admin", userColonPassword: credentials) {
            router.add(.get, "/admin", auth: admin) { self.adminPage($0) }
            router.add(.post, "/admin/delete", auth: admin) { self.delete($0) }
        } else {
            app.log("no admin page: app.admin=USER:PASSWORD turns it on")
        }
        app.http.addStatusProvider("guestbook") { self.metrics }
    }

    // MARK: the HTTP object's callbacks

    /// Sees every request before the routes: a signature over this minute's budget is answered 429
    /// here, before its form is parsed; everything else is declined, so the routes, the built-in pages
    /// and the files answer it.
    func loop(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == .post, request.path == Guestbook.signPath,
              signsThisMinute >= Guestbook.maxSignsPerMinute else { return nil }
        counters.refusedBusy += 1
        var response = HTTPResponse.error(Guestbook.tooManyRequests, "The book takes \(Guestbook.maxSignsPerMinute) signatures a minute; try again in a minute.")
        response.headers.add("Retry-After", "60")
        return response
    }

    /// Counts every error answer; a server error is also logged, with the request it answered.
    func heard(_ event: HTTPErrorEvent) {
        guard event.status.code >= 500 else { counters.clientErrors += 1; return }
        counters.serverErrors += 1
        log("\(event.status.code) (\(event.reason)) for \(String(decoding: event.target ?? [], as: UTF8.self))")
    }

    // MARK: handlers

    func front(_ request: HTTPRequest) -> HTTPResponse {
        let visitor = cookies.value(Guestbook.sessionCookie, in: request)
        if visitor != nil { counters.welcomes += 1 }
        return GuestbookPage.front(entries: entries, visitor: visitor)
    }

    func sign(_ request: HTTPRequest) -> HTTPResponse {
        guard request.body.count <= Guestbook.maxFormBytes else { return refuse(.contentTooLarge, "The form is too large.") }
        let form: FormFields
        do { form = try request.formFields(limits: Guestbook.formLimits) } catch { return refuse(.badRequest, "Expected a form with name and message.") }
        guard let name = form.values("name").first.map(Guestbook.trimmed), let message = form.values("message").first.map(Guestbook.trimmed),
              !name.isEmpty, !message.isEmpty else {
            return refuse(.badRequest, "Both a name and a message are needed.")
        }
        guard name.count <= Guestbook.maxNameBytes, message.count <= Guestbook.maxMessageBytes else {
            return refuse(.contentTooLarge, "At most \(Guestbook.maxNameBytes) bytes of name and \(Guestbook.maxMessageBytes) of message.")
        }
        if entries.count == Guestbook.maxEntries { entries.removeFirst(); counters.evicted += 1 }
        entries.append(Entry(id: nextID, name: name, message: message))
        nextID += 1
        counters.signed += 1
        signsThisMinute += 1
        var response = Guestbook.redirect("/")
        response.setCookie(cookies.cookie(Guestbook.sessionCookie, value: name, maxAge: Guestbook.sessionSeconds))
        return response
    }

    /// Every delete form carries a token: the admin's name sealed for `formTokenPurpose` with an expiry.
    func adminPage(_ request: HTTPRequest) -> HTTPResponse {
        let token = cookies.seal(request.user ?? [], for: Guestbook.formTokenPurpose, maxAge: Guestbook.formTokenSeconds)
        return GuestbookPage.admin(entries: entries, token: String(decoding: token, as: UTF8.self))
    }

    /// A delete needs the form token of the admin page (CSRF). The admin logs in with Basic auth, and a
    /// browser attaches those credentials to any request for this site, a form posted from another
    /// site included: without a token, any page the admin visits could delete entries. SameSite does
    /// not help (it governs cookies, not Basic credentials), and an Origin check needs the appliance to
    /// know its public origin (port forwards, names) and fails open for clients that send none. A token
    /// sealed (ChaCha20-Poly1305) under the cookie key, for this purpose, bound to the admin's name and
    /// expiring, cannot be made without the key, and another site cannot read it out of /admin (the
    /// same-origin policy; the page is not cached and may not be framed). So a delete without it is 403.
    func delete(_ request: HTTPRequest) -> HTTPResponse {
        guard request.body.count <= Guestbook.maxFormBytes,
              let form = try? request.formFields(limits: Guestbook.formLimits) else { return refuse(.badRequest, "Expected a form with the entry's id.") }
        guard let token = form.values("token").first,
              cookies.open(token, for: Guestbook.formTokenPurpose) == .value(request.user ?? []) else {
            counters.refusedForged += 1
            return .error(.forbidden, "This form is stale or did not come from the admin page: reload /admin.")
        }
        guard let text = form["id"], let id = UInt64(text) else { return refuse(.badRequest, "Expected a form with the entry's id.") }
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return .error(.notFound, "No such entry.") }
        entries.remove(at: index)
        counters.deleted += 1
        return Guestbook.redirect("/admin")
    }

    private func refuse(_ status: HTTPStatus, _ why: String) -> HTTPResponse {
        if status.code == HTTPStatus.contentTooLarge.code { counters.refusedOversized += 1 } else { counters.refusedMalformed += 1 }
        return .error(status, why)
    }

    /// 303: the browser follows with a GET, so reloading the page does not sign twice.
    static func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: .seeOther, headers: HTTPHeaders([("Location", location)]))
    }

    /// Without leading and trailing spaces, tabs and line breaks.
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        return Array(bytes.drop(while: blank).reversed().drop(while: blank).reversed())
    }

    public var metrics: Metrics {
        var m = Metrics()
        m.gauge("guestbook.entries", UInt64(entries.count), help: "Entries in the guestbook")
        m.counter("guestbook.signed", counters.signed)
        m.counter("guestbook.evicted", counters.evicted, help: "Oldest entries dropped because the book was full")
        m.counter("guestbook.deleted", counters.deleted)
        m.counter("guestbook.refused", counters.refusedMalformed, help: "Sign or delete forms refused, by reason", label: ("reason", "malformed"))
        m.counter("guestbook.refused", counters.refusedOversized, label: ("reason", "oversized"))
        m.counter("guestbook.refused", counters.refusedBusy, label: ("reason", "busy"))
        m.counter("guestbook.refused", counters.refusedForged, label: ("reason", "forged"))
        m.counter("guestbook.welcomes", counters.welcomes, help: "Front pages that greeted a returning visitor")
        m.counter("guestbook.errors_heard", counters.clientErrors, help: "Error answers the error callback heard, by class", label: ("class", "4xx"))
        m.counter("guestbook.errors_heard", counters.serverErrors, label: ("class", "5xx"))
        return m
    }
}
