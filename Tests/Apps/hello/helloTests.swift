import Testing
import Bytes
import Services
import TestSupport
import hello

/// Toro's ToroHttp: port 80, read the request, send the welcome page, close.
@Suite struct helloTests {
    @Test func answersARawHTTP10RequestAndCloses() {
        let harness = AppHarness(application)
        let reply = Reply(harness.exchange(Array("GET / HTTP/1.0\r\n\r\n".utf8)))
        #expect(harness.clock.now() < Instant(nanoseconds: 1_000_000_000))      // closed at once, not timed out
        #expect(reply.status == 200)
        #expect(reply.text.contains("<h1>Hello World!</h1>"))
        #expect(reply.header("Content-Length") == String(reply.body.count))
    }

    @Test func helloAnswersARequestArrivingInFragments() {
        let bench = AppHarness(application)
        let peer = bench.open(80)
        for fragment in ["GET / HTTP/1.1\r", "\nHost: x\r\n", "\r", "\n"] {
            #expect(peer.read().isEmpty)
            peer.write(fragment)
            bench.settle()
        }
        let response = String(decoding: peer.read(), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(response.hasSuffix("</html>\n"))
        #expect(peer.sawFinish)
    }

    @Test func helloStreamsItsResponseThroughASmallWindow() {
        let bench = AppHarness(application, transportLimits: MemoryTransportLimits(bufferCapacity: 32))
        let peer = bench.open(80)
        peer.write("GET / HTTP/1.0\r\n\r\n")
        bench.settle()
        var got: [UInt8] = []
        for _ in 0..<100 where !peer.sawFinish {
            got += peer.read(max: 7)
            bench.settle()
        }
        #expect(String(decoding: got, as: UTF8.self).hasSuffix("</html>\n"))
        #expect(peer.sawFinish)
        #expect(bench.registry.counters.callbacks.sendSpace > 1)
    }

    @Test func helloResetsAnEndlessRequestHead() {
        let bench = AppHarness(application, transportLimits: MemoryTransportLimits(bufferCapacity: 1024))
        let peer = bench.open(80)
        for _ in 0..<10 where !peer.wasReset {
            peer.write([UInt8](repeating: 0x61, count: 1024))
            bench.settle()
        }
        #expect(peer.wasReset)
        #expect(peer.read().isEmpty)
    }

    @Test func helloClosesQuietlyWhenTheClientGivesUp() {
        let bench = AppHarness(application)
        let peer = bench.open(80)
        peer.write("GET / HT")
        peer.finish()
        bench.settle()
        #expect(peer.read().isEmpty)
        #expect(peer.sawFinish)
        #expect(bench.registry.connectionCount == 0)
    }
}
