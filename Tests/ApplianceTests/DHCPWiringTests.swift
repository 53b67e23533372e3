import Testing
import Bytes
import Net
import DHCP

@Suite struct DHCPWiringTests {
    /// The DHCP client gives the wiring `probeTimeout` to report an ARP probe; the longest RFC 5227
    /// schedule must end before it, or every probe would look like a timeout.
    @Test func theClientWaitsLongerThanTheLongestARPProbe() {
        #expect(ARPProbe.longest < DHCPClient.probeTimeout)
    }
}
