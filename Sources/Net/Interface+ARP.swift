import Bytes

extension Interface {
    /// ARP input (RFC 826 with RFC 5227 conflict checks): learn, answer requests for our own address,
    /// and release packets waiting for the sender.
    func receiveARP(_ view: ByteView, now: Instant) {
        let packet: ARPPacket
        do {
            packet = try ARPPacket(parsing: view)
        } catch {
            if error == .truncated { counters.arp.truncated += 1 } else { counters.arp.unsupported += 1 }
            return
        }
        switch packet.operation {
        case .request: counters.arp.requestsReceived += 1
        case .reply: counters.arp.repliesReceived += 1
        }
        guard !packet.senderMAC.isMulticast, packet.senderMAC != nic.macAddress else {
            counters.arp.badSender += 1
            return
        }
        probe?.observe(packet, ourMAC: nic.macAddress)
        guard configuration.isConfigured else { return }
        let ours = configuration.address
        let sender = packet.senderIP
        if sender == ours {
            // Someone else claims our address. We keep it (no defence in this appliance) but say so.
            counters.arp.addressConflicts += 1
            return
        }
        // Merge (RFC 826): a known sender is refreshed whatever the target. A new entry is made only for a
        // neighbour that asks us, or that answers a question we asked (as Linux does): unsolicited
        // replies and strangers cannot fill or poison the cache.
        var learned = false
        if sender != .any, arpCache.contains(sender) {
            arpCache.insert(sender, mac: packet.senderMAC, now: now)
            learned = true
        }
        if packet.targetIP == ours {
            let solicited = packet.operation == .request || resolver.isPending(IPv6Address(mapping: sender))
            if !learned, solicited, configuration.isNeighbour(sender) {
                if arpCache.insert(sender, mac: packet.senderMAC, now: now) { counters.arp.cacheEvictions += 1 }
                learned = true
            }
            if packet.operation == .request { sendARPReply(to: packet) }
        } else if packet.operation == .request {
            counters.arp.notForUs += 1
        }
        if learned, resolver.isPending(IPv6Address(mapping: sender)) { releaseWaiting(for: sender, mac: packet.senderMAC) }
    }

    /// Sends, oldest first, the packets that waited for `nextHop`.
    private func releaseWaiting(for nextHop: IPv4Address, mac: MACAddress) {
        let key = IPv6Address(mapping: nextHop)
        resolver.resolved(key)
        for p in waitQueue.take(for: key) {
            _ = emitIPv4(to: mac, source: p.source.mappedIPv4, destination: p.destination.mappedIPv4, protocolNumber: p.protocolNumber,
                         payloadLength: p.payload.count, offload: p.offload) { payload, _ in payload.copy(p.payload, to: 0) }
        }
    }

    func sendARPRequest(for address: IPv4Address) {
        let request = ARPPacket(operation: .request, senderMAC: nic.macAddress, senderIP: configuration.address,
                                targetMAC: .zero, targetIP: address)
        if sendARP(request, to: .broadcast) { counters.arp.requestsSent += 1 }
    }

    private func sendARPReply(to request: ARPPacket) {
        let reply = ARPPacket(operation: .reply, senderMAC: nic.macAddress, senderIP: configuration.address,
                              targetMAC: request.senderMAC, targetIP: request.senderIP)
        if sendARP(reply, to: request.senderMAC) { counters.arp.repliesSent += 1 }
    }

    /// A gratuitous ARP (RFC 5227 announcement): a request with sender and target both our address.
    func sendAnnouncement() {
        guard configuration.isConfigured else { return }
        let ours = configuration.address
        let announcement = ARPPacket(operation: .request, senderMAC: nic.macAddress, senderIP: ours,
                                     targetMAC: .zero, targetIP: ours)
        if sendARP(announcement, to: .broadcast) { counters.arp.announcementsSent += 1 }
    }

    /// An RFC 5227 probe: sender IP 0.0.0.0, so no neighbour's cache learns an address not yet ours.
    func sendProbe(for candidate: IPv4Address) {
        let probePacket = ARPPacket(operation: .request, senderMAC: nic.macAddress, senderIP: .any,
                                    targetMAC: .zero, targetIP: candidate)
        if sendARP(probePacket, to: .broadcast) { counters.arp.probesSent += 1 }
    }

    private func sendARP(_ packet: ARPPacket, to destination: MACAddress) -> Bool {
        transmitFrame(to: destination, etherType: EtherType.arp, payloadLength: ARPPacket.length) { packet.write(into: $0) }
    }

    /// Starts RFC 5227 conflict detection for `address` (the DHCP client's offered address); watch
    /// `probe?.status` until it is `.clear` or `.conflict`. Replaces any probe in progress.
    /// Starts RFC 5227 conflict detection for `address`; `seed` randomises the probe schedule.
    public func startARPProbe(for address: IPv4Address, now: Instant, seed: UInt64) {
        probe = ARPProbe(address: address, now: now, seed: seed)
        runTimers(now: now)
        flush()
    }

    public func cancelARPProbe() { probe = nil }

    /// How far the link-layer address of `destination`'s next hop is known.
    public enum Resolution: Equatable {
        /// Known (or not needed: broadcast): a packet sent now leaves at once.
        case resolved
        /// Packets to it wait in the ARP queue, until an answer sends them or ARP gives up
        /// (`ARPResolver.maxRequests` requests, `requestInterval` apart) and drops them.
        case pending
        /// Neither: never asked for, ARP gave up, or there is no route.
        case unresolved
    }

    /// Where the next hop towards `destination` stands, so a caller can tell whether what it queued
    /// behind ARP has left (a DHCP RELEASE must leave before the address it comes from is withdrawn).
    public func resolution(of destination: IPv4Address, now: Instant) -> Resolution {
        switch configuration.nextHop(for: destination) {
        case .broadcast?: return .resolved
        case .neighbour(let hop)?:
            if waitQueue.holds(for: IPv6Address(mapping: hop)) { return .pending }
            return arpCache.lookup(hop, now: now) == nil ? .unresolved : .resolved
        case nil: return .unresolved
        }
    }
}
