import Testing
import Bytes
@testable import HTTP

@Suite struct AccessLogEntryTests {
    private func entry(target: String = "/a.html", user: String? = nil, method: HTTPMethod? = .get,
                       reason: String? = nil, truncated: Bool = false,
                       peer: IPAddress = IPAddress(IPv4Address(10, 0, 0, 2))) -> AccessLogEntry {
        AccessLogEntry(peer: peer, user: user.map { Array($0.utf8) }, unixSeconds: 971_186_136,
                       method: method, target: Array(target.utf8), version: HTTPVersion(major: 1, minor: 1),
                       status: 200, bodyBytes: 2326, truncated: truncated, reason: reason)
    }

    private func text(_ e: AccessLogEntry) -> String { String(decoding: e.line, as: UTF8.self) }

    @Test func theLineIsCommonLogFormat() {
        #expect(text(entry()) == "10.0.0.2 - - [10/Oct/2000:13:55:36 +0000] \"GET /a.html HTTP/1.1\" 200 2326")
        #expect(text(entry(user: "ann lee", reason: "timeout", truncated: true))
                == "10.0.0.2 - ann_lee [10/Oct/2000:13:55:36 +0000] \"GET /a.html HTTP/1.1\" 200 2326 truncated reason=timeout")
        #expect(text(entry(method: nil)) == "10.0.0.2 - - [10/Oct/2000:13:55:36 +0000] \"-\" 200 2326")
    }

    /// An IPv6 peer in its RFC 5952 form; the record keeps all 16 bytes.
    @Test func anIPv6PeerIsWrittenWhole() {
        let peer = IPAddress(IPv6Address(parsing: "2001:db8:0:1::ab:9")!)
        #expect(text(entry(peer: peer)) == "2001:db8:0:1::ab:9 - - [10/Oct/2000:13:55:36 +0000] \"GET /a.html HTTP/1.1\" 200 2326")
    }

    @Test func aQuoteInTheTargetCannotEndTheRequestField() {
        #expect(text(entry(target: "/x\"y")).contains("\"GET /x'y HTTP/1.1\""))
    }

    @Test func aLongTargetKeepsItsStartAndTheRestOfTheLine() {
        let long = "/" + String(repeating: "a", count: 5000)
        let e = entry(target: long)
        #expect(e.encodedCount < 1024, "fits the console's records")
        let line = text(e)
        #expect(line.contains("\"GET /" + String(repeating: "a", count: AccessLogEntry.maximumTarget - 1) + " HTTP/1.1\" 200 2326"))
    }

    @Test func aPayloadShorterThanItsLengthsRendersAsMalformed() {
        let e = entry()
        var encoded = [UInt8](repeating: 0, count: e.encodedCount)
        encoded.withUnsafeMutableBytes { e.encode(into: $0) }
        for cut in [0, 10, encoded.count - 1] {
            var out: [UInt8] = []
            encoded.prefix(cut).withUnsafeBytes { AccessLogEntry.render(encoded: $0, into: &out) }
            #expect(String(decoding: out, as: UTF8.self) == "malformed access record", "cut at \(cut)")
        }
    }
}
