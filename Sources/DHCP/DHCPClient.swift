import Bytes

/// An RFC 2131 DHCP client as a poll-driven state machine: it does no I/O and reads no clock.
/// The wiring feeds it UDP payloads from port 67 (`receive`), ARP probe outcomes (`probeResult`) and
/// time (`poll` by `nextDeadline()`), and after every call drains `nextAction()`: messages to send,
/// probes to run, addresses to configure or withdraw, console lines.
///
/// Wiring sketch (one main loop, no threads):
/// ```
/// let dhcp = DHCPClient(mac: nic.mac, hostName: "appliance", seed: tsc, rememberedAddress: nil)
/// dhcp.start(now: now)
/// // on a datagram to UDP port 68 from port 67:  dhcp.receive(payload, now: now)
/// // when an ARP probe finishes:                 dhcp.probeResult(conflict: seen, now: now)
/// // when now >= dhcp.nextDeadline():            dhcp.poll(now: now)
/// while let action = dhcp.nextAction() {
///     switch action {
///     case let .send(bytes, .broadcast):   // 0.0.0.0 (or the leased address) :68 -> 255.255.255.255:67
///     case let .send(bytes, .server(ip)):  // leased address :68 -> ip:67 (renew, release)
///     case let .probe(ip):                 // RFC 5227 probe, then probeResult
///     case let .configure(lease):          // address/prefix, router, DNS, MTU
///     case let .deconfigure(reason):       // drop the address, reset connections
///     case let .log(line):                 // console, info level
///     }
/// }
/// ```
/// Until an address is configured the client asks servers to broadcast their replies, so the stack
/// must deliver broadcast UDP to port 68 while it has no address.
public final class DHCPClient {
    /// Host names are sent as one DNS label (RFC 1035 §2.3.4); longer names are cut to this.
    public static let maxHostNameLength = 63
    /// How long the wiring may take to report an ARP probe. An RFC 5227 probe needs at most
    /// PROBE_WAIT + 2 * PROBE_MAX + ANNOUNCE_WAIT = 7 s; past this the client starts over.
    public static let probeTimeout: Interval = .seconds(15)
    /// After a DECLINE, the pause before discovery restarts (RFC 2131 §3.1 step 5).
    public static let declineWait: Interval = .seconds(10)
    /// RFC 5227 §2.1.1: after MAX_CONFLICTS conflicts in a row, one attempt per RATE_LIMIT_INTERVAL.
    public static let maxConflicts = 10
    public static let conflictRateLimit: Interval = .seconds(60)
    /// Asked for in DISCOVER and REQUEST: mask, router, DNS, MTU, lease time, T1, T2.
    static let parameterRequestList: [UInt8] = [
        DHCPOptionCode.subnetMask, DHCPOptionCode.router, DHCPOptionCode.domainNameServer,
        DHCPOptionCode.interfaceMTU, DHCPOptionCode.leaseTime, DHCPOptionCode.renewalTime,
        DHCPOptionCode.rebindingTime,
    ]

    public let mac: MACAddress
    public let hostName: [UInt8]
    public private(set) var state: DHCPState = .stopped
    public private(set) var counters = DHCPCounters()
    /// The configured lease (BOUND, RENEWING, REBINDING).
    public private(set) var lease: DHCPLease?
    /// Asked for first on `start` (INIT-REBOOT); set by every bind, forgotten on NAK, DECLINE, expiry,
    /// release, and a REQUEST nobody answered.
    public private(set) var rememberedAddress: IPv4Address?
    public private(set) var lastMessageError: DHCPMessageError?
    public private(set) var lastLeaseError: DHCPLeaseError?

    private var random: SplitMix64
    private var actions: [DHCPAction] = []
    private var deadline: Instant = .never

    // The exchange in progress.
    private var transactionID: UInt32 = 0
    private var exchangeStartedAt: Instant = .zero   // for `secs`
    private var firstSentAt: Instant = .zero         // of the current REQUEST: the lease counts from here
    private var transmissions = 0
    /// `secs` of the last DISCOVER: the REQUEST that follows repeats it (RFC 2131 §4.4.1).
    private var discoverSeconds: UInt16 = 0
    private var selectedServer: IPv4Address?
    private var offeredAddress: IPv4Address?
    /// An ACKed lease waiting for its probe.
    private var probingLease: DHCPLease?
    private var conflictsInARow = 0

    public init(mac: MACAddress, hostName: String, seed: UInt64, rememberedAddress: IPv4Address? = nil) {
        self.mac = mac
        self.hostName = Array(Array(hostName.utf8).prefix(DHCPClient.maxHostNameLength))
        random = SplitMix64(seed: seed)
        self.rememberedAddress = rememberedAddress
    }

    // MARK: - Calls from the wiring

    /// Begins with INIT-REBOOT when an address is remembered, else with discovery. Ignored unless stopped.
    /// The first message goes at once rather than after RFC 2131 §4.4.1's optional 1-10 s pause: an
    /// appliance's boot time is what users wait on, and the randomised backoff already spreads
    /// retransmissions of machines that powered on together.
    public func start(now: Instant) {
        guard state == .stopped else { return }
        if let address = rememberedAddress {
            state = .rebooting
            offeredAddress = address
            selectedServer = nil
            beginExchange(now: now)
            transmit(now: now)
        } else {
            beginDiscovery(now: now)
        }
    }

    /// Gives the lease back (RFC 2131 §4.4.6) and stops; the wiring calls this on shutdown.
    public func release(now: Instant) {
        if state.isConfigured, let current = lease {
            beginExchange(now: now)
            send(DHCPClientMessage(type: .release, transactionID: transactionID, secondsElapsed: 0,
                                   broadcastReply: false, clientAddress: current.address, hardwareAddress: mac,
                                   serverIdentifier: current.server),
                 to: .server(current.server))
            withdraw(.released)
            rememberedAddress = nil
        }
        probingLease = nil
        state = .stopped
        deadline = .never
    }

    /// A UDP payload that arrived on port 68 from port 67.
    public func receive(_ payload: ByteView, now: Instant) {
        counters.received += 1
        let message: DHCPMessage
        do {
            message = try DHCPMessage.decode(payload)
        } catch {
            counters.count(error)
            lastMessageError = error
            return
        }
        guard message.transactionID == transactionID else { counters.otherTransaction += 1; return }
        guard message.clientHardwareAddress == mac else { counters.otherClient += 1; return }
        switch message.options.messageType {
        case .offer:
            counters.offers += 1
            guard state == .selecting else { counters.unexpected += 1; return }
            takeOffer(message, now: now)
        case .ack:
            counters.acks += 1
            guard awaitsAcknowledgement else { counters.unexpected += 1; return }
            takeAck(message, now: now)
        case .nak:
            counters.naks += 1
            guard awaitsAcknowledgement else { counters.unexpected += 1; return }
            takeNak(message, now: now)
        default:
            counters.unexpected += 1
        }
    }

    /// The outcome of the ARP probe asked for with `.probe`.
    public func probeResult(conflict: Bool, now: Instant) {
        guard state == .probing, let candidate = probingLease else { counters.unexpectedProbeResults += 1; return }
        probingLease = nil
        if conflict {
            decline(candidate, now: now)
        } else if now >= candidate.expiresAt {
            // A probe slower than the whole lease (a starved machine): binding would configure the
            // address only to withdraw it in the same breath, so ask again instead.
            counters.expirations += 1
            actions.append(.log("dhcp: the lease on \(candidate.address.text) ran out while it was probed; restarting discovery"))
            beginDiscovery(now: now)
        } else {
            bind(candidate, now: now)
        }
    }

    /// Runs every timer that is due at `now`.
    public func poll(now: Instant) {
        // Each step either moves the deadline past `now` or moves to a later state, so this ends.
        while deadline <= now && deadline != .never { timerFired(now: now) }
    }

    public func nextDeadline() -> Instant { deadline }

    public func nextAction() -> DHCPAction? { actions.isEmpty ? nil : actions.removeFirst() }

    /// "key value" lines for /factory/etc: state, lease, server, time left (the counters are `counters.metrics`).
    public func status(now: Instant) -> String {
        var s = "dhcp.state \(state.text)\n"
        if let l = lease ?? probingLease {
            s += "dhcp.address \(l.address.text)/\(l.prefixLength)\n"
            s += "dhcp.server \(l.server.text)\n"
            if let r = l.router { s += "dhcp.router \(r.text)\n" }
            if !l.dnsServers.isEmpty {
                s += "dhcp.dns"
                for d in l.dnsServers { s += " \(d.text)" }
                s += "\n"
            }
            if let m = l.mtu { s += "dhcp.mtu \(m)\n" }
            s += "dhcp.lease-seconds \(l.leaseSeconds)\n"
            s += "dhcp.renew-in \(DHCPClient.secondsLeft(until: l.renewAt, now: now))\n"
            s += "dhcp.rebind-in \(DHCPClient.secondsLeft(until: l.rebindAt, now: now))\n"
            s += "dhcp.expires-in \(DHCPClient.secondsLeft(until: l.expiresAt, now: now))\n"
        }
        return s
    }

    private static func secondsLeft(until instant: Instant, now: Instant) -> String {
        instant == .never ? "never" : "\(instant.since(now).nanoseconds / 1_000_000_000) s"
    }

    // MARK: - Transitions

    private var awaitsAcknowledgement: Bool {
        state == .requesting || state == .rebooting || state == .renewing || state == .rebinding
    }

    private func beginExchange(now: Instant) {
        transactionID = UInt32(truncatingIfNeeded: random.next())
        exchangeStartedAt = now
        transmissions = 0
    }

    private func beginDiscovery(now: Instant) {
        state = .selecting
        selectedServer = nil
        offeredAddress = nil
        beginExchange(now: now)
        transmit(now: now)
    }

    private func takeOffer(_ offer: DHCPMessage, now: Instant) {
        let candidate: DHCPLease
        do {
            candidate = try DHCPLease(reply: offer, knownServer: nil, requestedAt: now)
        } catch {
            counters.unusable += 1
            lastLeaseError = error
            return
        }
        // The REQUEST keeps the DISCOVER's xid: one exchange, one transaction (RFC 2131 §4.4.1).
        state = .requesting
        selectedServer = candidate.server
        offeredAddress = candidate.address
        transmissions = 0
        transmit(now: now)
    }

    /// The server an ACK or NAK must come from when its identifier is given: the one selected, or the
    /// one a renewal was unicast to. REBOOTING and REBINDING ask every server, so any may answer.
    private var expectedServer: IPv4Address? {
        switch state {
        case .requesting: return selectedServer
        case .renewing: return lease?.server
        default: return nil
        }
    }

    private func isFromAnotherServer(_ reply: DHCPMessage) -> Bool {
        guard let expected = expectedServer, let from = reply.options.serverIdentifier, from != expected else {
            return false
        }
        counters.otherServer += 1
        return true
    }

    private func takeAck(_ ack: DHCPMessage, now: Instant) {
        if isFromAnotherServer(ack) { return }
        let granted: DHCPLease
        do {
            // Without option 54, the server is the one we asked: selected, or holding our lease.
            let asked = state.isConfigured ? lease?.server : selectedServer
            granted = try DHCPLease(reply: ack, knownServer: asked, requestedAt: firstSentAt)
        } catch {
            counters.unusable += 1
            lastLeaseError = error
            return
        }
        guard state.isConfigured, let current = lease else { return beginProbing(granted, now: now) }
        guard granted.address == current.address else {
            withdraw(.addressChanged)
            return beginProbing(granted, now: now)
        }
        lease = granted
        state = .bound
        counters.renewals += 1
        deadline = granted.renewAt
        actions.append(.configure(granted))
        actions.append(.log("dhcp: renewed \(granted.summary)"))
    }

    private func takeNak(_ nak: DHCPMessage, now: Instant) {
        if isFromAnotherServer(nak) { return }
        let from = nak.options.serverIdentifier
        if state.isConfigured { withdraw(.nak) }
        rememberedAddress = nil
        actions.append(.log("dhcp: DHCPNAK from \((from ?? .any).text) in \(state.text); restarting discovery"))
        beginDiscovery(now: now)
    }

    private func beginProbing(_ candidate: DHCPLease, now: Instant) {
        state = .probing
        probingLease = candidate
        deadline = now + DHCPClient.probeTimeout
        actions.append(.probe(candidate.address))
    }

    private func bind(_ granted: DHCPLease, now: Instant) {
        lease = granted
        state = .bound
        rememberedAddress = granted.address
        conflictsInARow = 0
        counters.leasesBound += 1
        deadline = granted.renewAt
        actions.append(.configure(granted))
        actions.append(.log("dhcp: bound \(granted.summary)"))
    }

    /// The probe found the address in use: tell the server (RFC 2131 §3.1 step 5), pause, start over.
    private func decline(_ candidate: DHCPLease, now: Instant) {
        send(DHCPClientMessage(type: .decline, transactionID: transactionID, secondsElapsed: 0,
                               broadcastReply: false, hardwareAddress: mac,
                               requestedAddress: candidate.address, serverIdentifier: candidate.server),
             to: .broadcast)
        counters.conflicts += 1
        conflictsInARow += 1
        rememberedAddress = nil
        state = .initial
        deadline = now + (conflictsInARow >= DHCPClient.maxConflicts ? DHCPClient.conflictRateLimit : DHCPClient.declineWait)
        actions.append(.log("dhcp: \(candidate.address.text) is already in use; declined it"))
    }

    /// The wiring reports the withdrawal on the console (it knows the level); no `.log` twin here.
    private func withdraw(_ reason: DHCPDeconfigureReason) {
        lease = nil
        actions.append(.deconfigure(reason))
    }

    private func timerFired(now: Instant) {
        switch state {
        case .stopped:
            deadline = .never
        case .initial:
            beginDiscovery(now: now)
        case .selecting:
            if transmissions == DHCPRetransmission.discoversBeforeComplaint {
                actions.append(.log("dhcp: no DHCPOFFER after \(now.since(exchangeStartedAt).nanoseconds / 1_000_000_000) s; still trying"))
            }
            transmit(now: now)
        case .requesting, .rebooting:
            if transmissions < DHCPRetransmission.requestTransmissions {
                transmit(now: now)
            } else {
                counters.exchangesAbandoned += 1
                rememberedAddress = nil
                actions.append(.log("dhcp: no answer to DHCPREQUEST in \(state.text); restarting discovery"))
                beginDiscovery(now: now)
            }
        case .probing:
            counters.probeTimeouts += 1
            probingLease = nil
            beginDiscovery(now: now)
        case .bound, .renewing, .rebinding:
            leaseTimerFired(now: now)
        }
    }

    private func leaseTimerFired(now: Instant) {
        guard let current = lease else { return beginDiscovery(now: now) }
        // Each transition gets a console line: an operator watching a lease run out should see the
        // client try its server (T1), then any server (T2), then give the address up.
        if now >= current.expiresAt {
            counters.expirations += 1
            rememberedAddress = nil
            withdraw(.leaseExpired)
            actions.append(.log("dhcp: lease on \(current.address.text) ran out in \(state.text); restarting discovery"))
            beginDiscovery(now: now)
        } else if now >= current.rebindAt && state != .rebinding {
            actions.append(.log("dhcp: rebinding \(current.address.text) with any server (lease ends in \(DHCPClient.secondsLeft(until: current.expiresAt, now: now)))"))
            state = .rebinding
            beginExchange(now: now)
            transmit(now: now)
        } else if state == .bound {
            actions.append(.log("dhcp: renewing \(current.address.text) with server \(current.server.text) (lease ends in \(DHCPClient.secondsLeft(until: current.expiresAt, now: now)))"))
            state = .renewing
            beginExchange(now: now)
            transmit(now: now)
        } else {
            transmit(now: now)
        }
    }

    // MARK: - Sending

    /// Sends (or resends) the message the current state is waiting on and arms its retransmission.
    /// Only the sending states (SELECTING, REQUESTING, REBOOTING, RENEWING, REBINDING) call this.
    private func transmit(now: Instant) {
        if transmissions == 0 { firstSentAt = now } else { counters.retransmissions += 1 }
        transmissions += 1
        let secs = UInt16(min(now.since(exchangeStartedAt).nanoseconds / 1_000_000_000, UInt64(UInt16.max)))
        var message = DHCPClientMessage(type: .request, transactionID: transactionID, secondsElapsed: secs,
                                        broadcastReply: true, hardwareAddress: mac, hostName: hostName,
                                        parameterRequestList: DHCPClient.parameterRequestList)
        var destination = DHCPDestination.broadcast
        var backoff = true
        switch state {
        case .selecting:
            message.type = .discover
            discoverSeconds = secs
        case .requesting:
            message.secondsElapsed = discoverSeconds
            message.requestedAddress = offeredAddress
            message.serverIdentifier = selectedServer
        case .rebooting:
            message.requestedAddress = offeredAddress
        case .renewing, .rebinding:
            // `lease` is set in exactly the configured states; the fallback keeps that a non-issue.
            guard let current = lease else { return beginDiscovery(now: now) }
            message.broadcastReply = false
            message.clientAddress = current.address
            backoff = false
            if state == .renewing {
                destination = .server(current.server)
                deadline = DHCPRetransmission.renewalDeadline(now: now, limit: current.rebindAt)
            } else {
                deadline = DHCPRetransmission.renewalDeadline(now: now, limit: current.expiresAt)
            }
        case .stopped, .initial, .probing, .bound:
            return
        }
        if backoff { deadline = now + DHCPRetransmission.delay(afterTransmissions: transmissions, random: &random) }
        send(message, to: destination)
    }

    private func send(_ message: DHCPClientMessage, to destination: DHCPDestination) {
        counters.sent += 1
        actions.append(.send(bytes: message.encoded(), to: destination))
    }
}
