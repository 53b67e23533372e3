import Testing
import Bytes
@testable import HTTP

/// Seeded mutation of valid requests, delivered in random fragments: the server must never trap, must
/// answer with well-formed responses only, and must end every exchange with an orderly close or an
/// open connection (never an abort: these peers read everything).
@Suite struct FuzzTests {
    static let seeds = [
        "GET /docs/ HTTP/1.1\r\nHost: x\r\nRange: bytes=1-3\r\nIf-None-Match: \"a\"\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        "PUT /echo HTTP/1.0\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nbody",
        "GET /%2e%2e/a%20b?x=%zz HTTP/1.1\r\nHost: [::1]:80\r\nCookie: a=b\r\n\r\n",
    ]

    @Test func mutatedRequestsNeverTrap() {
        var rng = SplitMix64(seed: 0x5EED)
        let fs = site()
        for round in 0..<3000 {
            var bytes = Array(FuzzTests.seeds[Int(rng.next(below: UInt64(FuzzTests.seeds.count)))].utf8)
            for _ in 0..<(1 + rng.next(below: 4)) {
                let at = Int(rng.next(below: UInt64(bytes.count)))
                switch rng.next(below: 4) {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: at)
                case 2: bytes.insert([0x0D, 0x0A, 0x20, 0x3A, 0x00, 0x30][Int(rng.next(below: 6))], at: at)
                default: bytes += bytes[at...]   // duplicate a tail: pipelining and garbage after
                }
            }
            let h = Harness(configure: { $0.limits.maxBodyBytes = 64 }, fileSystem: fs)
            h.server.router.add(.post, "/echo") { HTTPResponse(body: .bytes($0.body)) }
            h.server.router.add(.put, "/echo") { HTTPResponse(body: .bytes($0.body)) }
            var i = 0
            while i < bytes.count {
                let n = 1 + Int(rng.next(below: 16))
                h.send(Array(bytes[i..<min(i + n, bytes.count)]))
                i += n
            }
            h.connection.peerSentFIN = true
            h.send([])
            h.advance(.seconds(60))
            #expect(!h.connection.aborted, "round \(round)")
            let (responses, unparsed) = parseResponses(h.connection.output)
            for r in responses { #expect(r.status >= 200 && r.status < 600, "round \(round)") }
            #expect(unparsed == 0, "round \(round): \(unparsed) bytes after \(responses.count) responses do not parse")
            #expect(h.connection.closed, "round \(round)")
        }
    }
}
