import Bytes

/// Limits of `Interface` (generic types cannot hold static stored properties, so they live here).
public enum InterfaceLimits {
    /// Frames taken from the NIC per `poll`; more waiting makes `nextDeadline` say "now".
    public static let receiveBatch = 32
    /// ICMP error rate limit: a burst of this many, then one per `icmpErrorInterval` (RFC 1812 4.3.2.8).
    public static let icmpErrorBurst = 8
    public static let icmpErrorInterval = Interval.milliseconds(50)
    /// Bytes of the offending datagram quoted in an ICMP error, keeping the error within 576 bytes
    /// (RFC 1812 4.3.2.3: 576 - 20 IP - 8 ICMP).
    public static let icmpErrorQuote = 548
    /// An ICMPv6 error, quote included, fits the IPv6 minimum MTU (RFC 4443 2.4 (c)).
    public static let icmpv6ErrorMessage = 1280
    /// Echo replies kept for `takeEchoReply` (a console ping); later ones are counted and dropped.
    public static let maxQueuedEchoReplies = 8
}

/// One network interface and the layers below TCP: Ethernet, ARP, IPv4, ICMP, UDP; and IPv6, ICMPv6,
/// neighbour discovery and MLD once `startIPv6` has run. Generic over the NIC so
/// Embedded Swift specialises every call into the driver.
///
/// Driving it: call `poll(now:)` whenever the NIC signals or `nextDeadline()` arrives. Sends made
/// between polls are batched; `flush()` (or the next poll) hands them to the device.
public final class Interface<NIC: NetworkInterface> {
    public let nic: NIC
    public internal(set) var configuration = IPv4Configuration.unconfigured
    public internal(set) var counters = NetCounters()
    public internal(set) var arpCache = ARPCache()
    /// The RFC 5227 probe started by `startARPProbe`, if any.
    public internal(set) var probe: ARPProbe?

    /// IPv6 (addresses, neighbours, prefixes, routers, timers), once `startIPv6` has run.
    public internal(set) var ipv6 = IPv6State(seed: 0)
    public internal(set) var ipv6Enabled = false
    var ipv6Handlers: [(nextHeader: UInt8, handler: IPv6ProtocolHandler)] = []

    /// ARP's resolutions and waiting packets, keyed by IPv4-mapped addresses (`IPv6Address(mapping:)`).
    var resolver = ARPResolver()
    var waitQueue = ARPWaitQueue()
    var announcer = ARPAnnouncer()
    var udpSockets = UDPSocketTable()
    var echoReplies: [ICMPEchoReply] = []
    var icmpErrorLimiter = TokenBucket(capacity: InterfaceLimits.icmpErrorBurst,
                                       refillInterval: InterfaceLimits.icmpErrorInterval)
    var handlers: [(protocolNumber: UInt8, handler: IPProtocolHandler)] = []
    var nextIdentification: UInt16 = 1
    /// Frames handed to the NIC but not yet flushed.
    var transmitPending = false
    /// The last poll filled its batch, so more frames may be waiting.
    public internal(set) var receiveBacklog = false

    public init(nic: NIC) {
        self.nic = nic
    }

    public var macAddress: MACAddress { nic.macAddress }

    /// Applies an address configuration (or `.unconfigured`, when a DHCP lease is lost) and announces a
    /// new address with gratuitous ARP. Cached neighbours are kept (the link is the same). When the
    /// address changes, packets waiting for ARP carry the old source address, so they are dropped and
    /// counted as `arp.resolution_failed`, and their resolutions abandoned.
    public func configure(_ newConfiguration: IPv4Configuration, now: Instant) throws(IPv4Configuration.ValidationError) {
        if newConfiguration.isConfigured { try newConfiguration.validate() }
        let changed = newConfiguration.address != configuration.address
        configuration = newConfiguration
        if changed {
            for address in resolver.abandonAll() {
                counters.arp.resolutionFailed += UInt64(waitQueue.take(for: address).count)
            }
        }
        if newConfiguration.isConfigured && changed {
            announcer.start(now: now)
            runTimers(now: now)
            flush()
        }
    }

    /// Registers the upper layer for `protocolNumber` (TCP: 6).
    public func register(_ handler: IPProtocolHandler, forProtocol protocolNumber: UInt8) throws(ProtocolRegistrationError) {
        guard protocolNumber != IPProtocolNumber.icmp, protocolNumber != IPProtocolNumber.udp else { throw .reservedProtocol }
        guard registeredHandler(for: protocolNumber) == nil else { throw .alreadyRegistered }
        handlers.append((protocolNumber, handler))
    }

    func registeredHandler(for protocolNumber: UInt8) -> IPProtocolHandler? {
        for entry in handlers where entry.protocolNumber == protocolNumber { return entry.handler }
        return nil
    }

    /// Receives one batch of frames, runs due timers, and flushes everything sent.
    public func poll(now: Instant) {
        let received = nic.receive(limit: InterfaceLimits.receiveBatch) { frame, vouched in
            self.receiveFrame(frame, checksumVouched: vouched, now: now)
        }
        receiveBacklog = received >= InterfaceLimits.receiveBatch
        runTimers(now: now)
        flush()
    }

    /// Hands queued transmits to the device, if there are any.
    public func flush() {
        guard transmitPending else { return }
        transmitPending = false
        nic.flush()
    }

    /// When `poll` next has work: `.zero` (already due) while frames may be waiting in either
    /// direction, else the earliest ARP retry, announcement or probe step; `.never` when idle.
    public func nextDeadline() -> Instant {
        if receiveBacklog || transmitPending { return .zero }
        let ipv4 = min(resolver.nextDeadline, announcer.nextAction, probe?.nextAction ?? .never)
        return ipv6Enabled ? min(ipv4, ipv6.nextDeadline) : ipv4
    }

    func runTimers(now: Instant) {
        let (retry, failed) = resolver.due(now: now)
        for address in retry { sendARPRequest(for: address.mappedIPv4) }
        for address in failed {
            counters.arp.resolutionFailed += UInt64(waitQueue.take(for: address).count)
        }
        if announcer.due(now: now) { sendAnnouncement() }
        if probe?.due(now: now) == true, let candidate = probe?.address { sendProbe(for: candidate) }
        if ipv6Enabled { runIPv6Timers(now: now) }
    }
}
