import Bytes

/// The interface's IPv4 settings and the routing decisions that follow from them. The address may be
/// 0.0.0.0 ("unconfigured"), which is how a DHCP client starts: it can then only send to and receive
/// from the limited broadcast address, and receive unicast UDP addressed to any IP (the server's offer).
public struct IPv4Configuration: Equatable {
    public var address: IPv4Address
    public var prefixLength: Int
    /// The default gateway, or nil for an isolated subnet.
    public var gateway: IPv4Address?

    public static let unconfigured = IPv4Configuration(address: .any, prefixLength: 0, gateway: nil)

    public init(address: IPv4Address, prefixLength: Int, gateway: IPv4Address? = nil) {
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
    }

    public enum ValidationError: Error, Equatable {
        case prefixLengthOutOfRange
        /// 0.0.0.0 (use `unconfigured`), broadcast, multicast/reserved (224/3) or loopback (127/8).
        case unusableAddress
        case gatewayNotOnLink
    }

    /// Checks a configuration before it is applied (an address from DHCP or the command line).
    public func validate() throws(ValidationError) {
        guard prefixLength >= 0, prefixLength <= 32 else { throw .prefixLengthOutOfRange }
        guard IPv4Configuration.isUsableUnicast(address) else { throw .unusableAddress }
        if let gateway {
            guard IPv4Configuration.isUsableUnicast(gateway), gateway != address,
                  gateway.sameNetwork(as: address, prefixLength: prefixLength) else { throw .gatewayNotOnLink }
        }
    }

    public var isConfigured: Bool { address != .any }

    /// The directed broadcast address of our subnet, or nil when there is none (unconfigured, or /31 and
    /// /32 point-to-point subnets, RFC 3021).
    public var subnetBroadcast: IPv4Address? {
        guard isConfigured, prefixLength < 31 else { return nil }
        return IPv4Address(address.value | ~IPv4Address.mask(prefixLength: prefixLength))
    }

    public func isBroadcast(_ destination: IPv4Address) -> Bool {
        destination == .broadcast || destination == subnetBroadcast
    }

    /// True when a packet to `destination` is addressed to this host.
    public func accepts(_ destination: IPv4Address) -> Bool {
        destination == address && isConfigured || isBroadcast(destination)
    }

    /// Where a packet to `destination` goes on the link.
    public enum NextHop: Equatable {
        /// Ethernet broadcast, no ARP needed.
        case broadcast
        /// Resolve this neighbour's MAC (the destination itself, or the gateway).
        case neighbour(IPv4Address)
    }

    /// The next hop for `destination`, or nil when there is no route (unconfigured and not broadcast,
    /// off-link without a gateway, or an address no host may send to).
    public func nextHop(for destination: IPv4Address) -> NextHop? {
        if isBroadcast(destination) { return .broadcast }
        // There is no loopback device: a packet to ourselves has nowhere to go.
        guard isConfigured, IPv4Configuration.isUsableUnicast(destination), destination != address else { return nil }
        if destination.sameNetwork(as: address, prefixLength: prefixLength) { return .neighbour(destination) }
        return gateway.map { .neighbour($0) }
    }

    /// True for an address another host on our subnet may hold: on-link, a usable unicast address, and
    /// neither ours nor the subnet broadcast. Only such addresses enter the ARP cache.
    public func isNeighbour(_ candidate: IPv4Address) -> Bool {
        isConfigured && IPv4Configuration.isUsableUnicast(candidate) && candidate != address
            && candidate != subnetBroadcast && candidate.sameNetwork(as: address, prefixLength: prefixLength)
    }

    /// Not 0.0.0.0, loopback (127/8), multicast or reserved (224/3), or the limited broadcast.
    public static func isUsableUnicast(_ address: IPv4Address) -> Bool {
        let first = address.value >> 24
        return address != .any && first != 127 && first < 224
    }
}
