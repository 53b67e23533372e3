import Testing
import Bytes
@testable import HTTP

func site() -> MemoryFileSystem {
    let fs = MemoryFileSystem()
    fs.addFile("/index.html", "<h1>home</h1>")
    fs.addDirectory("/docs")
    fs.addFile("/docs/index.html", "docs index")
    fs.addFile("/docs/a b.txt", "spaced")
    fs.addDirectory("/empty")
    fs.addFile("/style.css", "body{}")
    fs.addFile("/data.bin", Array(0..<100).map { UInt8($0) })
    return fs
}

@Suite struct PathNormalizerTests {
    func norm(_ t: String) -> String? {
        PathNormalizer.normalize(target: Array(t.utf8)).map { String(decoding: $0.requestPath, as: UTF8.self) }
    }

    @Test func normalForms() {
        #expect(norm("/") == "/")
        #expect(norm("/a/b") == "/a/b")
        #expect(norm("/a//b/") == "/a/b/")
        #expect(norm("/a/./b/../c") == "/a/c")
        #expect(norm("/a/b/..") == "/a/")
        #expect(norm("/a/%62%20c?x=/..") == "/a/b c")
        #expect(norm("/a/%2e%2E/b") == "/b")
        #expect(norm("http://host:80/x/y?q") == "/x/y")
        #expect(norm("http://host") == "/")
    }

    @Test func escapesRefused() {
        for t in ["/..", "/../etc/passwd", "/a/../../b", "/%2e%2e/x", "/%2E%2E%2Fetc", "/a%2fb", "/a%5cb",
                  "/a%00b", "/a%0a", "/%", "/%4", "/%zz", "/a#frag", "relative", "/a/..%2f..", "/a\\b"] {
            #expect(norm(t) == nil, "\(t)")
        }
    }
}

@Suite struct DateTests {
    @Test func knownDates() {
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(4102444799) == "Thu, 31 Dec 2099 23:59:59 GMT")
        #expect(HTTPDate.commonLog(971186136) == "10/Oct/2000:13:55:36 +0000")
    }

    @Test func roundTripAcrossCenturies() {
        var t: UInt64 = 0
        while t < 5_000_000_000 {
            #expect(HTTPDate.parse(Array(HTTPDate.format(t).utf8)) == t)
            t += 86_399 * 37
        }
    }

    @Test func malformedDatesRejected() {
        for d in ["Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                  "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT "] {
            #expect(HTTPDate.parse(Array(d.utf8)) == nil, "\(d)")
        }
    }
}

@Suite struct RangeParsingTests {
    func r(_ s: String, _ size: UInt64 = 100) -> ByteRange { ByteRange.parse(Array(s.utf8), size: size) }

    @Test func forms() {
        #expect(r("bytes=0-9") == .range(0, 9))
        #expect(r("bytes=90-") == .range(90, 99))
        #expect(r("bytes=-10") == .range(90, 99))
        #expect(r("bytes=-1000") == .range(0, 99))
        #expect(r("bytes=50-1000") == .range(50, 99))
        #expect(r("BYTES=1-1") == .range(1, 1))
        #expect(r("bytes=100-") == .unsatisfiable)
        #expect(r("bytes=-0") == .unsatisfiable)
        #expect(r("bytes=0-", 0) == .unsatisfiable)
        #expect(r("bytes=5-1") == .ignored)
        #expect(r("bytes=0-1,5-6") == .ignored)
        #expect(r("items=0-1") == .ignored)
        #expect(r("bytes=x-1") == .ignored)
    }
}

@Suite struct StaticFileTests {
    @Test func filesIndexesAndTypes() {
        let h = Harness(fileSystem: site())
        let home = h.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(home?.status == 200 && home?.text == "<h1>home</h1>")
        #expect(home?.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(h.exchange("GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n")?.text == "docs index")
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")?.headers["Content-Type"] == "text/css; charset=utf-8")
        #expect(h.exchange("GET /data.bin HTTP/1.1\r\nHost: x\r\n\r\n")?.headers["Content-Type"] == "application/octet-stream")
        #expect(h.exchange("GET /docs/a%20b.txt HTTP/1.1\r\nHost: x\r\n\r\n")?.text == "spaced")
        #expect(h.exchange("GET /empty/ HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 404)
        #expect(h.exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 404)
        #expect(h.exchange("GET /style.css/ HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 404)
        #expect(h.exchange("POST /style.css HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")?.headers["Allow"] == "GET, HEAD, OPTIONS")
    }

    @Test func aFilesFieldsAreWrittenOnceAndAsFieldByField() throws {
        let h = Harness(fileSystem: site())
        _ = h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        h.connection.output.removeAll()
        _ = h.send("GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")  // the second time from the prepared bytes
        let raw = String(decoding: h.connection.output, as: UTF8.self)
        let fields = try #require(raw.split(separator: "\r\n\r\n").first).split(separator: "\r\n").dropFirst(3)
        #expect(fields.map { $0.split(separator: ":").first.map(String.init) ?? "" }
                == ["ETag", "Last-Modified", "Content-Type", "Accept-Ranges", "X-Content-Type-Options", "Content-Length"])
        // The same bytes as the field-by-field writer gives, and any change to the fields drops them.
        var headers = HTTPHeaders([("ETag", "\"1\""), ("Content-Type", "text/plain"), ("Connection", "x")])
        var r = HTTPResponse(status: .ok, headers: headers, prepared: HTTPServer.fieldBytes(headers))
        #expect(String(decoding: r.preparedFields ?? [], as: UTF8.self)
                == "ETag: \"1\"\r\nContent-Type: text/plain\r\nX-Content-Type-Options: nosniff\r\n")
        r.headers.add("X-Late", "1")
        #expect(r.preparedFields == nil)
        headers.add("X", "y")
        #expect(HTTPResponse(status: .ok, headers: headers).preparedFields == nil)
    }

    func dotSite() -> MemoryFileSystem {
        let fs = site()
        fs.addFile("/.env", "SECRET=1")
        fs.addDirectory("/.git")
        fs.addFile("/.git/config", "[core]")
        fs.addDirectory("/docs/.private")
        fs.addFile("/docs/.private/notes.txt", "notes")
        fs.addDirectory("/.well-known")
        fs.addFile("/.well-known/security.txt", "Contact: x")
        fs.addFile("/.well-known/.hidden", "hidden")
        fs.addFile("/a.b", "dotted name")
        return fs
    }

    @Test func dotFilesAreNotServedByDefault() {
        let h = Harness(fileSystem: dotSite())
        for t in ["/.env", "/.git/config", "/.git/", "/.git", "/docs/.private/notes.txt", "/%2eenv", "/docs/%2Eprivate/",
                  "/.well-known/.hidden"] {
            let r = h.exchange("GET \(t) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(r?.status == 404, "\(t)")
            #expect(r?.text.contains("[core]") == false && r?.text.contains("SECRET") == false, "\(t)")
        }
        #expect(h.server.counters.dotFilesRefused == 8)
        #expect(h.exchange("GET /.well-known/security.txt HTTP/1.1\r\nHost: x\r\n\r\n")?.text == "Contact: x")
        #expect(h.exchange("GET /a.b HTTP/1.1\r\nHost: x\r\n\r\n")?.text == "dotted name")
        #expect(h.exchange("GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n")?.text == "docs index")
    }

    @Test func dotFilesAreServedWhenAllowed() {
        let h = Harness(configure: { $0.serveDotFiles = true }, fileSystem: dotSite())
        #expect(h.exchange("GET /.env HTTP/1.1\r\nHost: x\r\n\r\n")?.text == "SECRET=1")
        #expect(h.exchange("GET /.git/config HTTP/1.1\r\nHost: x\r\n\r\n")?.text == "[core]")
        #expect(h.server.counters.dotFilesRefused == 0)
    }

    @Test func directoryWithoutSlashRedirects() {
        let h = Harness(fileSystem: site())
        let r = h.exchange("GET /docs?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(r?.status == 301)
        #expect(r?.headers["Location"] == "/docs/?x=1")
    }

    @Test func redirectLocationIsReencoded() {
        let fs = site()
        fs.addDirectory("/a b?%")
        let h = Harness(fileSystem: fs)
        let r = h.exchange("GET /a%20b%3F%25?q=%41 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(r?.status == 301 && r?.headers["Location"] == "/a%20b%3F%25/?q=%41")
    }

    @Test func traversalNeverEscapes() {
        let fs = site()
        for t in ["/../index.html", "/%2e%2e/index.html", "/docs/..%2findex.html", "/docs%2f..", "/index.html%00.txt",
                  "/docs/../../etc/passwd", "/.%2e/.%2e/etc", "/docs/%2E%2E/%2E%2E/index.html"] {
            let h = Harness(fileSystem: fs)
            let r = h.exchange("GET \(t) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(r?.status == 400, "\(t)")
            #expect(h.connection.closed)
        }
        let h = Harness(fileSystem: fs)
        #expect(h.exchange("GET /docs/../index.html HTTP/1.1\r\nHost: x\r\n\r\n")?.text == "<h1>home</h1>")
    }

    @Test func headHasNoBody() {
        let h = Harness(fileSystem: site())
        h.send("HEAD /data.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        let rs = h.responses(headRequests: [0])
        #expect(rs.count == 2)
        #expect(rs[0].headers["Content-Length"] == "100" && rs[0].body.isEmpty)
        #expect(rs[1].text == "body{}")   // proves no stray body bytes followed the HEAD response
    }

    @Test func conditionalRequests() throws {
        let fs = site()
        let h = Harness(fileSystem: fs)
        let full = try #require(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n"))
        let etag = try #require(full.headers["ETag"])
        let lastModified = try #require(full.headers["Last-Modified"])
        #expect(lastModified == HTTPDate.format(1_700_000_000))
        let inm = h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"zz\", \(etag)\r\n\r\n")
        #expect(inm?.status == 304 && inm?.body.isEmpty == true && inm?.headers["ETag"] == etag)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\(etag)\r\n\r\n")?.status == 304)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n")?.status == 304)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: \(lastModified)\r\n\r\n")?.status == 304)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: \(HTTPDate.format(1_699_999_999))\r\n\r\n")?.status == 200)
        // If-None-Match that fails wins over a matching If-Modified-Since
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\nIf-Modified-Since: \(lastModified)\r\n\r\n")?.status == 200)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: garbage\r\n\r\n")?.status == 200)
        // If-Match and If-Unmodified-Since (strong, evaluated first)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-Match: \(etag)\r\n\r\n")?.status == 200)
        let failed = h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-Match: \"other\", W/\(etag)\r\n\r\n")
        #expect(failed?.status == 412 && failed?.headers["ETag"] == etag)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-Unmodified-Since: \(HTTPDate.format(1_699_999_999))\r\n\r\n")?.status == 412)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-Unmodified-Since: \(lastModified)\r\n\r\n")?.status == 200)
        // A changed file gets a new tag
        fs.addFile("/style.css", Array("body{x}".utf8), modified: 1_800_000_000)
        #expect(h.exchange("GET /style.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(etag)\r\n\r\n")?.status == 200)
    }

    @Test func futureModificationTimeIsClampedToNow() {
        let fs = site()
        fs.addFile("/future.txt", Array("f".utf8), modified: 4_000_000_000)
        let h = Harness(fileSystem: fs)
        let r = h.exchange("GET /future.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(r?.headers["Last-Modified"] == r?.headers["Date"])
    }

    @Test func rangeRequests() throws {
        let h = Harness(fileSystem: site())
        let r = try #require(h.exchange("GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n"))
        #expect(r.status == 206)
        #expect(r.body == Array(10..<20).map { UInt8($0) })
        #expect(r.headers["Content-Range"] == "bytes 10-19/100")
        let tail = h.exchange("GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=-3\r\n\r\n")
        #expect(tail?.body == [97, 98, 99])
        let bad = h.exchange("GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=200-\r\n\r\n")
        #expect(bad?.status == 416 && bad?.headers["Content-Range"] == "bytes */100")
        #expect(h.exchange("GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,4-5\r\n\r\n")?.status == 200)
        #expect(h.exchange("HEAD /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n", head: true)?.status == 200)
        let etag = try #require(r.headers["ETag"])
        #expect(h.exchange("GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\nIf-Range: \(etag)\r\n\r\n")?.status == 206)
        #expect(h.exchange("GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\nIf-Range: \"old\"\r\n\r\n")?.status == 200)
    }

    @Test func largeFileStreamsThroughSmallWindow() {
        let fs = site()
        let content = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        fs.addFile("/big.bin", content)
        let h = Harness(fileSystem: fs)
        h.connection.window = 1000
        h.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        var rounds = 0
        while h.responses().count < 2 && rounds < 10_000 {
            #expect(fs.lastReadSize <= 1000)   // never more than the window at once
            h.connection.window = 1000
            h.server.sendSpace(h.connection, now: h.clock.now())
            rounds += 1
        }
        let rs = h.responses()
        #expect(rs.count == 2)
        #expect(rs.first?.body == content)
        #expect(rs.last?.text == "body{}")
        #expect(rounds > 150)
    }

    @Test func fileBodyAfterTheFirstPieceIsReadStraightIntoTheSendBuffer() {
        let fs = site()
        let content = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        fs.addFile("/big.bin", content)
        let h = Harness(fileSystem: fs)
        h.connection.fillRun = 30_000    // runs cut short, as where a ring's free space wraps
        h.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        let rs = h.responses()
        #expect(rs.map { $0.status } == [200, 200])
        #expect(rs.first?.body == content)
        #expect(rs.last?.text == "body{}")
        // The first piece rides behind the head in the server's buffer (at most sendChunk); every later
        // read is given a whole run of the connection's buffer.
        let chunk = h.server.configuration.sendChunk
        #expect(Array(fs.readSizes.prefix(4)) == [chunk, 30_000, 30_000, 100_000 - chunk - 60_000])
    }

    @Test func wouldBlockIsRetriedOnPoll() {
        let fs = site()
        let h = Harness(fileSystem: fs)
        fs.blockCalls = 3
        h.send("GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(h.responses().isEmpty)
        #expect(h.connection.alarm == h.clock.now() + .milliseconds(10))
        h.advance(.milliseconds(10))
        #expect(h.connection.alarm == h.clock.now() + .milliseconds(10))   // one interval after the last try
        h.advance(.milliseconds(10))
        h.advance(.milliseconds(10))
        #expect(h.responses().map { $0.text } == ["body{}"])
        #expect(h.server.counters.wouldBlockRetries == 3)
    }

    @Test func wouldBlockIsRetriedByTheConnectionTimer() {
        let fs = site()
        let h = Harness(fileSystem: fs)
        fs.blockCalls = 1
        h.send("GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(h.connection.alarm == h.clock.now() + .milliseconds(10))   // the registry's doWake is the retry
        h.clock.advance(by: .milliseconds(10))
        h.server.wake(h.connection, now: h.clock.now())
        #expect(h.responses().map { $0.text } == ["body{}"])
        #expect(h.connection.alarm == h.clock.now() + h.server.configuration.keepAliveTimeout)
    }

    @Test func wouldBlockMidStreamResumes() {
        let fs = site()
        let content = (0..<5000).map { UInt8(truncatingIfNeeded: $0) }
        fs.addFile("/f.bin", content)
        let h = Harness(fileSystem: fs)
        h.connection.window = 1000
        h.send("GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in 0..<10 {
            fs.blockCalls = 1
            h.connection.window = 1000
            h.server.sendSpace(h.connection, now: h.clock.now())   // blocked
            h.server.poll(now: h.clock.now())                        // retried
        }
        #expect(h.responses().first?.body == content)
    }

    @Test func corruptFileIs500ForThatRequestOnly() {
        let fs = site()
        let bad = fs.addFile("/bad.txt", Array("xxxx".utf8))
        fs.corruptFiles.insert(bad.id.value)
        let h = Harness(fileSystem: fs)
        h.send("GET /bad.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(h.responses().map { $0.status } == [500, 200])
        #expect(h.server.counters.fileErrors == 1)
        #expect(!h.connection.closed)
    }

    @Test func corruptionAfterHeadTruncatesAndCloses() {
        let fs = site()
        let info = fs.addFile("/half.bin", [UInt8](repeating: 1, count: 3000))
        let h = Harness(fileSystem: fs)
        h.connection.window = 1000
        h.send("GET /half.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        fs.corruptFiles.insert(info.id.value)
        h.connection.window = 1000
        h.server.sendSpace(h.connection, now: h.clock.now())
        #expect(h.connection.closed && !h.connection.aborted)
        #expect(h.logLines.last?.hasSuffix("truncated") == true)
    }
}
