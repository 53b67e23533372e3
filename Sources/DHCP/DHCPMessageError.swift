/// Why a received DHCP message was refused before the client looked at its meaning.
public enum DHCPMessageError: Error, Equatable {
    /// Shorter than the fixed header plus magic cookie (240 bytes).
    case truncated(length: Int)
    /// `op` is not BOOTREPLY: a client only listens to servers.
    case notAReply
    /// Not Ethernet (htype 1, hlen 6), so `chaddr` cannot be ours.
    case unsupportedHardware
    case badMagicCookie
    /// An option's length byte runs past the end of the field that holds it.
    case optionOverrun(code: UInt8)
    /// The options field ended without the End option.
    case missingEndOption
    /// A known option whose length is impossible for its type (mask not 4 bytes, ...).
    case badOptionLength(code: UInt8)
    /// A known option whose value is impossible (non-contiguous mask, MTU below 68, overload 4, ...).
    case badOptionValue(code: UInt8)
    /// No option 53: a BOOTP reply, not DHCP.
    case missingMessageType
}

/// Why a well-formed OFFER or ACK could not become a lease.
public enum DHCPLeaseError: Error, Equatable {
    /// Option 54 is required in OFFER and ACK (RFC 2131 table 3).
    case missingServerIdentifier
    /// Option 51 is required in an ACK answering a REQUEST (RFC 2131 table 3).
    case missingLeaseTime
    /// yiaddr is zero, loopback, multicast, reserved, or the subnet's network or broadcast address.
    case unusableAddress
}
