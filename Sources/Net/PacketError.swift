/// Why a received packet was rejected by a parser. The layer that called the parser picks the counter,
/// so one small vocabulary serves Ethernet, ARP, IPv4, ICMP and UDP.
public enum PacketError: Error, Equatable {
    /// Shorter than its headers or its own length fields claim.
    case truncated
    /// A header field holds a value the protocol forbids (IPv4 version != 4, IHL < 5, UDP length < 8).
    case badHeader
    /// The internet checksum does not verify.
    case badChecksum
    /// An IPv4 fragment; this stack does not reassemble (see `IPv4Packet`).
    case fragment
    /// Well-formed but outside what this stack speaks (an ARP for another hardware or protocol type).
    case unsupported
}

/// IP protocol numbers (IANA) the stack dispatches on.
public enum IPProtocolNumber {
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
}

/// EtherType values (IEEE) the stack dispatches on.
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let ipv6: UInt16 = 0x86DD
}
