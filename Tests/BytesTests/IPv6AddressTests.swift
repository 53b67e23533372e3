import Bytes
import Testing

@Suite struct IPv6AddressTests {
    /// RFC 5952 section 4's rules, and text that must not parse.
    @Test func formatsAsRFC5952AndParsesBack() throws {
        let cases: [(String, String)] = [
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),          // 4.2.1: the longest run
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),   // 4.2.2: one zero group is not "::"
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),            // 4.2.3: the longest of two runs
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),      // 4.2.3: the first of equal runs
            ("2001:DB8::AAAA", "2001:db8::aaaa"),               // 4.3: lowercase
            ("fe80:0000::0001", "fe80::1"),                     // 4.1: no leading zeros
            ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("fd00:100:200::64", "fd00:100:200::64"),
        ]
        for (input, expected) in cases {
            let a = try #require(IPv6Address(parsing: input), "\(input)")
            #expect(a.text == expected, "\(input)")
            #expect(IPv6Address(parsing: a.text) == a)
        }
        for bad in ["", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "1:2:3:4:5:6:7", "g::", "1:", ":1",
                    "::1:2:3:4:5:6:7:8", "1.2.3.4", "fe80::1%eth0"] {
            #expect(IPv6Address(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func eui64SolicitedNodeAndGroupMAC() throws {
        // RFC 4291 appendix A: 52:54:00:c8:64:64 -> 5054:ff:fec8:6464, the U/L bit inverted.
        let mac = MACAddress(0x52, 0x54, 0x00, 0xC8, 0x64, 0x64)
        let linkLocal = IPv6Address(prefix: .linkLocalPrefix, mac: mac)
        #expect(linkLocal.text == "fe80::5054:ff:fec8:6464")
        #expect(linkLocal.isLinkLocal && !linkLocal.isMulticast)
        #expect(linkLocal.solicitedNode.text == "ff02::1:ffc8:6464")
        #expect(linkLocal.solicitedNode.multicastMAC == MACAddress(0x33, 0x33, 0xFF, 0xC8, 0x64, 0x64))
        #expect(IPv6Address.allNodes.multicastMAC == MACAddress(0x33, 0x33, 0, 0, 0, 1))
        let a = try #require(IPv6Address(parsing: "fd00:100:200:7::1"))
        #expect(a.masked(prefixLength: 48).text == "fd00:100:200::")
        #expect(a.masked(prefixLength: 64).text == "fd00:100:200:7::")
        #expect(a.masked(prefixLength: 128) == a && a.masked(prefixLength: 0) == .unspecified)
        #expect(a.commonPrefixLength(with: IPv6Address(parsing: "fd00:100:200:7::2")!) == 126)
        #expect(IPv6Address.loopback.isLoopbackOrMapped && IPv6Address(parsing: "::ffff:a00:1")!.isLoopbackOrMapped)
    }
}
