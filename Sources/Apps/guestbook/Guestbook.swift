import Bytes
import HTTP
import Seal

/// A dynamic app: visitors sign a guestbook, the newest entries come first, a returning visitor is
/// greeted by the name kept in a sealed session cookie, and an admin (`app.admin=USER:PASSWORD`,
/// Basic auth) deletes entries. Everything lives in memory: a reboot empties the book.
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
        public var welcomes: UInt64 = 0
    }

    /// Oldest first (the page shows them reversed).
    public private(set) var entries: [Entry] = []
    public private(set) var counters = Counters()
    private var nextID: UInt64 = 1
    private let cookies: SealedCookies

    public init(_ app: AppContext) {
        cookies = SealedCookies(app)
    }

    /// Adds the routes; they keep the book alive (it lives as long as the appliance).
    func install(_ app: AppContext) {
        let router = app.http.router
        router.add(.get, "/") { self.front($0) }
        router.add(.post, "/sign") { self.sign($0) }
        if let credentials = app.option("admin"), let admin = BasicAuth(realm: "guestbook admin", userColonPassword: credentials) {
            router.add(.get, "/admin", auth: admin) { _ in self.adminPage() }
            router.add(.post, "/admin/delete", auth: admin) { self.delete($0) }
        } else {
            app.log("no admin page: app.admin=USER:PASSWORD turns it on")
        }
        app.http.addStatusProvider("guestbook") { self.metrics }
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
        var response = Guestbook.redirect("/")
        response.setCookie(cookies.cookie(Guestbook.sessionCookie, value: name, maxAge: Guestbook.sessionSeconds))
        return response
    }

    func adminPage() -> HTTPResponse { GuestbookPage.admin(entries: entries) }

    func delete(_ request: HTTPRequest) -> HTTPResponse {
        guard request.body.count <= Guestbook.maxFormBytes,
              let form = try? request.formFields(limits: Guestbook.formLimits), let text = form["id"],
              let id = UInt64(text) else { return refuse(.badRequest, "Expected a form with the entry's id.") }
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
        m.counter("guestbook.welcomes", counters.welcomes, help: "Front pages that greeted a returning visitor")
        return m
    }
}
