import Bytes

/// Where a client message goes. Broadcasts leave from 0.0.0.0 unless an address is configured;
/// a unicast to the server leaves from the leased address (RFC 2131 §4.4.5 renew, §4.4.6 release).
public enum DHCPDestination: Equatable {
    case broadcast
    case server(IPv4Address)
}

/// Why the client withdraws an address the wiring configured.
public enum DHCPDeconfigureReason: Equatable {
    case leaseExpired
    case nak
    case released
    /// A renewal ACK granted a different address; the old one goes before the new one is probed.
    case addressChanged

    public var text: String {
        switch self {
        case .leaseExpired: return "lease expired"
        case .nak: return "server refused the lease (DHCPNAK)"
        case .released: return "lease released"
        case .addressChanged: return "server moved us to another address"
        }
    }
}

/// Work the client asks of the wiring, drained in order with `DHCPClient.nextAction()` after every
/// call into the client.
public enum DHCPAction: Equatable {
    /// Send `bytes` as a UDP payload from port 68 to port 67.
    case send(bytes: [UInt8], to: DHCPDestination)
    /// Run an RFC 5227 ARP probe for the address, then call `probeResult(conflict:now:)`.
    case probe(IPv4Address)
    /// Configure the interface (again, after a renewal: times and parameters may change).
    case configure(DHCPLease)
    /// Remove the address: services are told, connections reset.
    case deconfigure(DHCPDeconfigureReason)
    /// A console line worth printing at info level.
    case log(String)
}
