import Testing
import Bytes
@testable import HTTP

/// Minimum rates instead of "any progress restarts the timer" (issue 16): a client must keep moving
/// data at 500 B/s (after a first 20 or 60 s) or lose its connection; one that does may take longer.
@Suite struct MinimumRateTests {
    /// Lets the client take `bytes` more of the response, as a reader would, and tells the server.
    func read(_ h: Harness, _ bytes: Int) {
        h.connection.window += bytes
        h.server.sendSpace(h.connection, now: h.clock.now())
    }

    @Test func aReaderTakingOneByteEveryFiftyNineSecondsIsCutOff() {
        let h = Harness()
        h.connection.window = 10
        h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        var seconds = 0
        while !h.connection.aborted && seconds < 600 {
            h.advance(.seconds(1))
            seconds += 1
            if seconds % 59 == 0 { read(h, 1) }
        }
        #expect(h.connection.aborted && h.server.counters.sendStallAborts == 1)
        #expect(seconds == 61)   // the first 60 s and the 2 ms its byte at 59 s earned
    }

    @Test func aReaderKeepingTheRateIsNotCutOff() throws {
        let fs = MemoryFileSystem()
        _ = fs.addFile("/big.bin", Array(repeating: 7, count: 200_000))
        let h = Harness(fileSystem: fs)
        h.connection.window = 0
        h.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in 0..<200 {          // 600 B/s for 200 s: three times the first 60 s
            h.advance(.seconds(1))
            read(h, 600)
        }
        #expect(!h.connection.aborted && h.server.counters.sendStallAborts == 0)
    }

    func uploadHarness() -> Harness {
        let h = Harness()
        h.server.router.add(.post, "/upload") { request in HTTPResponse(contentType: "text/plain", text: "\(request.body.count)") }
        h.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n")
        return h
    }

    @Test func contentTricklingOneByteASecondGets408AfterTwentySeconds() {
        let h = uploadHarness()
        var seconds = 0
        while h.responses().isEmpty && seconds < 100 {
            h.send("x")
            h.advance(.seconds(1))
            seconds += 1
        }
        #expect(h.responses().map(\.status) == [408] && h.connection.closed)
        // 20 s and the 40 ms earned by the bytes sent once time had passed
        #expect(seconds == 21 && h.server.counters.bodyTimeouts == 1 && h.server.counters.requestTimeouts == 0)
    }

    @Test func contentAtTheRateMayTakeLongerThanTwentySeconds() {
        let h = uploadHarness()
        for _ in 0..<60 {           // 1000 B/s for 60 s
            h.send(Array(repeating: UInt8(ascii: "x"), count: 1000))
            h.advance(.seconds(1))
        }
        #expect(h.responses().map(\.status) == [200] && h.responses().first?.body == Array("60000".utf8))
        #expect(h.server.counters.bodyTimeouts == 0)
    }
}
