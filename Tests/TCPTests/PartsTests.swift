import Testing
import Bytes
@testable import TCP

@Suite struct SequenceNumberTests {
    @Test func comparesAcrossWrap() {
        let high = SequenceNumber(0xFFFF_FFF0)
        let low = SequenceNumber(0x10)
        #expect(high < low)
        #expect(low > high)
        #expect(low - high == 0x20)
        #expect(high + 0x20 == low)
        #expect(SequenceNumber(5).isIn(SequenceNumber(5), upTo: SequenceNumber(6)))
        #expect(!SequenceNumber(6).isIn(SequenceNumber(5), upTo: SequenceNumber(6)))
        #expect(SequenceNumber.latest(high, low) == low)
    }
}

@Suite struct SipHashTests {
    /// Reference vectors from the SipHash paper's test set (key 00..0f, message 00..n-1).
    @Test func matchesReferenceVectors() {
        let hash = SipHash24(key0: 0x0706_0504_0302_0100, key1: 0x0F0E_0D0C_0B0A_0908)
        let empty: [UInt8] = []
        #expect(empty.withByteView { hash.hash($0) } == 0x726F_DB47_DD0E_0E31)
        let fifteen = (0..<15).map { UInt8($0) }
        #expect(fifteen.withByteView { hash.hash($0) } == 0xA129_CA61_49BE_45E5)
    }
}

@Suite struct ByteRingTests {
    @Test func wrapsAndParksOutOfOrderBytes() {
        var ring = ByteRing(capacity: 8)
        let r1 = [1, 2, 3, 4, 5, 6].withByteView { ring.append($0) }
        #expect(r1 == 6)
        var out = [UInt8](repeating: 0, count: 4)
        #expect(out.withMutableByteView { ring.read(into: $0) } == 4)
        #expect(out == [1, 2, 3, 4])
        // Head at 4, two queued; park two bytes after a gap of one, then fill the gap.
        [9, 10].withByteView { ring.write($0, atGap: 1) }
        [8].withByteView { ring.write($0, atGap: 0) }
        ring.commit(3)
        #expect(ring.count == 5)
        var peeked = [UInt8](repeating: 0, count: 2)
        peeked.withMutableByteView { ring.copy(from: 1, length: 2, to: $0, at: 0) }
        #expect(peeked == [6, 8])
        var all = [UInt8](repeating: 0, count: 5)
        #expect(all.withMutableByteView { ring.read(into: $0) } == 5)
        #expect(all == [5, 6, 8, 9, 10])
        let r2 = [1, 2, 3, 4, 5, 6, 7, 8, 9].withByteView { ring.append($0) }
        #expect(r2 == 8)
    }

    @Test func fillsStraightIntoFreeSpaceOneRunAtATime() {
        var ring = ByteRing(capacity: 8)
        _ = [1, 2, 3, 4, 5].withByteView { ring.append($0) }
        var scratch = [UInt8](repeating: 0, count: 3)
        _ = scratch.withMutableByteView { ring.read(into: $0) }       // head at 3, two queued, tail at 5
        var runs: [Int] = []
        let first = ring.append(upTo: 100) { view in
            runs.append(view.count)
            for i in 0..<view.count { view[i] = UInt8(10 + i) }
            return view.count
        }
        #expect(first == 3 && runs == [3])                              // up to the end of the storage
        let second = ring.append(upTo: 2) { view in
            runs.append(view.count)
            view[0] = 20
            return 1                                                     // a producer may write less
        }
        #expect(second == 1 && runs == [3, 2])                          // the wrapped run, capped
        #expect(ring.append(upTo: 0) { _ in Issue.record("called with no room"); return 0 } == 0)
        #expect(ring.append(upTo: 5) { _ in 0 } == 0)                  // nothing written, nothing queued
        var all = [UInt8](repeating: 0, count: 8)
        #expect(all.withMutableByteView { ring.read(into: $0) } == 6)
        #expect(all[0..<6] == [4, 5, 10, 11, 12, 20])
    }

    @Test func lendsQueuedBytesInTheirTwoRuns() {
        var ring = ByteRing(capacity: 8)
        _ = [1, 2, 3, 4, 5, 6].withByteView { ring.append($0) }
        ring.discard(4)                                                  // head at 4: 5, 6 queued
        _ = [7, 8, 9, 10].withByteView { ring.append($0) }              // 9, 10 wrap to the start
        let lent = ring.lend(from: 1, length: 5)!
        #expect(Array(lent.first.base) == [6, 7, 8] && Array(lent.second.base) == [9, 10] && lent.count == 5)
        var copied = [UInt8](repeating: 0, count: 6)
        copied.withMutableByteView { lent.copy(to: $0, at: 1) }
        #expect(copied == [0, 6, 7, 8, 9, 10])
        #expect(ring.lend(from: 0, length: 2).map { $0.second.count } == 0)   // no wrap: one run
        #expect(ring.lend(from: 2, length: 0) == nil)
    }

    @Test func lentBytesOutliveTheRingThatLentThem() {
        var ring = ByteRing(capacity: 4)
        _ = [1, 2, 3].withByteView { ring.append($0) }
        let lent = ring.lend(from: 0, length: 3)!
        ring.resize(to: 16, keeping: 3)                                  // the old memory is no longer the ring's
        _ = [9, 9, 9, 9, 9].withByteView { ring.append($0) }
        ring = ByteRing(capacity: 0)                                     // nor is the new one
        var other = ByteRing(capacity: 4)                                // heap memory freed meanwhile is reused
        _ = [7, 7, 7, 7].withByteView { other.append($0) }
        #expect(Array(lent.first.base) == [1, 2, 3] && lent.second.isEmpty)   // the owner kept them
    }
}

@Suite struct ReassemblyMapTests {
    @Test func mergesAndReleasesContiguousData() {
        var map = ReassemblyMap(maximumRanges: 2)
        let r3 = map.insert(start: 10, end: 20)
        #expect(r3)
        let r4 = map.insert(start: 30, end: 40)
        #expect(r4)
        let r5 = map.insert(start: 50, end: 60)
        #expect(!r5)          // a third range is refused
        let r6 = map.insert(start: 20, end: 30)
        #expect(r6)           // bridges both: one range
        #expect(map.ranges == [.init(start: 10, end: 40)])
        let r7 = map.takeContiguous()
        #expect(r7 == 0)
        let r8 = map.insert(start: 0, end: 12)
        #expect(r8)
        let r9 = map.takeContiguous()
        #expect(r9 == 40)
        #expect(map.isEmpty)
    }

    @Test func rebasesRemainingRanges() {
        var map = ReassemblyMap(maximumRanges: 4)
        let r10 = map.insert(start: 5, end: 8)
        #expect(r10)
        let r11 = map.insert(start: 20, end: 25)
        #expect(r11)
        let r12 = map.insert(start: 0, end: 5)
        #expect(r12)
        let r13 = map.takeContiguous()
        #expect(r13 == 8)
        #expect(map.ranges == [.init(start: 12, end: 17)])
        #expect(map.latest == nil)
    }
}

@Suite struct RetransmissionTimeoutTests {
    @Test func followsRFC6298() {
        var rto = RetransmissionTimeout(initial: .seconds(1), minimum: .milliseconds(200), maximum: .seconds(60))
        #expect(rto.current == .seconds(1))
        rto.sample(.milliseconds(100))                    // SRTT 100, RTTVAR 50: RTO 300 ms
        #expect(rto.current == .milliseconds(300))
        rto.sample(.milliseconds(100))                    // RTTVAR 37.5: RTO 250 ms
        #expect(rto.current == .microseconds(250_000))
        rto.backOff()
        #expect(rto.current == .microseconds(500_000))
        for _ in 0..<20 { rto.backOff() }
        #expect(rto.current == .seconds(60))
        for _ in 0..<60 { rto.sample(.milliseconds(1)) }
        #expect(rto.current == .milliseconds(200))         // clamped to the minimum
    }
}

@Suite struct NewRenoTests {
    @Test func slowStartAvoidanceAndRecovery() {
        var cc = NewReno(mss: 1000, initialSequence: SequenceNumber(0))
        #expect(cc.cwnd == 4000)
        _ = cc.onNewAck(acked: 1000, ack: SequenceNumber(1001), flight: 4000)
        #expect(cc.cwnd == 5000)
        let r14 = cc.onDuplicateAck(flight: 5000, highestSent: SequenceNumber(6001), ack: SequenceNumber(1001))
        #expect(!r14)
        let r15 = cc.onDuplicateAck(flight: 5000, highestSent: SequenceNumber(6001), ack: SequenceNumber(1001))
        #expect(!r15)
        let r16 = cc.onDuplicateAck(flight: 5000, highestSent: SequenceNumber(6001), ack: SequenceNumber(1001))
        #expect(r16)
        #expect(cc.inFastRecovery)
        #expect(cc.ssthresh == 2500)
        #expect(cc.cwnd == 5500)
        // Partial ACK: stay in recovery and ask for a retransmission.
        let r17 = cc.onNewAck(acked: 1000, ack: SequenceNumber(2001), flight: 5000)
        #expect(r17)
        #expect(cc.inFastRecovery)
        // Full ACK: leave recovery with cwnd at most ssthresh.
        let r18 = cc.onNewAck(acked: 4000, ack: SequenceNumber(6001), flight: 4000)
        #expect(!r18)
        #expect(!cc.inFastRecovery)
        #expect(cc.cwnd <= 2500)
        cc.onTimeout(flight: 3000, highestSent: SequenceNumber(9001))
        #expect(cc.cwnd == 1000)
        #expect(cc.ssthresh == 2000)
    }
}

@Suite struct SegmentTests {
    let src = IPAddress(IPv4Address(10, 0, 0, 1)), dst = IPAddress(IPv4Address(10, 0, 0, 2))

    @Test func roundTripsHeaderAndOptions() throws {
        var out = OutgoingSegment(sourcePort: 1234, destinationPort: 80, seq: SequenceNumber(100),
                                  ack: SequenceNumber(200), flags: [.syn, .ack], window: 5000)
        out.mss = 1460; out.windowScale = 7; out.sackPermitted = true
        out.timestamp = TCPTimestamp(value: 11, echo: 22)
        let bytes = Wire.craft(out, payload: [1, 2, 3], source: src, destination: dst)
        #expect(bytes.count % 4 == 3 && out.headerLength == 40)
        let parsed = try bytes.withByteView { view throws(SegmentError) in
            let s = try TCPSegment(parsing: view, source: src, destination: dst)
            return (s.sourcePort, s.destinationPort, s.seq, s.ack, s.flags, s.window, s.mss, s.windowScale,
                    s.sackPermitted, s.timestamp, s.payload.toArray())
        }
        #expect(parsed.0 == 1234 && parsed.1 == 80 && parsed.2 == SequenceNumber(100) && parsed.3 == SequenceNumber(200))
        #expect(parsed.4 == [.syn, .ack] && parsed.5 == 5000 && parsed.6 == 1460 && parsed.7 == 7)
        #expect(parsed.8 && parsed.9 == TCPTimestamp(value: 11, echo: 22) && parsed.10 == [1, 2, 3])
    }

    @Test func sackBlocksRoundTrip() throws {
        var out = OutgoingSegment(sourcePort: 1, destinationPort: 2, seq: SequenceNumber(0),
                                  ack: SequenceNumber(0), flags: [.ack], window: 0)
        out.sackBlocks = [SACKBlock(left: SequenceNumber(10), right: SequenceNumber(20)),
                          SACKBlock(left: SequenceNumber(30), right: SequenceNumber(40))]
        let summary = Wire.summary(Wire.prefix(src, dst) + Wire.craft(out, source: src, destination: dst))
        #expect(summary?.sackBlocks.count == 2)
        #expect(summary?.sackBlocks[1].0 == SequenceNumber(30))
    }

    @Test func rejectsMalformedInput() {
        let good = Wire.craft(OutgoingSegment(sourcePort: 1, destinationPort: 2, seq: SequenceNumber(0),
                                              ack: SequenceNumber(0), flags: [.ack], window: 0),
                              source: src, destination: dst)
        func parse(_ b: [UInt8]) -> SegmentError? {
            b.withByteView { view -> SegmentError? in
                do throws(SegmentError) { _ = try TCPSegment(parsing: view, source: src, destination: dst); return nil } catch { return error }
            }
        }
        #expect(parse(good) == nil)
        #expect(parse(Array(good[0..<19])) == .malformedHeader)
        var badOffset = good; badOffset[12] = 0x60      // 24-byte header in a 20-byte segment
        #expect(parse(badOffset) == .malformedHeader)
        var corrupt = good; corrupt[4] ^= 1
        #expect(parse(corrupt) == .badChecksum)
        // An option whose length runs past the header.
        var withOption = OutgoingSegment(sourcePort: 1, destinationPort: 2, seq: SequenceNumber(0),
                                         ack: SequenceNumber(0), flags: [.ack], window: 0)
        withOption.mss = 1000
        var bad = Wire.craft(withOption, source: src, destination: dst)
        bad[21] = 9                                      // MSS option claiming 9 bytes
        bad[16] = 0; bad[17] = 0
        bad.withMutableByteView { v in
            var sum = TCPSegment.pseudoHeaderSum(source: src, destination: dst, length: v.count)
            sum.add(v.readOnly)
            v.setU16(sum.value, at: 16)
        }
        #expect(parse(bad) == .malformedOption)
    }
}

@Suite struct DualStackPartsTests {
    static let v6 = [IPAddress(IPv6Address(parsing: "2001:db8::1")!), IPAddress(IPv6Address(parsing: "2001:db8::2")!)]

    /// An IPv6 segment's checksum covers all 128 bits of both addresses: one changed in its top half
    /// (which an IPv4-sized pseudo-header would miss) fails verification.
    @Test func ipv6ChecksumCoversWholeAddresses() throws {
        let out = OutgoingSegment(sourcePort: 5000, destinationPort: 80, seq: SequenceNumber(1), ack: SequenceNumber(0),
                                  flags: [.syn], window: 1000)
        let bytes = Wire.craft(out, payload: [9, 8, 7], source: Self.v6[0], destination: Self.v6[1])
        let elsewhere = IPAddress(IPv6Address(parsing: "2001:db9::2")!)
        let results = bytes.withByteView { view -> [Bool] in
            [(Self.v6[0], Self.v6[1]), (Self.v6[0], elsewhere), (elsewhere, Self.v6[1])].map { pair in
                (try? TCPSegment(parsing: view, source: pair.0, destination: pair.1)) != nil
            }
        }
        #expect(results == [true, false, false])
        // The IPv4 pseudo-header of the same low bits does not verify it either.
        let v4 = bytes.withByteView { view in
            (try? TCPSegment(parsing: view, source: IPAddress(IPv4Address(0, 0, 0, 1)), destination: IPAddress(IPv4Address(0, 0, 0, 2)))) != nil
        }
        #expect(!v4)
    }

    /// The checksum TCP writes between IPv6 addresses equals one computed here the long way: the RFC 8200
    /// 8.1 pseudo-header laid out as bytes (source, destination, 32-bit length, three zeros, next header 6),
    /// then the segment, summed as 16-bit words.
    @Test func ipv6ChecksumMatchesTheRFCLayout() {
        let out = OutgoingSegment(sourcePort: 443, destinationPort: 51000, seq: SequenceNumber(0x1234_5678),
                                  ack: SequenceNumber(0x9ABC_DEF0), flags: [.ack, .psh], window: 4321)
        let bytes = Wire.craft(out, payload: [1, 2, 3, 4, 5], source: Self.v6[1], destination: Self.v6[0])
        var pseudo = Wire.prefix(Self.v6[1], Self.v6[0])
        pseudo += [0, 0, 0, UInt8(bytes.count), 0, 0, 0, 6]
        var zeroed = bytes
        zeroed[16] = 0; zeroed[17] = 0
        var words = pseudo + zeroed
        if words.count % 2 == 1 { words.append(0) }
        var sum: UInt32 = 0
        for i in stride(from: 0, to: words.count, by: 2) { sum += UInt32(words[i]) << 8 | UInt32(words[i + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        #expect(UInt16(bytes[16]) << 8 | UInt16(bytes[17]) == ~UInt16(sum))
    }

    /// The keyed hashes (ISN, timestamp offset) take the whole addresses: keys differing only in the
    /// addresses' top halves get different numbers.
    @Test func connectionHashesCoverWholeAddresses() {
        let secrets = ConnectionSecrets(seed: 42)
        let key = ConnectionKey(local: Endpoint(Self.v6[1], 80), remote: Endpoint(Self.v6[0], 5000))
        let far = ConnectionKey(local: Endpoint(Self.v6[1], 80),
                                remote: Endpoint(IPAddress(IPv6Address(parsing: "2001:db9::1")!), 5000))
        let (near, other) = (secrets.numbers(for: key, now: .zero), secrets.numbers(for: far, now: .zero))
        #expect(near.iss != other.iss && near.timestampOffset != other.timestampOffset)
    }

    @Test func connectRefusesMixedFamilies() {
        let net = TwoHosts()
        #expect(throws: TCPError.invalidState) {
            try net.a.connect(from: net.addresses[0], to: Endpoint(Self.v6[1], 80), now: net.now)
        }
    }

    @Test func textForms() {
        #expect(Endpoint(IPAddress(IPv6Address(parsing: "fe80::1")!), 80).text == "[fe80::1]:80")
        #expect(Endpoint(IPv4Address(10, 0, 0, 1), 80).text == "10.0.0.1:80")
        #expect(IPAddress(IPv4Address(10, 0, 0, 1)).ipv4 == IPv4Address(10, 0, 0, 1))
        #expect(IPAddress(IPv4Address(10, 0, 0, 1)).ipv6 == nil && Self.v6[0].ipv4 == nil)
        #expect(!TCPLayer.isUnicast(IPAddress(IPv6Address.allNodes)) && !TCPLayer.isUnicast(IPAddress(IPv6Address.unspecified)))
        #expect(TCPLayer.isUnicast(Self.v6[0]) && !TCPLayer.isUnicast(IPAddress(IPv4Address.broadcast)))
    }
}
