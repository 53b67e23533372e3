import Testing
import Bytes
@testable import HTTP

/// Feeds `text` to a fresh parser in pieces of `step` bytes (0: all at once) and returns the outcome
/// together with how many bytes were consumed in total.
func parse(_ text: String, step: Int = 0, limits: HTTPLimits = HTTPLimits()) -> (ParseResult, Int) {
    var parser = RequestParser(limits: limits)
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = step == 0 ? bytes.count - offset : min(step, bytes.count - offset)
        let (used, result) = Array(bytes[offset..<(offset + n)]).withByteView { parser.consume($0) }
        offset += used
        if case .needMore = result { continue }
        return (result, offset)
    }
    return (.needMore, offset)
}

func request(_ text: String, step: Int = 0) -> HTTPRequest? {
    if case .complete(let r) = parse(text, step: step).0 { return r }
    return nil
}

func failure(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Int? {
    if case .failed(let e) = parse(text, limits: limits).0 { return e.status.code }
    return nil
}

@Suite struct RequestLineTests {
    @Test func simpleGet() throws {
        let r = try #require(request("GET /index.html?a=1 HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(r.method == .get)
        #expect(r.target == Array("/index.html?a=1".utf8))
        #expect(r.query == Array("a=1".utf8))
        #expect(r.version == .http11)
        #expect(r.headers["host"] == "x")
        #expect(r.body.isEmpty)
    }

    @Test func bareLFAccepted() throws {
        let r = try #require(request("GET / HTTP/1.0\nUser-Agent: telnet\n\n"))
        #expect(r.version == .http10)
        #expect(r.headers["User-Agent"] == "telnet")
    }

    @Test func leadingEmptyLinesIgnoredUpToLimit() {
        #expect(request("\r\n\r\nGET / HTTP/1.0\r\n\r\n") != nil)
        #expect(failure(String(repeating: "\r\n", count: 5) + "GET / HTTP/1.0\r\n\r\n") == 400)
    }

    @Test func unknownMethodIs501AndLowercaseIsUnknown() {
        #expect(failure("BREW / HTTP/1.1\r\nHost: x\r\n\r\n") == 501)
        #expect(failure("get / HTTP/1.1\r\nHost: x\r\n\r\n") == 501)
        #expect(failure(String(repeating: "A", count: 40)) == 501)
    }

    @Test func malformedRequestLines() {
        #expect(failure("GET  / HTTP/1.1\r\n\r\n") == 400)        // double space: empty target
        #expect(failure("GET / HTTP/1.1 \r\n\r\n") == 400)        // trailing space
        #expect(failure("GET /\r\n\r\n") == 400)                  // HTTP/0.9
        #expect(failure("GET / http/1.1\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.10\r\n\r\n") == 400)
        #expect(failure("G(T / HTTP/1.1\r\n\r\n") == 400)
        #expect(failure("GET /a\u{7F} HTTP/1.1\r\n\r\n") == 400)
        #expect(failure("GET /\u{01} HTTP/1.1\r\n\r\n") == 400)
        #expect(failure("GET /é HTTP/1.1\r\n\r\n") == 400)
        #expect(failure("GET * HTTP/1.1\r\nHost: x\r\n\r\n") == 400)
        #expect(failure("GET foo HTTP/1.1\r\nHost: x\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\rX\r\n\r\n") == 400)      // bare CR
    }

    @Test func targetForms() {
        #expect(request("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")?.target == [0x2A])
        #expect(request("GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n") != nil)
        #expect(request("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n")?.method == .connect)
    }

    @Test func versions() {
        #expect(failure("GET / HTTP/2.0\r\n\r\n") == 505)
        #expect(failure("GET / HTTP/0.9\r\n\r\n") == 505)
        #expect(request("GET / HTTP/1.2\r\nHost: x\r\n\r\n")?.version.atLeast11 == true)
    }

    @Test func longTargetIs414() {
        var limits = HTTPLimits()
        limits.maxRequestLine = 64
        #expect(failure("GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\n\r\n", limits: limits) == 414)
        #expect(failure("GET /" + String(repeating: "a", count: 50) + " HTTP/1.1xxxxxxxxxxxx\r\n\r\n", limits: limits) == 400)
        #expect(request("GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\nHost: x\r\n\r\n") != nil)
    }
}

@Suite struct FieldTests {
    @Test func whitespaceAroundValuesTrimmedAndCaseKept() throws {
        let r = try #require(request("GET / HTTP/1.1\r\nHost: x\r\nX-Thing: \t a b \t\r\n\r\n"))
        #expect(r.headers["x-thing"] == "a b")
        #expect(r.headers.fields[1].nameText == "X-Thing")
    }

    @Test func emptyValueAllowed() {
        #expect(request("GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n")?.headers["X-Empty"] == "")
    }

    @Test func framingAttacksRejected() {
        #expect(failure("GET / HTTP/1.1\r\nHost : x\r\n\r\n") == 400)            // space before colon
        #expect(failure("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n  folded\r\n\r\n") == 400)   // obs-fold
        #expect(failure("GET / HTTP/1.1\r\n Host: x\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\nX: a\u{00}b\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\nX: a\u{1B}b\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHo(st: x\r\n\r\n") == 400)
    }

    @Test func hostRules() {
        #expect(failure("GET / HTTP/1.1\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n") == 400)
        #expect(failure("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == 400)
        #expect(request("GET / HTTP/1.0\r\n\r\n") != nil)
        #expect(request("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n") != nil)
    }

    @Test func headerLimitsAre431() {
        var limits = HTTPLimits()
        limits.maxHeaderCount = 3
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits) == 431)
        limits = HTTPLimits()
        limits.maxHeaderBytes = 64
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\nA: " + String(repeating: "b", count: 80) + "\r\n\r\n", limits: limits) == 431)
        #expect(failure("GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "A: 1\r\n", count: 20), limits: limits) == 431)
    }
}

@Suite struct FramingTests {
    @Test func contentLengthBody() throws {
        let (result, used) = parse("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET")
        guard case .complete(let r) = result else { Issue.record("not complete"); return }
        #expect(r.body == Array("hello".utf8))
        #expect(used == 53)   // stops before the pipelined "GET"
    }

    @Test func identicalContentLengthsAcceptedConflictingRejected() {
        #expect(request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi")?.body.count == 2)
        #expect(request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nhi")?.body.count == 2)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi") == 400)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 3\r\n\r\nhi") == 400)
    }

    @Test func malformedContentLength() {
        for v in ["+5", "-1", "0x5", "5 5", "", "abc", "99999999999999999999999"] {
            #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(v)\r\n\r\n") == 400, "\(v)")
        }
    }

    @Test func contentLengthWithTransferEncodingRejected() {
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") == 400)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n") == 400)
    }

    @Test func transferEncodingRules() {
        #expect(failure("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n") == 400)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") == 400)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n") == 400)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n") == 400)
        #expect(request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n") != nil)
    }

    @Test func tooLargeBodyIs413() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 10
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limits: limits) == 413)
        #expect(failure("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n", limits: limits) == 413)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let text = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Sum: 1\r\n\r\n"
        let r = try #require(request(text))
        #expect(r.body == Array("hello, chunked!".utf8))
        #expect(r.trailers["x-sum"] == "1")
        #expect(r.headers["x-sum"] == nil)
    }

    @Test func badChunksRejected() {
        let head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for body in ["\r\n", "x\r\n", "0x5\r\nhello\r\n0\r\n\r\n", "-1\r\n", "5 x\r\nhello\r\n",
                     "+5\r\nhello\r\n", "5\r\nhelloXX\r\n0\r\n\r\n", "11111111111111111\r\n",
                     "5;a\u{01}\r\nhello\r\n", "5\rhello",
                     "5\nhello\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n", "5\r\nhello\r\n0\n\r\n"] {   // bare LF in framing
            #expect(failure(head + body) == 400, "\(body)")
        }
    }

    @Test func chunkSizeLineLimit() {
        let head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(failure(head + "1;" + String(repeating: "e", count: 300) + "\r\n") == 400)
    }

    @Test func trailerLimitsCountAgainstHeaders() {
        var limits = HTTPLimits()
        limits.maxHeaderCount = 3
        let text = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\n\r\n"
        #expect(failure(text, limits: limits) == 431)
    }
}

@Suite struct FragmentationTests {
    static let samples = [
        "GET /a?b=c HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n",
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
        "PUT /c HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n4;e=1\r\ndefg\r\n0\r\nT: v\n\r\n",
    ]

    /// Every split point of every sample gives the same request as the unsplit bytes.
    @Test(arguments: samples) func everySplitPoint(text: String) throws {
        let whole = try #require(request(text))
        let bytes = Array(text.utf8)
        for cut in 1..<bytes.count {
            var parser = RequestParser()
            let (a, r1) = Array(bytes[..<cut]).withByteView { parser.consume($0) }
            #expect(a == cut)
            guard case .needMore = r1 else { Issue.record("early result at \(cut)"); continue }
            let (_, r2) = Array(bytes[cut...]).withByteView { parser.consume($0) }
            guard case .complete(let r) = r2 else { Issue.record("no request at cut \(cut)"); continue }
            #expect(r.body == whole.body && r.target == whole.target && r.headers.count == whole.headers.count)
            #expect(r.trailers.count == whole.trailers.count)
        }
    }

    @Test(arguments: samples) func oneByteAtATime(text: String) throws {
        let r = try #require(request(text, step: 1))
        #expect(r.method == (try #require(request(text))).method)
    }

    @Test func pipelinedRequestsParseInTurn() throws {
        let text = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
        var parser = RequestParser()
        var bytes = Array(text.utf8)
        var targets: [[UInt8]] = []
        while !bytes.isEmpty {
            let (used, result) = bytes.withByteView { parser.consume($0) }
            bytes.removeFirst(used)
            if case .complete(let r) = result { targets.append(r.target) } else { break }
        }
        #expect(targets == [Array("/1".utf8), Array("/2".utf8)])
    }

    @Test func inProgressTracksPartialRequests() {
        var parser = RequestParser()
        #expect(!parser.inProgress)
        _ = Array("GE".utf8).withByteView { parser.consume($0) }
        #expect(parser.inProgress)
        _ = Array("T / HTTP/1.0\r\n\r\n".utf8).withByteView { parser.consume($0) }
        #expect(!parser.inProgress)
    }
}
