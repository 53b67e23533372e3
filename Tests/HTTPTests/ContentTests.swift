import Testing
import Bytes
import Services
import TestSupport
@testable import HTTP

/// Request content is read only for a route that takes it, and only as far as the server's body budget
/// has room: no client can make the server hold memory by announcing content (issue 16).
@Suite struct ContentTests {
    static let bigHead = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"

    /// The attack that locked out every client: a head announcing a megabyte to a path that takes no
    /// content. It is answered at once and nothing is held for the content.
    @Test func unwantedContentIsAnsweredAtTheHead() throws {
        let h = Harness()
        h.send(ContentTests.bigHead)
        let r = try #require(h.responses().first)
        #expect(r.status == 405)
        #expect(r.headers["Connection"] == "close")   // a megabyte is not worth skipping
        #expect(h.connection.closed)
        #expect(h.server.bodyBudget.inUse == 0 && h.server.bodyBudget.peak == 0)
        #expect(h.server.counters.contentDiscarded == 1)
    }

    @Test func smallUnwantedContentIsSkippedAndTheConnectionKept() {
        let h = Harness()
        h.server.router.add(.get, "/g") { r in HTTPResponse(contentType: "text/plain", text: "g\(r.body.count)") }
        h.send("GET /g HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel")
        h.send("loGET /g HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(h.responses().map { $0.text } == ["g0", "g0"])
        #expect(!h.connection.closed)
        #expect(h.server.bodyBudget.peak == 0)
    }

    @Test func unwantedChunkedContentClosesAfterTheAnswer() {
        let h = Harness()
        h.send("POST /missing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(h.responses().map { $0.status } == [405])
        #expect(h.connection.closed)
    }

    @Test func outsideTheDomainIsRefusedBeforeTheContent() {
        let h = Harness(configure: { $0.domain = ServiceDomain.parse("192.100.200.0/24")! })
        h.server.router.add(.post, "/p") { _ in HTTPResponse(contentType: "text/plain", text: "taken") }
        h.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        #expect(h.responses().map { $0.status } == [403])
        #expect(h.server.bodyBudget.peak == 0)
    }

    @Test func wrongCredentialsAreRefusedBeforeTheContent() {
        let h = Harness()
        h.server.router.add(.post, "/p", auth: BasicAuth(realm: "r", user: "u", password: "p")) { _ in
            HTTPResponse(contentType: "text/plain", text: "taken")
        }
        h.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        #expect(h.responses().map { $0.status } == [401])
        #expect(h.server.bodyBudget.peak == 0)
    }

    /// Content for a route that takes it is charged as it arrives and given back after the handler.
    @Test func wantedContentIsChargedAsItArrives() {
        let h = Harness()
        h.server.router.add(.post, "/p") { r in HTTPResponse(contentType: "text/plain", text: "\(r.body.count)") }
        h.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n")
        #expect(h.server.bodyBudget.inUse == 0)
        h.send([UInt8](repeating: 0x61, count: 3000))
        #expect(h.server.bodyBudget.inUse == 3000)
        h.send([UInt8](repeating: 0x61, count: 7000))
        #expect(h.responses().first?.text == "10000")
        #expect(h.server.bodyBudget.inUse == 0 && h.server.bodyBudget.peak == 10000)
    }

    /// A connection that goes away in the middle of its content gives its charge back.
    @Test func abandonedContentIsReleased() {
        let h = Harness()
        h.server.router.add(.post, "/p") { _ in HTTPResponse(contentType: "text/plain", text: "x") }
        h.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n" + String(repeating: "a", count: 4000))
        #expect(h.server.bodyBudget.inUse == 4000)
        h.connection.peerSentFIN = true
        h.send([])
        #expect(h.connection.closed && h.server.bodyBudget.inUse == 0)
    }

    /// Content from every connection together stays within the budget; the request that finds it full
    /// gets 503 with Retry-After, and the others complete.
    @Test func fullBudgetAnswers503WithRetryAfter() throws {
        let h = Harness(configure: { $0.bodyBudget = 6000 })
        h.server.router.add(.post, "/p") { r in HTTPResponse(contentType: "text/plain", text: "\(r.body.count)") }
        h.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "a", count: 4000))
        let second = ScriptedConnection(peer: Endpoint(IPv4Address(10, 0, 0, 3), 40001))
        _ = h.server.accept(second, now: h.clock.now())
        second.inbox = Array(("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "b", count: 5000)).utf8)
        _ = h.server.receive(second, now: h.clock.now())
        #expect(h.server.bodyBudget.peak == 6000)
        let refused = try #require(readResponses(second.output).first)
        #expect(refused.status == 503 && refused.headers["Retry-After"] == "1")
        #expect(second.closed && h.server.counters.bodyBudgetRefusals == 1)
        #expect(h.server.bodyBudget.inUse == 4000)
        h.send(String(repeating: "a", count: 1000))
        #expect(h.responses().first?.text == "5000")
        #expect(h.server.bodyBudget.inUse == 0)
    }

    @Test func routeCanDeclineContent() {
        let h = Harness()
        h.server.router.add(.post, "/ping", acceptsContent: false) { r in
            HTTPResponse(contentType: "text/plain", text: "pong \(r.body.count)")
        }
        h.send("POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd")
        #expect(h.responses().map { $0.text } == ["pong 0"])
        #expect(h.server.bodyBudget.peak == 0)
    }
}
