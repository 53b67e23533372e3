import Bytes

extension Interface {
    /// Starts IPv6: the EUI-64 link-local address (RFC 4291 appendix A) and `manual` (a static
    /// `ip6=`, on-link with its prefix) go through duplicate address detection, the solicited-node
    /// groups are reported (MLDv2), and once the link-local address is ours, routers are solicited
    /// (SLAAC and a default router from their advertisements). `gateway`: a static default router.
    /// `seed` spreads the RFCs' random delays. Until this is called, IPv6 frames are counted as an
    /// unknown EtherType and nothing IPv6 is sent.
    public func startIPv6(manual: (address: IPv6Address, prefixLength: Int)? = nil, gateway: IPv6Address? = nil,
                          now: Instant, seed: UInt64) {
        var state = IPv6State(seed: seed)
        _ = state.addTentative(IPv6Address(prefix: .linkLocalPrefix, mac: nic.macAddress), prefixLength: 64,
                               origin: .linkLocal, now: now)
        if let manual {
            _ = state.addTentative(manual.address, prefixLength: manual.prefixLength, origin: .manual, now: now)
            state.prefixes.append(IPv6Timed(address: manual.address.masked(prefixLength: manual.prefixLength),
                                            prefixLength: manual.prefixLength, until: .never))
        }
        if let gateway { state.routers.append(IPv6Timed(address: gateway, prefixLength: 128, until: .never)) }
        ipv6 = state
        ipv6Enabled = true
        runIPv6Timers(now: now)
        flush()
    }

    /// Registers the upper layer for `nextHeader` over IPv6 (TCP: 6). ICMPv6 and UDP are Net's own.
    public func registerIPv6(_ handler: IPv6ProtocolHandler, forNextHeader nextHeader: UInt8) throws(ProtocolRegistrationError) {
        guard nextHeader != IPv6Packet.NextHeader.icmpv6, nextHeader != IPProtocolNumber.udp else { throw .reservedProtocol }
        guard !ipv6Handlers.contains(where: { $0.nextHeader == nextHeader }) else { throw .alreadyRegistered }
        ipv6Handlers.append((nextHeader, handler))
    }

    /// IPv6 validation (RFC 8200) and demultiplexing to ICMPv6, UDP or a registered upper layer.
    func receiveIPv6(_ view: ByteView, checksumVouched: Bool, now: Instant) {
        guard ipv6Enabled else { counters.ethernet.unknownEtherType += 1; return }
        let packet: IPv6Packet
        do {
            packet = try IPv6Packet(parsing: view)
        } catch {
            countRefused(error, view, now: now)
            return
        }
        let source = packet.source
        let destination = packet.destination
        guard !source.isMulticast, !source.isLoopbackOrMapped, !ipv6.isOurs(source) else {
            counters.ipv6.badSource += 1
            return
        }
        // Tentative addresses receive only neighbour discovery (RFC 4862 5.4), which checks for itself.
        let ours = ipv6.isOurs(destination)
        guard ours || ipv6.listens(to: destination)
              || (packet.nextHeader == IPv6Packet.NextHeader.icmpv6 && ipv6.entry(destination) != nil) else {
            counters.ipv6.notForUs += 1
            return
        }
        counters.ipv6.received += 1
        if packet.nextHeader == IPv6Packet.NextHeader.icmpv6 { receiveICMPv6(packet, now: now); return }
        if packet.nextHeader == IPv6Packet.NextHeader.noNextHeader { return }
        if packet.nextHeader == IPProtocolNumber.udp {
            if ours { receiveUDP(packet, checksumVouched: checksumVouched, now: now) } else { counters.ipv6.notForUs += 1 }
            return
        }
        guard let entry = ipv6Handlers.first(where: { $0.nextHeader == packet.nextHeader }) else {
            counters.ipv6.unknownNextHeader += 1
            sendICMPv6Error(type: ICMPv6Message.Kind.parameterProblem, code: ICMPv6Message.ProblemCode.unrecognizedNextHeader,
                            parameter: UInt32(packet.nextHeaderOffset), about: packet.bytes, now: now)
            return
        }
        guard ours else { counters.ipv6.notForUs += 1; return }
        entry.handler.receive(source: source, destination: destination, payload: packet.payload,
                              checksumVouched: checksumVouched, now: now)
    }

    @inline(never)
    private func countRefused(_ error: IPv6PacketError, _ view: ByteView, now: Instant) {
        switch error {
        case .truncated: counters.ipv6.truncated += 1
        case .badHeader: counters.ipv6.badHeader += 1
        case .fragment: counters.ipv6.fragments += 1
        case .jumbogram: counters.ipv6.jumbograms += 1
        case .routingHeader: counters.ipv6.routingHeaders += 1
        case .tooManyExtensionHeaders: counters.ipv6.tooManyExtensionHeaders += 1
        case .unknownOption(let pointer, let action):
            counters.ipv6.unknownOptions += 1
            // RFC 8200 4.2: 10 asks for a parameter problem always, 11 only when not sent to multicast.
            let destination = IPv6Address(reading: view, at: 24)
            if action == 2 || (action == 3 && !destination.isMulticast),
               let bytes = view.slice(0, min(view.count, IPv6Packet.headerLength + Int(view.u16(at: 4)))) {
                sendICMPv6Error(type: ICMPv6Message.Kind.parameterProblem, code: ICMPv6Message.ProblemCode.unrecognizedOption,
                                parameter: UInt32(pointer), about: bytes, toGroup: action == 2, now: now)
            }
        }
    }

    /// Sends an IPv6 packet of `payloadLength` upper-layer bytes to `destination`. The source is
    /// `source` when given (it must be ours), else chosen by RFC 6724 for `destination`. Multicast goes
    /// to its group MAC; unicast to the next hop's MAC, resolved by neighbour discovery first when
    /// unknown (the packet is then copied into the wait queue, as for ARP). `fill` writes the payload
    /// and is told the source, for the pseudo-header (`IPv6Packet.pseudoHeaderChecksum`). Drops are
    /// counted before returning. `routerAlert`: MLD's hop-by-hop router alert option.
    /// `offload` (only for a NIC that offers checksum offload; never to cut, as no NIC here cuts IPv6)
    /// leaves the transport checksum to the NIC.
    public func sendIPv6(to destination: IPv6Address, nextHeader: UInt8, payloadLength: Int, source: IPv6Address? = nil,
                         hopLimit: UInt8? = nil, routerAlert: Bool = false, offload: TransportOffload? = nil, now: Instant,
                         fill: (_ payload: MutableByteView, _ source: IPv6Address) -> Void) -> SendResult {
        let hops = hopLimit ?? ipv6.hopLimit
        switch routeIPv6(to: destination, nextHeader: nextHeader, payloadLength: payloadLength, source: source,
                         routerAlert: routerAlert, now: now) {
        case .dropped(let reason):
            return .dropped(reason)
        case .emit(let mac, let from):
            return emitIPv6(to: mac, source: from, destination: destination, nextHeader: nextHeader,
                            payloadLength: payloadLength, hopLimit: hops, routerAlert: routerAlert, offload: offload,
                            fill: fill)
        case .queue(let nextHop, let from):
            var payload = [UInt8](repeating: 0, count: payloadLength)
            payload.withMutableByteView { fill($0, from) }
            queueIPv6(payload, nextHop: nextHop, source: from, destination: destination, nextHeader: nextHeader,
                      offload: offload)
            return .queuedForARP
        }
    }

    /// A packet waits for its next hop's resolution. It leaves with the default hop limit and no router
    /// alert: only ND and MLD set others, and they send to multicast or to neighbours already known.
    private func queueIPv6(_ payload: [UInt8], nextHop: IPv6Address, source: IPv6Address, destination: IPv6Address,
                           nextHeader: UInt8, offload: TransportOffload? = nil) {
        ipv6.waitQueue.enqueue(NeighbourWaitQueue.Packet(nextHop: nextHop, source: source, destination: destination,
                                                          protocolNumber: nextHeader, payload: payload, offload: offload))
    }

    /// Where a packet goes (everything `sendIPv6` decides before writing): out now to a MAC, into the
    /// wait queue behind a resolution it starts, or nowhere (counted). Kept apart from the writing so
    /// each caller's `fill` specialises only the short part.
    @inline(never)
    private func routeIPv6(to destination: IPv6Address, nextHeader: UInt8, payloadLength: Int, source: IPv6Address?,
                           routerAlert: Bool, now: Instant) -> IPv6Route {
        guard ipv6Enabled else { counters.ipv6.noRoute += 1; return .dropped(.noRoute) }
        let extra = routerAlert ? IPv6Packet.routerAlertLength : 0
        guard payloadLength >= 0, IPv6Packet.headerLength + extra + payloadLength <= nic.mtu else {
            counters.ipv6.tooLarge += 1
            return .dropped(.tooLarge)
        }
        // :: and ::1 are nobody's address on the wire; nor is an IPv4-mapped one.
        guard !destination.isUnspecified, !destination.isLoopbackOrMapped,
              let from = source ?? ipv6.source(for: destination) else {
            counters.ipv6.noRoute += 1
            return .dropped(.noRoute)
        }
        if destination.isMulticast { return .emit(destination.multicastMAC, from) }
        guard let nextHop = ipv6.nextHop(for: destination) else {
            counters.ipv6.noRoute += 1
            return .dropped(.noRoute)
        }
        if let mac = ipv6.neighbours.use(nextHop, now: now) { return .emit(mac, from) }
        guard ipv6.waitQueue.canHold(payloadLength: payloadLength) else {
            counters.nd.queueFull += 1
            return .dropped(.arpQueueFull)
        }
        switch ipv6.resolver.start(nextHop, now: now) {
        case .full:
            counters.nd.pendingFull += 1
            return .dropped(.arpPendingFull)
        case .sendRequest:
            sendNeighbourSolicitation(for: nextHop, to: nextHop.solicitedNode, now: now)
        case .alreadyPending:
            break
        }
        return .queue(nextHop, from)
    }

    /// Sends an ICMPv6 message (neighbour discovery, MLD, echo replies, errors) through
    /// `sendIPv6Message`. True when it was sent or queued for resolution.
    func sendICMPv6(_ message: [UInt8], to destination: IPv6Address, source: IPv6Address?, hopLimit: UInt8? = nil,
                    routerAlert: Bool = false, now: Instant) -> Bool {
        if case .dropped = sendIPv6Message(message, nextHeader: IPv6Packet.NextHeader.icmpv6, to: destination, source: source,
                                           hopLimit: hopLimit, routerAlert: routerAlert, now: now) { return false }
        return true
    }

    /// Sends an upper-layer message whose bytes are ready but for the checksum (ICMPv6's, and UDP over
    /// IPv6). Its checksum is finished once the route has chosen the source, and the bytes leave through
    /// `emitIPv6Bytes`, the path queued packets take too: the kernel holds one copy of the
    /// frame-writing code for all of them.
    func sendIPv6Message(_ message: [UInt8], nextHeader: UInt8, to destination: IPv6Address, source: IPv6Address?,
                         hopLimit: UInt8? = nil, routerAlert: Bool = false, now: Instant) -> SendResult {
        let route = routeIPv6(to: destination, nextHeader: nextHeader, payloadLength: message.count,
                              source: source, routerAlert: routerAlert, now: now)
        var m = message
        switch route {
        case .dropped(let reason):
            return .dropped(reason)
        case .emit(let mac, let from):
            m.withMutableByteView { IPv6Packet.finishChecksum($0, nextHeader: nextHeader, source: from, destination: destination) }
            return emitIPv6Bytes(m, to: mac, source: from, destination: destination, nextHeader: nextHeader,
                                 hopLimit: hopLimit ?? ipv6.hopLimit, routerAlert: routerAlert)
        case .queue(let nextHop, let from):
            m.withMutableByteView { IPv6Packet.finishChecksum($0, nextHeader: nextHeader, source: from, destination: destination) }
            queueIPv6(m, nextHop: nextHop, source: from, destination: destination, nextHeader: nextHeader)
            return .queuedForARP
        }
    }

    /// Emits a payload already written (and checksummed).
    private func emitIPv6Bytes(_ payload: [UInt8], to mac: MACAddress, source: IPv6Address, destination: IPv6Address,
                               nextHeader: UInt8, hopLimit: UInt8, routerAlert: Bool = false,
                               offload: TransportOffload? = nil) -> SendResult {
        emitIPv6(to: mac, source: source, destination: destination, nextHeader: nextHeader, payloadLength: payload.count,
                 hopLimit: hopLimit, routerAlert: routerAlert, offload: offload) { view, _ in view.copy(payload, to: 0) }
    }

    /// Writes Ethernet and IPv6 headers and lets `fill` write the payload, in one transmit buffer.
    func emitIPv6(to mac: MACAddress, source: IPv6Address, destination: IPv6Address, nextHeader: UInt8,
                  payloadLength: Int, hopLimit: UInt8, routerAlert: Bool = false, offload: TransportOffload? = nil,
                  fill: (MutableByteView, IPv6Address) -> Void) -> SendResult {
        let headerLength = IPv6Packet.headerLength + (routerAlert ? IPv6Packet.routerAlertLength : 0)
        let sent = transmitFrame(to: mac, etherType: EtherType.ipv6, payloadLength: headerLength + payloadLength,
                                 offload: offload.map { FrameOffload($0, ipHeaderLength: headerLength) }) { ip in
            IPv6Packet.writeHeader(into: ip, source: source, destination: destination, nextHeader: nextHeader,
                                   payloadLength: headerLength - IPv6Packet.headerLength + payloadLength,
                                   hopLimit: hopLimit, routerAlert: routerAlert)
            guard let payload = ip.slice(headerLength, payloadLength) else { preconditionFailure("IPv6 payload slice") }
            fill(payload, source)
        }
        guard sent else { return .dropped(.txBufferUnavailable) }
        counters.ipv6.sent += 1
        return .sent
    }

    /// Sends, oldest first, the packets that waited for `nextHop`.
    func releaseIPv6Waiting(for nextHop: IPv6Address, mac: MACAddress) {
        ipv6.resolver.resolved(nextHop)
        let hopLimit = ipv6.hopLimit
        for p in ipv6.waitQueue.take(for: nextHop) {
            _ = emitIPv6Bytes(p.payload, to: mac, source: p.source, destination: p.destination, nextHeader: p.protocolNumber,
                              hopLimit: hopLimit, offload: p.offload)
        }
    }
}

/// `Interface.sendIPv6`'s decision.
enum IPv6Route {
    case emit(MACAddress, IPv6Address)
    case queue(IPv6Address, IPv6Address)
    case dropped(SendDropReason)
}
