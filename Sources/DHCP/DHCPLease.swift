import Bytes

/// What an ACK grants: the configuration the wiring applies, and the three times that drive the
/// client (RFC 2131 §4.4.5). Times count from `obtainedAt`, the moment the acknowledged REQUEST was
/// first sent, as the RFC asks, so a slow server never stretches the lease.
public struct DHCPLease: Equatable {
    public var address: IPv4Address
    public var prefixLength: Int
    public var router: IPv4Address?
    public var dnsServers: [IPv4Address]
    public var mtu: UInt16?
    public var server: IPv4Address
    public var leaseSeconds: UInt32
    public var renewalSeconds: UInt32
    public var rebindingSeconds: UInt32
    public var obtainedAt: Instant

    /// Lease time 0xFFFFFFFF means "infinite" (RFC 2132 §9.2).
    public static let infinite: UInt32 = 0xFFFF_FFFF
    /// Kept in a lease; resolvers rarely use more (glibc's MAXNS is 3).
    public static let maxDNSServers = 3

    public var renewAt: Instant { at(renewalSeconds) }
    public var rebindAt: Instant { at(rebindingSeconds) }
    public var expiresAt: Instant { at(leaseSeconds) }

    private func at(_ seconds: UInt32) -> Instant {
        leaseSeconds == DHCPLease.infinite ? .never : obtainedAt + .seconds(UInt64(seconds))
    }

    /// Builds a lease from an ACK (or checks that an OFFER could become one). T1 and T2 default to 0.5 and 0.875 of the lease (RFC 2131 §4.4.5);
    /// server values that break T1 <= T2 <= lease are replaced by those defaults.
    init(reply: DHCPMessage, knownServer: IPv4Address?, requestedAt: Instant) throws(DHCPLeaseError) {
        let o = reply.options
        guard let server = o.serverIdentifier ?? knownServer else { throw .missingServerIdentifier }
        guard let lease = o.leaseSeconds else { throw .missingLeaseTime }
        let prefix = o.prefixLength ?? DHCPLease.classfulPrefixLength(of: reply.yourAddress)
        guard DHCPLease.isUsable(reply.yourAddress, prefixLength: prefix) else { throw .unusableAddress }

        address = reply.yourAddress
        prefixLength = prefix
        router = o.routers.first
        dnsServers = Array(o.dnsServers.prefix(DHCPLease.maxDNSServers))
        mtu = o.interfaceMTU
        self.server = server
        leaseSeconds = lease
        var t2 = UInt32(UInt64(lease) * 7 / 8)
        if let given = o.rebindingSeconds, given <= lease { t2 = given }
        var t1 = min(lease / 2, t2)
        if let given = o.renewalSeconds, given <= t2 { t1 = given }
        rebindingSeconds = t2
        renewalSeconds = t1
        obtainedAt = requestedAt
    }

    /// Without option 1, the mask of the address's historic class, as Linux's ipconfig assumes.
    static func classfulPrefixLength(of address: IPv4Address) -> Int {
        let first = address.value >> 24
        return first < 128 ? 8 : first < 192 ? 16 : 24
    }

    /// A unicast host address: not 0/8, loopback, multicast or reserved, and not the network or
    /// broadcast address of its subnet (those do not exist for /31 and /32).
    static func isUsable(_ address: IPv4Address, prefixLength: Int) -> Bool {
        let first = address.value >> 24
        guard first != 0, first != 127, first < 224 else { return false }
        guard prefixLength < 31 else { return true }
        let host = address.value & ~IPv4Address.mask(prefixLength: prefixLength)
        return host != 0 && host != ~IPv4Address.mask(prefixLength: prefixLength)
    }

    /// One console line: "10.0.2.15/24 from server 10.0.2.2 for 86400 s (router 10.0.2.2)".
    public var summary: String {
        var s = "\(address.text)/\(prefixLength) from server \(server.text) for "
        s += leaseSeconds == DHCPLease.infinite ? "ever" : "\(leaseSeconds) s"
        if let r = router { s += " (router \(r.text))" }
        return s
    }
}
