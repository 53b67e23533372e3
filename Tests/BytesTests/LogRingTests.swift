import Testing
@testable import Bytes

@Suite struct LogRingTests {
    private func write(_ ring: LogRing, _ text: String, kind: UInt8 = 0, time: UInt64 = 0) {
        Array(text.utf8).withUnsafeBytes { ring.append(kind: kind, level: 6, time: time, bytes: $0) }
    }

    private func text(_ r: LogRing.Record) -> String { String(decoding: r.payload, as: UTF8.self) }

    private func drainAll(_ ring: LogRing) -> [String] {
        var out: [String] = []
        while let r = ring.takeUndrained() { out.append(text(r)) }
        return out
    }

    private func held(_ ring: LogRing) -> [String] {
        var out: [String] = []
        ring.forEach { out.append(text($0)) }
        return out
    }

    @Test func recordsAreDrainedInOrderWithTheirHeaders() throws {
        let ring = LogRing(capacity: 256, maximumPayload: 32)
        write(ring, "one", kind: 1, time: 42)
        #expect(ring.hasUndrained)
        let r = try #require(ring.takeUndrained())
        #expect(text(r) == "one" && r.kind == 1 && r.level == 6 && r.time == 42)
        #expect(!ring.hasUndrained && ring.takeUndrained() == nil)
        write(ring, "two")
        write(ring, "")
        #expect(drainAll(ring) == ["two", ""])
        #expect(ring.linesWritten == 3 && ring.linesDropped == 0)
    }

    @Test func aRecordIsWrittenInPlaceByItsWriter() {
        let ring = LogRing(capacity: 256, maximumPayload: 32)
        ring.append(kind: 0, level: 6, time: 0, count: 3) { room in
            #expect(room.count == 3)
            for i in 0..<3 { room[i] = UInt8(ascii: "a") + UInt8(i) }
        }
        #expect(drainAll(ring) == ["abc"])
    }

    @Test func overflowDropsTheOldestUndrainedRecordsAndCountsThem() {
        let ring = LogRing(capacity: 120, maximumPayload: 8)   // 20-byte records: 6 fit exactly
        for i in 0..<10 { write(ring, "line \(i)") }
        #expect(ring.linesDropped == 4)
        #expect(drainAll(ring) == (4..<10).map { "line \($0)" })
        #expect(ring.linesWritten == 10)
    }

    @Test func skippingToAMarkDropsTheRecordsBeforeItAndCountsThem() {
        let ring = LogRing(capacity: 120, maximumPayload: 8)   // 20-byte records: 6 fit
        for i in 0..<3 { write(ring, "line \(i)") }
        let mark = ring.endPosition
        write(ring, "warning")
        write(ring, "line 4")
        #expect(ring.drainPosition < mark)
        ring.skipUndrained(before: mark)
        #expect(ring.linesDropped == 3 && ring.drainPosition == mark)
        #expect(drainAll(ring) == ["warning", "line 4"])
        #expect(ring.drainPosition > mark)
        // A mark already drained past, or overwritten, skips nothing.
        ring.skipUndrained(before: mark)
        for i in 0..<8 { write(ring, "more \(i)") }               // wraps: the mark's record is gone
        let dropped = ring.linesDropped
        ring.skipUndrained(before: mark)
        #expect(ring.linesDropped == dropped && held(ring).count == 6)
    }

    @Test func drainedRecordsMakeRoomWithoutCountingAsDropped() {
        let ring = LogRing(capacity: 120, maximumPayload: 8)
        for i in 0..<10 {
            write(ring, "line \(i)")
            _ = drainAll(ring)
        }
        #expect(ring.linesDropped == 0)
        #expect(held(ring) == (4..<10).map { "line \($0)" })
    }

    @Test func recordsWrapAroundTheStorageBehindPadding() {
        // 100 bytes: records of 16 and 20 bytes do not divide it, so records keep meeting the end.
        let ring = LogRing(capacity: 100, maximumPayload: 12)
        var drained: [String] = []
        for i in 0..<200 {
            write(ring, i % 2 == 0 ? "x\(i % 10)" : "y\(i % 10)abcd")
            if i % 3 == 2 { drained += drainAll(ring) }
            let kept = held(ring)
            #expect(!kept.isEmpty && kept.last == (i % 2 == 0 ? "x\(i % 10)" : "y\(i % 10)abcd"), "round \(i)")
        }
        drained += drainAll(ring)
        #expect(ring.linesDropped + UInt64(drained.count) == 200)
        // What was drained is in the order written.
        let expected = (0..<200).map { $0 % 2 == 0 ? "x\($0 % 10)" : "y\($0 % 10)abcd" }
        var at = 0
        for line in drained {
            while at < expected.count && expected[at] != line { at += 1 }
            #expect(at < expected.count, "drained out of order: \(line)")
            at += 1
        }
    }

    @Test func longPayloadsAreTruncatedAndCounted() {
        let ring = LogRing(capacity: 256, maximumPayload: 8)
        write(ring, "0123456789abcdef")
        write(ring, "short")
        #expect(drainAll(ring) == ["01234567", "short"])
        #expect(ring.linesTruncated == 1 && ring.linesDropped == 0)
    }

    @Test func theMaximumPayloadLeavesRoomForPaddingAndARecord() {
        let ring = LogRing(capacity: 64, maximumPayload: 1000)      // clamped to a quarter, less the header
        #expect(ring.maximumPayload == 4)
        let big = String(repeating: "z", count: 100)
        for _ in 0..<50 { write(ring, big); write(ring, "a") }
        #expect(held(ring).allSatisfy { $0 == "zzzz" || $0 == "a" })
        #expect(ring.linesTruncated == 50)
    }

    /// A model of the ring (a list of records and a count of undrained ones) agrees with it through
    /// random writes of random sizes and random drains: what is held, what is drained, what is counted.
    @Test func agreesWithASimpleModel() {
        var random = SplitMix64(seed: 42)
        for capacity in [64, 100, 4096] {
            let ring = LogRing(capacity: capacity, maximumPayload: 40)
            var model: [(text: String, bytes: Int)] = []   // held records, oldest first
            var undrained = 0                                // the newest `undrained` of them
            var dropped: UInt64 = 0
            for round in 0..<400 {
                let length = Int(random.next() % 60)
                let line = String(decoding: (0..<length).map { _ in UInt8(97 + random.next() % 26) }, as: UTF8.self)
                write(ring, line)
                let kept = String(line.prefix(ring.maximumPayload))
                let size = (12 + kept.utf8.count + 3) / 4 * 4
                model.append((kept, size))
                undrained += 1
                // The ring keeps the newest records whose sizes fit, allowing for the padding the
                // storage's end costs: check only that it holds a suffix of the model, newest included.
                let held = held(ring)
                #expect(held.last == kept, "capacity \(capacity), round \(round)")
                #expect(Array(model.suffix(held.count).map(\.text)) == held, "capacity \(capacity), round \(round)")
                let gone = model.count - held.count
                if gone > 0 {
                    let undrainedGone = Swift.max(0, gone - (model.count - undrained))
                    dropped += UInt64(undrainedGone)
                    undrained -= undrainedGone
                    model.removeFirst(gone)
                }
                #expect(held.reduce(0) { $0 + (12 + $1.utf8.count + 3) / 4 * 4 } <= capacity)
                if round % 7 == 0 {
                    let n = Int(random.next() % 5)
                    for _ in 0..<n {
                        let r = ring.takeUndrained().map(text)
                        #expect(r == (undrained > 0 ? model[model.count - undrained].text : nil), "round \(round)")
                        if undrained > 0 { undrained -= 1 }
                    }
                }
                #expect(ring.linesDropped == dropped, "capacity \(capacity), round \(round)")
            }
            #expect(ring.linesDropped > 0, "the run must reach drops")
        }
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
}

@Suite struct QuietSpellTests {
    @Test func workWaitsForASpellWithoutActivity() {
        var gate = QuietSpell(.milliseconds(20))
        #expect(gate.isQuiet(at: .zero))                          // nothing yet: open at once
        gate.noteActivity(at: .zero + .milliseconds(5))
        #expect(!gate.isQuiet(at: .zero + .milliseconds(24)))
        #expect(gate.opensAt == .zero + .milliseconds(25))
        #expect(gate.isQuiet(at: .zero + .milliseconds(25)))
        // Activity every 10 ms keeps it shut however long it lasts.
        for ms in stride(from: 30, through: 1_000, by: 10) {
            gate.noteActivity(at: .zero + .milliseconds(UInt64(ms)))
            #expect(!gate.isQuiet(at: .zero + .milliseconds(UInt64(ms) + 9)))
        }
        #expect(gate.isQuiet(at: .zero + .milliseconds(1_020)))
    }
}
