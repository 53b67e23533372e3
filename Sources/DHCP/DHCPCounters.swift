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
        var out = Metrics()
        out.add("dhcp", names: """
            sent retransmissions received offers acks naks truncated bad-header bad-magic-cookie bad-options
            not-dhcp other-transaction other-client other-server unexpected unusable unexpected-probe-results
            leases-bound renewals conflicts probe-timeouts exchanges-abandoned expirations
            """, [sent, retransmissions, received, offers, acks, naks, truncated, badHeader, badMagicCookie, badOptions,
                  notDHCP, otherTransaction, otherClient, otherServer, unexpected, unusable, unexpectedProbeResults,
                  leasesBound, renewals, conflicts, probeTimeouts, exchangesAbandoned, expirations])
        return out
    }
}
