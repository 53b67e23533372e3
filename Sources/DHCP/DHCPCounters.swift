import Bytes

/// Everything the client sent, received, refused or gave up on. Readable at /factory/etc.
public struct DHCPCounters: Equatable {
    public var sent: UInt64 = 0
    public var retransmissions: UInt64 = 0
    public var received: UInt64 = 0
    public var offers: UInt64 = 0
    public var acks: UInt64 = 0
    public var naks: UInt64 = 0

    // Refused while decoding (DHCPMessageError).
    public var truncated: UInt64 = 0
    public var badHeader: UInt64 = 0          // not a reply, or not Ethernet
    public var badMagicCookie: UInt64 = 0
    public var badOptions: UInt64 = 0         // overrun, missing End, impossible length or value
    public var notDHCP: UInt64 = 0            // no message type: plain BOOTP

    // Well-formed, but not for us or not now.
    public var otherTransaction: UInt64 = 0   // xid is not the current exchange's
    public var otherClient: UInt64 = 0        // chaddr is not our MAC
    public var otherServer: UInt64 = 0        // ACK/NAK from a server we did not select
    public var unexpected: UInt64 = 0         // a message type this state does not wait for
    public var unusable: UInt64 = 0           // OFFER/ACK that cannot become a lease (DHCPLeaseError)
    public var unexpectedProbeResults: UInt64 = 0

    // Outcomes.
    public var leasesBound: UInt64 = 0
    public var renewals: UInt64 = 0
    public var conflicts: UInt64 = 0          // probe found the address in use; a DECLINE was sent
    public var probeTimeouts: UInt64 = 0
    public var exchangesAbandoned: UInt64 = 0 // REQUEST retransmissions ran out
    public var expirations: UInt64 = 0

    public init() {}

    /// Total refused while decoding.
    public var malformed: UInt64 { truncated + badHeader + badMagicCookie + badOptions + notDHCP }

    mutating func count(_ error: DHCPMessageError) {
        switch error {
        case .truncated: truncated += 1
        case .notAReply, .unsupportedHardware: badHeader += 1
        case .badMagicCookie: badMagicCookie += 1
        case .optionOverrun, .missingEndOption, .badOptionLength, .badOptionValue: badOptions += 1
        case .missingMessageType: notDHCP += 1
        }
    }

    /// Every counter as "dhcp.name" (the console, /factory/etc, /factory/metrics).
    public var metrics: Metrics {
        let rows: [(String, UInt64)] = [
            ("sent", sent), ("retransmissions", retransmissions), ("received", received),
            ("offers", offers), ("acks", acks), ("naks", naks),
            ("truncated", truncated), ("bad-header", badHeader), ("bad-magic-cookie", badMagicCookie),
            ("bad-options", badOptions), ("not-dhcp", notDHCP),
            ("other-transaction", otherTransaction), ("other-client", otherClient),
            ("other-server", otherServer), ("unexpected", unexpected), ("unusable", unusable),
            ("unexpected-probe-results", unexpectedProbeResults),
            ("leases-bound", leasesBound), ("renewals", renewals), ("conflicts", conflicts),
            ("probe-timeouts", probeTimeouts), ("exchanges-abandoned", exchangesAbandoned),
            ("expirations", expirations),
        ]
        var out = Metrics()
        for (name, value) in rows { out.add("dhcp", name, value) }
        return out
    }
}
