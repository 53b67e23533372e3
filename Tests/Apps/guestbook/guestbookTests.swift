import Testing
import Bytes
import HTTP
import TestSupport
import Seal
import guestbook

/// The guestbook through the in-memory transport, as a browser would use it.
@Suite struct guestbookTests {
    static let admin = ("admin", "ann:s3cret")
    let bench = AppHarness(application, options: [guestbookTests.admin])

    /// The "visitor=..." pair of a response's Set-Cookie.
    func sessionCookie(_ reply: Reply) -> String? {
        guard let field = reply.header("Set-Cookie"), field.hasPrefix(Guestbook.sessionCookie + "=") else { return nil }
        return String(field.prefix { $0 != ";" })
    }

    func sign(_ name: String, _ message: String, cookie: String? = nil) -> Reply {
        bench.post("/sign", form: "name=\(name)&message=\(message)", headers: cookie.map { [("Cookie", $0)] } ?? [])
    }

    @Test func entriesAreListedNewestFirstAndEscaped() {
        #expect(sign("Ada", "first").status == 303)
        let second = sign("%3Cscript%3EMallory", "%3Cb%3Ehi%3C%2Fb%3E+%26+bye")
        #expect(second.status == 303 && second.header("Location") == "/")
        let page = bench.get("/")
        #expect(page.status == 200)
        #expect(page.text.contains("<strong>&lt;script&gt;Mallory</strong>: &lt;b&gt;hi&lt;/b&gt; &amp; bye"))
        #expect(!page.text.contains("<script>") && !page.text.contains("<b>hi"))
        let newest = page.text.firstRange(of: "Mallory")!, oldest = page.text.firstRange(of: "first")!
        #expect(newest.lowerBound < oldest.lowerBound)
        #expect(!page.text.contains("Welcome back"))         // no cookie sent
    }

    @Test func aReturningVisitorIsWelcomedByTheSealedCookieAlone() {
        let reply = sign("Grace+Hopper", "hello")
        guard let cookie = sessionCookie(reply) else { Issue.record("no session cookie"); return }
        #expect(reply.header("Set-Cookie")!.contains("HttpOnly"))
        let value = String(cookie.dropFirst(Guestbook.sessionCookie.count + 1))
        #expect(!cookie.contains("Grace"))
        #expect(!String(decoding: Base64URL.decode(value.utf8) ?? [], as: UTF8.self).contains("Grace"))
        #expect(bench.get("/", headers: [("Cookie", cookie)]).text.contains("Welcome back, Grace Hopper!"))
        // One character changed: no welcome, and the refusal is counted.
        var bytes = Array(value.utf8)
        bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let changed = bench.get("/", headers: [("Cookie", "\(Guestbook.sessionCookie)=\(String(decoding: bytes, as: UTF8.self))")])
        #expect(changed.status == 200 && !changed.text.contains("Welcome back"))
        #expect(bench.get("/factory/metrics").text.contains("appliance_cookies_refused_total{reason=\"unauthentic\"} 1"))
    }

    @Test func theSessionEndsWhenItsTimeIsUp() {
        guard let cookie = sessionCookie(sign("Ada", "x")) else { Issue.record("no session cookie"); return }
        bench.clock.advance(by: .seconds(UInt64(Guestbook.sessionSeconds)))
        #expect(!bench.get("/", headers: [("Cookie", cookie)]).text.contains("Welcome back"))
    }

    @Test func aCookieKeyOnTheCommandLineOutlivesAReboot() {
        let key = Array(UInt8(0)..<32)
        let before = AppHarness(application, cookieKey: key, entropy: [1])
        let reply = before.post("/sign", form: "name=Ada&message=x")
        guard let cookie = sessionCookie(reply) else { Issue.record("no session cookie"); return }
        let sameKey = AppHarness(application, cookieKey: key, entropy: [2])
        #expect(sameKey.get("/", headers: [("Cookie", cookie)]).text.contains("Welcome back, Ada!"))
        let drawnKey = AppHarness(application, entropy: [3])          // no cookie.key=: a new key each boot
        #expect(!drawnKey.get("/", headers: [("Cookie", cookie)]).text.contains("Welcome back"))
    }

    @Test func badFormsAre400AndOversizedEntries413() {
        #expect(bench.post("/sign", form: "name=Ada").status == 400)                     // no message
        #expect(bench.post("/sign", form: "name=+&message=x").status == 400)             // blank name
        #expect(bench.post("/sign", form: "name=Ada&message=%zz").status == 400)         // broken escape
        #expect(bench.request("POST", "/sign", headers: [("Content-Type", "text/plain")], body: Array("name=a&message=b".utf8)).status == 400)
        let longName = String(repeating: "n", count: Guestbook.maxNameBytes + 1)
        #expect(sign(longName, "x").status == 413)
        #expect(sign(String(longName.dropLast()), "x").status == 303)                    // the limit itself is fine
        #expect(sign("Ada", String(repeating: "m", count: Guestbook.maxMessageBytes + 1)).status == 413)
        #expect(sign("Ada", String(repeating: "m", count: Guestbook.maxFormBytes)).status == 413)
        let metrics = bench.get("/factory/metrics").text
        #expect(metrics.contains("appliance_guestbook_refused_total{reason=\"malformed\"} 4"))
        #expect(metrics.contains("appliance_guestbook_refused_total{reason=\"oversized\"} 3"))
        #expect(bench.get("/").text.ranges(of: "<li>").count == 1)      // only the one at the limit
    }

    @Test func theBookKeepsTheNewestEntriesOnly() {
        for i in 0...Guestbook.maxEntries {
            if i > 0 && i % Guestbook.maxSignsPerMinute == 0 { nextMinute() }
            #expect(sign("v\(i)", "m").status == 303)
        }
        let page = bench.get("/").text
        #expect(page.ranges(of: "<li>").count == Guestbook.maxEntries)
        #expect(!page.contains("<strong>v0</strong>") && page.contains("<strong>v\(Guestbook.maxEntries)</strong>"))
        #expect(bench.get("/factory/metrics").text.contains("appliance_guestbook_evicted_total 1"))
    }

    /// The clock a minute on, with the beat that renews the signing budget.
    func nextMinute() {
        bench.clock.advance(by: Guestbook.minute)
        bench.settle()
    }

    static let credentials = "Basic " + "YW5uOnMzY3JldA=="               // ann:s3cret

    /// The admin page and the form token its delete buttons carry.
    func adminToken() -> String? {
        let page = bench.get("/admin", headers: [("Authorization", Self.credentials)])
        guard page.status == 200, let start = page.text.firstRange(of: "name=\"token\" value=\"") else { return nil }
        return String(page.text[start.upperBound...].prefix { $0 != "\"" })
    }

    func delete(_ form: String) -> Reply {
        bench.post("/admin/delete", form: form, headers: [("Authorization", Self.credentials)])
    }

    @Test func theAdminDeletesEntriesBehindBasicAuth() throws {
        _ = sign("Ada", "keep"); _ = sign("Eve", "spam")
        #expect(bench.get("/admin").status == 401)
        #expect(bench.get("/admin", headers: [("Authorization", "Basic YW5uOndyb25n")]).status == 401)   // ann:wrong
        let page = bench.get("/admin", headers: [("Authorization", Self.credentials)])
        #expect(page.status == 200 && page.text.contains("value=\"2\"") && page.header("X-Frame-Options") == "DENY")
        let token = try #require(adminToken())
        #expect(bench.post("/admin/delete", form: "id=2&token=\(token)").status == 401)
        let deleted = delete("id=2&token=\(token)")
        #expect(deleted.status == 303 && deleted.header("Location") == "/admin")
        let front = bench.get("/").text
        #expect(front.contains("keep") && !front.contains("spam"))
        #expect(delete("id=2&token=\(token)").status == 404)
        #expect(delete("id=two&token=\(token)").status == 400)
    }

    /// CSRF: a delete the admin's browser is made to post from another site carries the admin's
    /// credentials but no token from /admin: 403, counted, nothing deleted.
    @Test func aDeleteWithoutTheAdminPagesTokenIs403() throws {
        _ = sign("Ada", "keep")
        let token = try #require(adminToken())
        #expect(delete("id=1").status == 403)                                            // no token
        #expect(delete("id=1&token=").status == 403)
        var changed = Array(token.utf8)
        changed[changed.count / 2] = changed[changed.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(delete("id=1&token=\(String(decoding: changed, as: UTF8.self))").status == 403)   // one character changed
        // A sealed session cookie is not a token: sealed for another purpose.
        let cookie = try #require(sign("Eve", "x").header("Set-Cookie"))
        let sealed = cookie.dropFirst(Guestbook.sessionCookie.count + 1).prefix { $0 != ";" }
        #expect(delete("id=1&token=\(sealed)").status == 403)
        bench.clock.advance(by: .seconds(UInt64(Guestbook.formTokenSeconds)))           // the token has expired
        #expect(delete("id=1&token=\(token)").status == 403)
        #expect(bench.get("/").text.contains("keep"))
        #expect(bench.get("/factory/metrics").text.contains("appliance_guestbook_refused_total{reason=\"forged\"} 5"))
        #expect(delete("id=1&token=\(try #require(adminToken()))").status == 303)       // a fresh page's token works
    }

    /// The loop answers a signature over the minute's budget with 429 and declines the rest; the beat
    /// renews the budget.
    @Test func signaturesOverTheMinutesBudgetWaitForTheBeat() {
        for i in 0..<Guestbook.maxSignsPerMinute { #expect(sign("v\(i)", "m").status == 303) }
        let busy = sign("late", "m")
        #expect(busy.status == 429 && busy.header("Retry-After") == "60")
        #expect(bench.get("/").status == 200)                                            // declined: the route
        #expect(bench.get("/factory/health").status == 200)                              // declined: the built-in page
        nextMinute()
        #expect(sign("late", "m").status == 303)
        let metrics = bench.get("/factory/metrics").text
        #expect(metrics.contains("appliance_guestbook_refused_total{reason=\"busy\"} 1"))
        #expect(metrics.contains("appliance_guestbook_signed_total \(Guestbook.maxSignsPerMinute + 1)"))
    }

    @Test func theErrorCallbackCountsErrorAnswersAndExitSaysWhatIsLost() {
        _ = sign("Ada", "x")
        #expect(bench.get("/nothing-here").status == 404)
        #expect(bench.post("/sign", form: "name=Ada").status == 400)
        let metrics = bench.get("/factory/metrics").text
        #expect(metrics.contains("appliance_guestbook_errors_heard_total{class=\"4xx\"} 2"))
        #expect(metrics.contains("appliance_guestbook_errors_heard_total{class=\"5xx\"} 0"))
        _ = bench.registry.exit(now: bench.clock.now())
        #expect(bench.logged.last == "closing: entries lost with the book, which lives in memory: 1")
    }

    @Test func withoutAnAdminOptionThereIsNoAdminPage() {
        let plain = AppHarness(application)
        #expect(plain.get("/admin").status == 404)
        #expect(plain.logged.contains { $0.contains("app.admin=USER:PASSWORD") })
    }
}
