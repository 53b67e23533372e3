import Testing
import Bytes
import Services
import TestSupport
@testable import HTTP

@Suite struct PersistenceTests {
    @Test func welcomePageWithStandardFields() throws {
        let h = Harness()
        let r = try #require(h.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(r.status == 200)
        #expect(r.text.contains("It works"))
        #expect(r.headers["Content-Length"] == "\(r.body.count)")
        #expect(r.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(r.headers["Server"] == "SwiftUnikernel")
        #expect(r.headers["Date"] == HTTPDate.format(h.clock.unixSeconds()))
        #expect(r.headers["Connection"] == nil)
        #expect(!h.connection.closed)
    }

    @Test func http11KeepsAliveUntilConnectionClose() {
        let h = Harness()
        for _ in 0..<3 { #expect(h.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200) }
        #expect(!h.connection.closed)
        let last = h.exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(last?.headers["Connection"] == "close")
        #expect(h.connection.closed && !h.connection.aborted)
        #expect(h.server.counters.keepAliveReuses == 3)
        #expect(h.server.counters.connectionsOpen == 0)
        #expect(h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == .done)   // forgotten after close
    }

    @Test func http10ClosesUnlessKeepAliveAsked() {
        let h = Harness()
        let r = h.exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(r?.headers["Connection"] == "keep-alive")
        #expect(!h.connection.closed)
        let r2 = h.exchange("GET / HTTP/1.0\r\n\r\n")
        #expect(r2?.headers["Connection"] == "close")
        #expect(h.connection.closed)
    }

    @Test func pipelinedResponsesInOrder() {
        let h = Harness()
        h.server.router.add(.get, "/n", match: .prefix) { req in
            HTTPResponse(contentType: "text/plain", text: req.pathText)
        }
        var text = ""
        for i in 0..<50 { text += "GET /n/\(i) HTTP/1.1\r\nHost: x\r\n\r\n" }
        h.send(text)
        let rs = h.responses()
        #expect(rs.count == 50)
        #expect(rs.map { $0.text } == (0..<50).map { "/n/\($0)" })
    }

    @Test func pipelinedAcrossFragmentsAndBytes() {
        let h = Harness()
        let text = "GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
        for b in text.utf8 { h.send([b]) }
        let rs = h.responses(headRequests: [1])
        #expect(rs.map { $0.status } == [200, 200, 404])
        #expect(rs[1].body.isEmpty && rs[1].headers["Content-Length"] == rs[0].headers["Content-Length"])
    }

    @Test func requestCapClosesAfterLastAllowed() {
        let h = Harness(configure: { $0.maxRequestsPerConnection = 3 })
        h.send(String(repeating: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", count: 5))
        let rs = h.responses()
        #expect(rs.count == 3)
        #expect(rs[2].headers["Connection"] == "close")
        #expect(h.connection.closed && h.connection.inbox.isEmpty)
        #expect(h.server.counters.requestCapCloses == 1)
    }

    @Test func idleTimeoutClosesQuietly() {
        let h = Harness(configure: { $0.keepAliveTimeout = .seconds(5) })
        #expect(h.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
        h.advance(.seconds(4))
        #expect(!h.connection.closed)
        h.advance(.seconds(1))
        #expect(h.connection.closed)
        #expect(h.responses().count == 1)
        #expect(h.server.counters.idleCloses == 1)
    }

    @Test func slowRequestGets408() {
        let h = Harness(configure: { $0.requestHeadRate.maximum = .seconds(10); $0.keepAliveTimeout = .seconds(30) })
        for _ in 0..<9 { h.send("G"); h.advance(.seconds(1)) }     // one byte a second: slowloris
        #expect(h.responses().isEmpty)
        h.advance(.seconds(1))
        #expect(h.responses().map { $0.status } == [408])
        #expect(h.connection.closed)
        #expect(h.server.counters.requestTimeouts == 1)
    }

    @Test func timerIsArmedOnConnection() {
        let h = Harness(configure: { $0.requestHeadRate.maximum = .seconds(10); $0.keepAliveTimeout = .seconds(30) })
        h.send("GET / HTTP/1.1\r\n")
        #expect(h.connection.receiveTimeout == nil)   // the alarm is the deadline; no idle timeout beside it
        #expect(h.connection.alarm == h.clock.now() + .seconds(10))
        h.clock.advance(by: .seconds(10))
        h.server.wake(h.connection, now: h.clock.now())
        #expect(h.responses().first?.status == 408)
    }

    @Test func parseErrorsAnswerAndClose() {
        for (text, code) in [("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400), ("BREW / HTTP/1.1\r\n\r\n", 501),
                             ("GET / HTTP/2.0\r\n\r\n", 505)] {
            let h = Harness()
            h.send(text)
            let rs = h.responses()
            #expect(rs.map { $0.status } == [code])
            #expect(rs.first?.headers["Connection"] == "close")
            #expect(h.connection.closed && !h.connection.aborted)
        }
    }

    @Test func peerHalfCloseAfterRequestStillAnswered() {
        let h = Harness()
        h.connection.peerSentFIN = true
        h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(h.responses().map { $0.status } == [200])
        #expect(h.connection.closed)
    }

    @Test func peerCloseMidRequestIsCounted() {
        let h = Harness()
        h.connection.peerSentFIN = true
        #expect(h.send("GET / HT") == .done)
        #expect(h.responses().isEmpty && h.connection.closed)
        #expect(h.server.counters.incompleteRequests == 1)
    }

    @Test func stalledReaderIsAborted() {
        let h = Harness(configure: { $0.sendRate.initial = .seconds(30) })
        h.connection.window = 10
        h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        h.advance(.seconds(31))
        #expect(h.connection.aborted)
        #expect(h.server.counters.sendStallAborts == 1)
    }

    @Test func optionsAndMethodNotAllowed() {
        let h = Harness()
        h.server.router.add(.post, "/form") { _ in HTTPResponse(status: .noContent) }
        let star = h.exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(star?.status == 200 && star?.headers["Allow"] == "GET, HEAD, POST, OPTIONS")
        #expect(star?.headers["Content-Length"] == "0")
        let connect = h.exchange("CONNECT example:443 HTTP/1.1\r\nHost: example:443\r\n\r\n")
        #expect(connect?.status == 405 && connect?.headers["Allow"] == "GET, HEAD, POST, OPTIONS")
        let r = h.exchange("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(r?.status == 405 && r?.headers["Allow"] == "GET, HEAD, OPTIONS")
        #expect(!h.connection.closed)
        #expect(h.exchange("OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n")?.headers["Allow"] == "GET, HEAD, OPTIONS")
    }

    @Test func accessLogInCommonLogFormat() {
        let h = Harness()
        h.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        let day = HTTPDate.commonLog(h.clock.unixSeconds())
        let size = h.responses()[0].body.count
        #expect(h.logLines == ["10.0.0.2 - - [\(day)] \"GET /nothing HTTP/1.1\" 404 \(size)"])
    }

    @Test func accessLogSaysWhyARequestWasRefused() {
        let malformed = Harness()
        malformed.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        #expect(malformed.logLines.count == 1)
        #expect(malformed.logLines.last?.contains("\"-\" 400 ") == true)
        #expect(malformed.logLines.last?.hasSuffix(" reason=conflicting-Content-Length") == true)

        let slow = Harness(configure: { $0.requestHeadRate.maximum = .seconds(2) })
        slow.send("GET / HT")
        slow.advance(.seconds(3))
        #expect(slow.logLines.last?.hasSuffix(" reason=timeout") == true)
        #expect(slow.logLines.last?.contains(" 408 ") == true)

        let outside = Harness(configure: { $0.domain = ServiceDomain(prefixes: [ServiceDomain.Prefix(IPv4Address(192, 168, 0, 0), 16)]) })
        outside.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(outside.logLines.last?.hasSuffix(" reason=domain") == true)

        let answered = Harness()
        answered.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(answered.logLines.last?.contains("reason=") == false, "an answered request has no reason")
    }

    @Test func serviceAdapterTakesTheRegistrysTimeAndListens() {
        final class Context: ServiceContext {
            var ports: [UInt16] = []
            var now: Instant { .zero }
            func listen(port: UInt16, backlog: Int) -> Bool { ports.append(port); return true }
            func connect(to remote: Endpoint) -> (any Connection)? { nil }
            func beat(every interval: Interval?) {}
        }
        let h = Harness()
        let service = h.server.service()
        let ctx = Context()
        service.doInit(ctx)
        #expect(ctx.ports == [80])
        let c = ScriptedConnection()
        #expect(service.doAccept(c) == .waitForData)
        c.inbox = Array("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
        #expect(service.doReceive(c) == .done)
        #expect(readResponses(c.output).first?.status == 200)
        service.doClose(c)
        #expect(h.server.counters.connectionsOpen == 1)   // the harness's own connection
        // The time is the connection's (the registry poll's), not a clock read: a head still arriving at
        // 100 s times out counted from then.
        let late = ScriptedConnection()
        late.now = Instant.zero + .seconds(100)
        #expect(service.doAccept(late) == .waitForData)
        late.inbox = Array("GET / HTTP/1.1\r\n".utf8)
        #expect(service.doReceive(late) == .waitForData)
        let deadline = HTTPServer.engine(late)?.deadline ?? .zero
        #expect(deadline > late.now && deadline < late.now + .seconds(60))
    }
}

@Suite struct ServerConformanceTests {
    @Test func limitsThroughTheServer() {
        func status(_ text: String, _ configure: @escaping (inout HTTPConfiguration) -> Void) -> (Int?, Bool) {
            let h = Harness(configure: configure)
            h.send(text)
            return (h.responses().first?.status, h.connection.closed)
        }
        #expect(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", { $0.limits.maxBodyBytes = 10 }) == (413, true))
        #expect(status("GET /" + String(repeating: "a", count: 100), { $0.limits.maxRequestLine = 50 }) == (414, true))
        #expect(status("GET / HTTP/1.1\r\nHost: x\r\nA: " + String(repeating: "b", count: 100), { $0.limits.maxHeaderBytes = 50 }) == (431, true))
        #expect(status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", { _ in }) == (400, true))
    }

    @Test func smugglingAttemptAnswersOnceAndCloses() {
        let h = Harness()
        h.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /factory/etc HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(h.responses().map { $0.status } == [400])
        #expect(h.connection.closed)
    }

    /// Two pipelined requests split at every byte boundary give the same two responses.
    @Test func everySplitPointThroughTheServer() {
        let text = Array("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /q HTTP/1.1\nHost: x\n\n".utf8)
        for cut in 1..<text.count {
            let h = Harness()
            h.server.router.add(.post, "/p") { r in HTTPResponse(contentType: "text/plain", text: String(decoding: r.body, as: UTF8.self)) }
            h.server.router.add(.get, "/q") { _ in HTTPResponse(contentType: "text/plain", text: "q") }
            h.send(Array(text[..<cut]))
            h.send(Array(text[cut...]))
            #expect(h.responses().map { $0.text } == ["abc", "q"], "cut \(cut)")
        }
    }

    @Test func tenThousandKeepAliveRequests() {
        let h = Harness()
        let request = Array("GET /factory/help HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var answered = 0
        for _ in 0..<10_000 {
            h.connection.output.removeAll(keepingCapacity: true)
            h.send(request)
            if h.connection.output.starts(with: Array("HTTP/1.1 200 OK\r\n".utf8)) { answered += 1 }
        }
        #expect(answered == 10_000)
        #expect(!h.connection.closed)
    }

    @Test func thousandPipelinedInOrder() {
        let h = Harness()
        h.server.router.add(.get, "/", match: .prefix) { r in HTTPResponse(contentType: "text/plain", text: r.pathText) }
        var text = ""
        for i in 0..<1000 { text += "GET /\(i) HTTP/1.1\r\nHost: x\r\n\r\n" }
        h.send(text)
        #expect(h.responses().map { $0.text } == (0..<1000).map { "/\($0)" })
    }

    @Test func largeDynamicBodyIsSentInPieces() {
        let h = Harness()
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        h.server.router.add(.get, "/big") { _ in HTTPResponse(body: .bytes(big)) }
        h.connection.window = 4096
        h.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        var rounds = 0
        while h.responses().first?.body.count != big.count && rounds < 100 {
            h.connection.window = 4096
            h.server.sendSpace(h.connection, now: h.clock.now())
            rounds += 1
        }
        #expect(h.responses().first?.body == big)
        #expect(rounds >= 24)
    }

    @Test func expectContinueGetsInterimResponse() {
        let h = Harness()
        h.server.router.add(.put, "/u") { r in HTTPResponse(contentType: "text/plain", text: "\(r.body.count)") }
        h.send("PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(String(decoding: h.connection.output, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        h.connection.output.removeAll()
        h.send("hello")
        #expect(h.responses().first?.text == "5")
    }
}
