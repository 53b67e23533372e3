import Testing
@testable import Bytes

@Suite struct LineRingTests {
    private func write(_ ring: LineRing, _ text: String) { var sink = ring; sink.put(contentsOf: text.utf8) }

    private func drainAll(_ ring: LineRing) -> String {
        var out: [UInt8] = []
        ring.drain(maxBytes: .max) { out.append($0) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func linesAreDrainedInOrderAndOnlyWhenComplete() {
        let ring = LineRing(capacity: 64, maximumLineLength: 32)
        write(ring, "one\ntw")
        #expect(ring.undrainedBytes == 4)
        #expect(drainAll(ring) == "one\n")
        write(ring, "o\n")
        #expect(drainAll(ring) == "two\n")
        #expect(drainAll(ring) == "")
        #expect(ring.linesWritten == 2 && ring.linesDropped == 0)
    }

    @Test func drainingIsBatchedByBytes() {
        let ring = LineRing(capacity: 64, maximumLineLength: 32)
        write(ring, "abcdef\n")
        var out: [UInt8] = []
        #expect(ring.drain(maxBytes: 3) { out.append($0) } == 3)
        #expect(ring.drain(maxBytes: 3) { out.append($0) } == 3)
        #expect(ring.drain(maxBytes: 3) { out.append($0) } == 1)
        #expect(out == Array("abcdef\n".utf8))
    }

    @Test func overflowDropsTheOldestUndrainedLinesAndCountsThem() {
        let ring = LineRing(capacity: 20, maximumLineLength: 10)
        for i in 0..<10 { write(ring, "line \(i)\n") }    // 7 bytes each: the ring holds 2
        #expect(ring.linesDropped == 8)
        #expect(drainAll(ring) == "line 8\nline 9\n")
        #expect(ring.linesWritten == 10)
    }

    @Test func drainedLinesMakeRoomWithoutCountingAsDropped() {
        let ring = LineRing(capacity: 20, maximumLineLength: 10)
        for i in 0..<10 {
            write(ring, "line \(i)\n")
            _ = drainAll(ring)
        }
        #expect(ring.linesDropped == 0)
        #expect(String(decoding: ring.recentLines(maxBytes: 100), as: UTF8.self) == "line 8\nline 9\n")
    }

    @Test func positionsWrapAroundTheStorage() {
        let ring = LineRing(capacity: 16, maximumLineLength: 15)
        var drained = ""
        for i in 0..<100 {
            write(ring, "x\(i % 10)abc\n")
            if i % 3 == 2 { drained += drainAll(ring) }
        }
        drained += drainAll(ring)
        let expected = (0..<100).map { "x\($0 % 10)abc\n" }.joined()
        // Three lines of 6 bytes never fit in 16: one of every three is dropped before its drain.
        #expect(ring.linesDropped + UInt64(drained.utf8.count / 6) == 100)
        #expect(expected.hasSuffix(drained.split(separator: "\n").suffix(2).joined(separator: "\n") + "\n"))
        #expect(String(decoding: ring.recentLines(maxBytes: 16), as: UTF8.self) == "x8abc\nx9abc\n")
    }

    @Test func longLinesAreTruncatedAndCounted() {
        let ring = LineRing(capacity: 32, maximumLineLength: 8)
        write(ring, "0123456789abcdef\nshort\n")
        #expect(drainAll(ring) == "01234567\nshort\n")
        #expect(ring.linesTruncated == 1 && ring.linesDropped == 0)
    }

    @Test func aLineAsLongAsTheRingAllowsPushesOutEverythingElse() {
        let ring = LineRing(capacity: 8, maximumLineLength: 100)   // clamped to 7
        write(ring, "ab\n")
        write(ring, "0123456789\n")
        #expect(ring.linesDropped == 1 && ring.linesTruncated == 1)
        #expect(drainAll(ring) == "0123456\n")
    }

    @Test func recentLinesStartAtALineBoundary() {
        let ring = LineRing(capacity: 64, maximumLineLength: 32)
        write(ring, "first line\nsecond\nthird\nopen")
        #expect(String(decoding: ring.recentLines(maxBytes: 10), as: UTF8.self) == "third\n")
        #expect(String(decoding: ring.recentLines(maxBytes: 13), as: UTF8.self) == "second\nthird\n")
        #expect(String(decoding: ring.recentLines(maxBytes: 1000), as: UTF8.self) == "first line\nsecond\nthird\n")
    }

    @Test func numbersFormatWithoutAllocating() {
        var out: [UInt8] = []
        out.putDecimal(42, width: 5)
        out.put(UInt8(ascii: "|"))
        out.putDecimal(7, width: 3, pad: UInt8(ascii: "0"))
        out.put(UInt8(ascii: "|"))
        out.putDecimal(0)
        out.put(UInt8(ascii: "|"))
        out.putDecimal(UInt64.max)
        out.put(UInt8(ascii: "|"))
        out.putHex(0xBEEF)
        #expect(String(decoding: out, as: UTF8.self) == "   42|007|0|18446744073709551615|0x000000000000beef")
    }
}

@Suite struct MetricsRenderingTests {
    static func sample() -> Metrics {
        var m = Metrics()
        m.note("net.address 10.0.0.2/24")
        m.counter("http.requests", 3, help: "Responses sent, by status code", label: ("code", "200"))
        m.gauge("tcp.connections_open", 2, help: "Open TCP connections", exportName: "tcp_connections")
        m.counter("dhcp.bad-header", 0)
        m.counter("http.requests", 1, help: "Responses sent, by status code", label: ("code", "404"))
        return m
    }

    @Test func linesForTheConsoleAndEtc() {
        #expect(Self.sample().lines == ["net.address 10.0.0.2/24", "http.requests{code=200} 3",
                                        "tcp.connections_open 2", "dhcp.bad-header 0", "http.requests{code=404} 1"])
    }

    @Test func prometheusTextFormat() {
        let text = String(decoding: Self.sample().prometheus(prefix: "appliance_"), as: UTF8.self)
        #expect(text == """
            # HELP appliance_http_requests_total Responses sent, by status code
            # TYPE appliance_http_requests_total counter
            appliance_http_requests_total{code="200"} 3
            appliance_http_requests_total{code="404"} 1
            # HELP appliance_tcp_connections Open TCP connections
            # TYPE appliance_tcp_connections gauge
            appliance_tcp_connections 2
            # HELP appliance_dhcp_bad_header_total dhcp.bad-header
            # TYPE appliance_dhcp_bad_header_total counter
            appliance_dhcp_bad_header_total 0

            """)
    }
}

@Suite struct TimeShareTests {
    @Test func workGetsItsShareOfTheClockAndNoMore() {
        var share = TimeShare(divisor: 10, cap: .milliseconds(5))
        let first = share.mayRun(now: .zero)
        #expect(first)
        share.spent(.milliseconds(8))                          // overdrawn by 3 ms
        let overdrawn = share.mayRun(now: .zero + .milliseconds(20))   // earned 2 ms: -1 ms
        #expect(!overdrawn && share.credit == -1_000_000)
        #expect(share.nextRun == Instant.zero + .milliseconds(30) + Interval(nanoseconds: 10))
        let again = share.mayRun(now: .zero + .milliseconds(31))
        #expect(again)
        // Idle for a minute: the credit stops at the cap.
        let rested = share.mayRun(now: .zero + .seconds(60))
        #expect(rested && share.credit == 5_000_000)
    }

    /// The bulk path (`put(bytes:)`, what the kernel's log uses) leaves the ring exactly as byte by byte
    /// would: random text with newlines and over-long lines, in random chunks, through wraps and drops,
    /// at a power-of-two capacity (masked slots) and another (divided).
    @Test func bulkWritesMatchBytewiseWrites() {
        var random = SplitMix64(seed: 42)
        for capacity in [64, 100, 4096] {
            let bulk = LineRing(capacity: capacity, maximumLineLength: 40)
            let bytewise = LineRing(capacity: capacity, maximumLineLength: 40)
            for round in 0..<400 {
                let length = Int(random.next() % 120)
                let text: [UInt8] = (0..<length).map { _ in random.next() % 9 == 0 ? 10 : UInt8(97 + random.next() % 26) }
                text.withUnsafeBufferPointer { bulk.put(bytes: $0) }
                for b in text { bytewise.put(b) }
                if round % 7 == 0 {
                    let n = Int(random.next() % 200)
                    var a: [UInt8] = [], b: [UInt8] = []
                    bulk.drain(maxBytes: n) { a.append($0) }
                    bytewise.drain(maxBytes: n) { b.append($0) }
                    #expect(a == b, "capacity \(capacity), round \(round)")
                }
                #expect(bulk.recentLines(maxBytes: capacity) == bytewise.recentLines(maxBytes: capacity))
                #expect(bulk.undrainedBytes == bytewise.undrainedBytes)
            }
            #expect(bulk.linesWritten == bytewise.linesWritten && bulk.linesDropped == bytewise.linesDropped
                    && bulk.linesTruncated == bytewise.linesTruncated, "capacity \(capacity)")
            #expect(bulk.linesDropped > 0 && bulk.linesTruncated > 0, "the run must reach drops and truncation")
        }
    }
}
