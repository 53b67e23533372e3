import Testing
@testable import Bytes

@Suite struct ByteViewTests {
    @Test func bigAndLittleEndianFields() {
        let bytes: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0x9A]
        bytes.withByteView { v in
            #expect(v.u16(at: 0) == 0x1234)
            #expect(v.u32(at: 1) == 0x3456_789A)
            #expect(v.u16le(at: 0) == 0x3412)
            #expect(v.u32le(at: 0) == 0x7856_3412)
        }
    }

    @Test func slicesAreBoundsChecked() {
        let bytes: [UInt8] = [1, 2, 3, 4]
        bytes.withByteView { v in
            #expect(v.slice(1, 3)?.toArray() == [2, 3, 4])
            #expect(v.slice(1, 4) == nil)
            #expect(v.slice(-1, 1) == nil)
            #expect(v.slice(4, 0)?.count == 0)
            #expect(v.suffix(from: 5) == nil)
            #expect(v.suffix(from: 2)?.toArray() == [3, 4])
        }
    }

    @Test func writesRoundTrip() {
        var buf = [UInt8](repeating: 0, count: 12)
        buf.withMutableByteView { w in
            w.setU16(0xBEEF, at: 0)
            w.setU32(0xDEAD_BEEF, at: 2)
            w.setU16le(0x1234, at: 6)
            w.setU32le(0xCAFE_F00D, at: 8)
        }
        #expect(buf == [0xBE, 0xEF, 0xDE, 0xAD, 0xBE, 0xEF, 0x34, 0x12, 0x0D, 0xF0, 0xFE, 0xCA])
    }
}

@Suite struct ChecksumTests {
    // RFC 1071 section 3 worked example: words 0001 f203 f4f5 f6f7 sum to ddf2.
    @Test func rfc1071Example() {
        let data: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        var c = InternetChecksum()
        c.add(data)
        #expect(c.folded == 0xDDF2)
        #expect(c.value == 0x220D)
    }

    // A real IPv4 header (checksum field 0xB861), which must verify, and compute to the same value.
    @Test func ipv4HeaderVerifies() {
        let header: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xB8, 0x61,
                               0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7]
        var c = InternetChecksum()
        c.add(header)
        #expect(c.verifies)
        var zeroed = header
        zeroed[10] = 0; zeroed[11] = 0
        #expect(zeroed.withByteView { InternetChecksum.of($0) } == 0xB861)
    }

    @Test func oddSplitsGiveTheSameSum() {
        var rng = SplitMix64(seed: 7)
        for length in [0, 1, 2, 3, 17, 64, 1501] {
            let data = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var whole = InternetChecksum()
            whole.add(data)
            for cut1 in [0, 1, length / 3] where cut1 <= length {
                for cut2 in [cut1, cut1 + 1, (2 * length) / 3] where cut2 <= length && cut2 >= cut1 {
                    var parts = InternetChecksum()
                    parts.add(Array(data[0..<cut1])); parts.add(Array(data[cut1..<cut2])); parts.add(Array(data[cut2...]))
                    #expect(parts.value == whole.value, "length \(length) cuts \(cut1) \(cut2)")
                }
            }
        }
    }

    // The word-at-a-time sum against the definition: big-endian 16-bit words, end-around carry. All-0xFF
    // data makes every step carry; lengths cover each remainder of the eight-byte steps.
    @Test func matchesTheDefinition() {
        var rng = SplitMix64(seed: 11)
        for length in [7, 8, 9, 15, 16, 23, 1460, 1461, 65_535] {
            for pattern in 0..<2 {
                let data = (0..<length).map { _ in pattern == 0 ? UInt8(truncatingIfNeeded: rng.next()) : 0xFF }
                var reference: UInt32 = 0
                for k in stride(from: 0, to: length, by: 2) {
                    reference += UInt32(data[k]) << 8 | (k + 1 < length ? UInt32(data[k + 1]) : 0)
                    reference = (reference & 0xFFFF) + (reference >> 16)
                }
                var c = InternetChecksum()
                c.add(data)
                #expect(c.folded == UInt16(reference), "length \(length) pattern \(pattern)")
            }
        }
    }

    @Test func pseudoHeaderWords() {
        var a = InternetChecksum()
        a.add(u32: 0xC064_C801); a.add(u16: 17)
        var b = InternetChecksum()
        b.add([0xC0, 0x64, 0xC8, 0x01, 0x00, 0x11])
        #expect(a.value == b.value)
    }
}

@Suite struct AddressTests {
    @Test func parsesAndFormatsIPv4() {
        #expect(IPv4Address(parsing: "192.100.200.100") == IPv4Address(192, 100, 200, 100))
        #expect(IPv4Address(192, 100, 200, 100).text == "192.100.200.100")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.", "a.b.c.d", "1.2.3.4 ", "1234.1.1.1"] {
            #expect(IPv4Address(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func networks() {
        let a = IPv4Address(192, 100, 200, 100)
        #expect(a.sameNetwork(as: IPv4Address(192, 100, 200, 1), prefixLength: 24))
        #expect(!a.sameNetwork(as: IPv4Address(192, 100, 201, 1), prefixLength: 24))
        #expect(IPv4Address.mask(prefixLength: 0) == 0)
        #expect(IPv4Address.mask(prefixLength: 32) == 0xFFFF_FFFF)
        #expect(IPv4Address.mask(prefixLength: 20) == 0xFFFF_F000)
    }

    /// The text forms are written into byte sinks (no interpolation): every octet value's digits.
    @Test func addressTextThroughSinks() {
        #expect(IPv4Address(0, 9, 10, 255).text == "0.9.10.255")
        #expect(IPv4Address.any.text == "0.0.0.0" && IPv4Address.broadcast.text == "255.255.255.255")
        #expect(Endpoint(IPv4Address(10, 0, 2, 15), 8080).text == "10.0.2.15:8080")
        #expect(Endpoint(IPv4Address(1, 2, 3, 4), 0).text == "1.2.3.4:0")
        let line = String { out in
            out.put("a "); out.putAddress(IPv4Address(192, 168, 0, 1)); out.put(" b ")
            out.putAddress(IPv6Address(parsing: "fd00::1")!); out.putText(" c"); out.putDecimal(65535)
        }
        #expect(line == "a 192.168.0.1 b fd00::1 c65535")
    }

    @Test func macText() {
        #expect(MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56).text == "52:54:00:12:34:56")
        #expect(MACAddress.broadcast.isBroadcast && MACAddress.broadcast.isMulticast)
    }
}

@Suite struct TimeTests {
    @Test func saturatingArithmetic() {
        #expect(Instant.never + .seconds(1) == .never)
        #expect((Instant.zero + .milliseconds(1500)).milliseconds == 1500)
        #expect(Instant(nanoseconds: 5).since(Instant(nanoseconds: 9)) == .zero)
        #expect(Interval.seconds(2) * 3 == .seconds(6))
    }
}

@Suite struct RandomTests {
    /// The reference outputs of Vigna's splitmix64.c (seed 0) and of seed 1234567 (6457827717110365317,
    /// 3203168211198807973, 9817491932198370423): every test's "random" data depends on these.
    @Test func matchesTheReferenceSequence() {
        var zero = SplitMix64(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var other = SplitMix64(seed: 1_234_567)
        #expect([other.next(), other.next(), other.next()] == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
    }

    @Test func boundedValuesStayBelowTheBoundAndReachEveryValue() {
        var a = SplitMix64(seed: 42)
        var seen = Set<UInt64>()
        for _ in 0..<1000 {
            let v = a.next(below: 7)
            #expect(v < 7)
            seen.insert(v)
        }
        #expect(seen.count == 7)
    }
}
