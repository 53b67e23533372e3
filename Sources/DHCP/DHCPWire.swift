import Bytes

/// Wire layout of a DHCP message (RFC 2131 §2): the 236-byte BOOTP fixed header, the magic cookie,
/// then options (RFC 2132). Offsets are from the start of the UDP payload.
public enum DHCPWire {
    public static let serverPort: UInt16 = 67
    public static let clientPort: UInt16 = 68

    static let op = 0
    static let htype = 1
    static let hlen = 2
    static let xid = 4
    static let secs = 8
    static let flags = 10
    static let ciaddr = 12
    static let yiaddr = 16
    static let siaddr = 20
    static let giaddr = 24
    static let chaddr = 28
    static let sname = 44
    static let snameLength = 64
    static let file = 108
    static let fileLength = 128
    static let cookie = 236        // the BOOTP fixed header ends here
    static let options = 240

    static let magicCookie: UInt32 = 0x6382_5363
    static let bootRequest: UInt8 = 1
    static let bootReply: UInt8 = 2
    static let ethernetHardwareType: UInt8 = 1
    static let ethernetAddressLength: UInt8 = 6
    /// Asks servers and relays to broadcast their reply: until the address is configured the stack
    /// below may not accept unicast IP to it (RFC 2131 §4.1).
    static let broadcastFlag: UInt16 = 0x8000

    /// RFC 1542 relays may drop BOOTP messages shorter than 300 bytes, so what we send is padded to it.
    static let minimumMessageLength = 300
}

/// Option codes the client sends or reads (RFC 2132).
public enum DHCPOptionCode {
    public static let pad: UInt8 = 0
    public static let subnetMask: UInt8 = 1
    public static let router: UInt8 = 3
    public static let domainNameServer: UInt8 = 6
    public static let hostName: UInt8 = 12
    public static let interfaceMTU: UInt8 = 26
    public static let requestedAddress: UInt8 = 50
    public static let leaseTime: UInt8 = 51
    public static let overload: UInt8 = 52
    public static let messageType: UInt8 = 53
    public static let serverIdentifier: UInt8 = 54
    public static let parameterRequestList: UInt8 = 55
    public static let renewalTime: UInt8 = 58
    public static let rebindingTime: UInt8 = 59
    public static let clientIdentifier: UInt8 = 61
    public static let end: UInt8 = 255
}

/// Option 53 (RFC 2132 §9.6).
public enum DHCPMessageType: UInt8 {
    case discover = 1, offer, request, decline, ack, nak, release, inform

    public var text: String {
        switch self {
        case .discover: return "DHCPDISCOVER"
        case .offer: return "DHCPOFFER"
        case .request: return "DHCPREQUEST"
        case .decline: return "DHCPDECLINE"
        case .ack: return "DHCPACK"
        case .nak: return "DHCPNAK"
        case .release: return "DHCPRELEASE"
        case .inform: return "DHCPINFORM"
        }
    }
}
