import Testing
import Bytes
@testable import Net
@testable import Appliance

/// The appliance's IPv6 address lines (console and /factory/etc), built as bytes rather than Strings.
@Suite struct AddressLogTests {
    func entry(_ text: String, _ prefixLength: Int, _ state: IPv6AddressEntry.State,
               _ origin: IPv6AddressEntry.Origin) -> IPv6AddressEntry {
        IPv6AddressEntry(address: IPv6Address(parsing: text)!, prefixLength: prefixLength, state: state, origin: origin,
                         validUntil: .never, preferredUntil: .never, nextStep: .never)
    }

    @Test func everyOriginAndState() {
        #expect(Appliance<WireNIC>.describe(entry("fd00::5054:ff:fe12:3456", 64, .preferred, .autoconfigured), after: "net: IPv6 ")
                == "net: IPv6 fd00::5054:ff:fe12:3456/64 (SLAAC) preferred")
        #expect(Appliance<WireNIC>.describe(entry("fe80::1", 64, .tentative, .linkLocal), after: "net.ipv6 ")
                == "net.ipv6 fe80::1/64 (link-local) tentative")
        #expect(Appliance<WireNIC>.describe(entry("2001:db8::7", 48, .deprecated, .manual), after: "")
                == "2001:db8::7/48 (ip6=) deprecated")
        #expect(Appliance<WireNIC>.describe(entry("fd00::2", 64, .duplicate, .manual), after: "x ")
                == "x fd00::2/64 (ip6=) duplicate on the link: not used")
        #expect(Appliance<WireNIC>.describe(entry("fd00::2", 64, .preferred, .autoconfigured), after: "net: IPv6 ", gone: true)
                == "net: IPv6 fd00::2 expired")
    }
}
