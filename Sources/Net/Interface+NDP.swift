import Bytes

extension Interface {
    /// A neighbour solicitation (RFC 4861 7.1.1, 7.2.3; RFC 4862 5.4.3): answered for our addresses;
    /// for a tentative one, a solicitation from the unspecified address is another node's DAD for the
    /// same address, so ours is a duplicate.
    func receiveNeighbourSolicitation(_ packet: IPv6Packet, _ message: ByteView, now: Instant) {
        counters.nd.solicitationsReceived += 1
        let source = packet.source
        guard message.count >= NDP.targetMessageLength else { counters.nd.invalid += 1; return }
        let target = IPv6Address(reading: message, at: 8)
        let sourceMAC: MACAddress?
        do {
            sourceMAC = try NDP.linkLayerOption(NDP.Option.sourceLinkLayer, in: message, from: NDP.targetMessageLength)
        } catch { counters.nd.invalid += 1; return }
        // From the unspecified address: only to a solicited-node group, and without an address option.
        guard !target.isMulticast,
              !source.isUnspecified || (packet.destination == target.solicitedNode && sourceMAC == nil) else {
            counters.nd.invalid += 1
            return
        }
        guard let entry = ipv6.entry(target), entry.state != .duplicate else { counters.nd.notForUs += 1; return }
        if entry.state == .tentative {
            if source.isUnspecified { duplicateDetected(target, now: now) }
            return
        }
        if let sourceMAC, !source.isUnspecified, ipv6.neighbours.learn(source, mac: sourceMAC, now: now) {
            counters.nd.cacheEvictions += 1
        }
        // To the asker (solicited, override), or to every node when it asked from no address.
        let flags = (source.isUnspecified ? 0 : NDP.solicitedFlag) | NDP.overrideFlag
        let to = source.isUnspecified ? IPv6Address.allNodes : source
        sendNeighbourAdvertisement(for: target, to: to, flags: flags, now: now)
    }

    /// A neighbour advertisement (RFC 4861 7.1.2, 7.2.5): for a tentative address of ours, another
    /// node has it (RFC 4862 5.4.4); for a neighbour being resolved, the answer; else news of a known one.
    func receiveNeighbourAdvertisement(_ packet: IPv6Packet, _ message: ByteView, now: Instant) {
        counters.nd.advertisementsReceived += 1
        guard message.count >= NDP.targetMessageLength else { counters.nd.invalid += 1; return }
        let flags = message[4]
        let target = IPv6Address(reading: message, at: 8)
        let targetMAC: MACAddress?
        do {
            targetMAC = try NDP.linkLayerOption(NDP.Option.targetLinkLayer, in: message, from: NDP.targetMessageLength)
        } catch { counters.nd.invalid += 1; return }
        let solicited = flags & NDP.solicitedFlag != 0
        guard !target.isMulticast, !(solicited && packet.destination.isMulticast) else { counters.nd.invalid += 1; return }
        // One of our addresses: during DAD, someone else has it; after, a conflict we keep (as for
        // IPv4). An address found duplicate is the other node's: a neighbour like any other.
        if let entry = ipv6.entry(target), entry.state != .duplicate {
            if entry.state == .tentative { duplicateDetected(target, now: now) }
            return
        }
        guard let mac = targetMAC else {
            // Without the option only a known entry's state can change (its MAC stays).
            if let known = ipv6.neighbours.entries.first(where: { $0.address == target }) {
                ipv6.neighbours.advertised(target, mac: known.mac, solicited: solicited, override: false, now: now)
            }
            return
        }
        if ipv6.resolver.isPending(target) {
            if ipv6.neighbours.learn(target, mac: mac, reachable: solicited, now: now) { counters.nd.cacheEvictions += 1 }
            releaseIPv6Waiting(for: target, mac: mac)
        } else {
            ipv6.neighbours.advertised(target, mac: mac, solicited: solicited, override: flags & NDP.overrideFlag != 0, now: now)
        }
    }

    /// A router advertisement (RFC 4861 6.1.2, 6.3.4; RFC 4862 5.5.3): the default router, the hop
    /// limit, reachable time, the router's MAC, on-link prefixes and SLAAC addresses.
    func receiveRouterAdvertisement(_ packet: IPv6Packet, _ message: ByteView, now: Instant) {
        let router = packet.source
        guard router.isLinkLocal, message.count >= NDP.routerAdvertisementLength else { counters.nd.invalid += 1; return }
        // Every option is checked before any is used (a bad one discards the whole message).
        let routerMAC: MACAddress?
        do {
            routerMAC = try NDP.linkLayerOption(NDP.Option.sourceLinkLayer, in: message, from: NDP.routerAdvertisementLength)
        } catch { counters.nd.invalid += 1; return }
        counters.nd.routerAdvertisementsReceived += 1
        ipv6.solicitationsLeft = 0
        ipv6.nextSolicitation = .never
        if message[4] != 0 { ipv6.hopLimit = message[4] }
        let reachable = message.u32(at: 8)
        if reachable != 0 {
            ipv6.neighbours.reachableTime = min(.milliseconds(UInt64(reachable)), IPv6Limits.maxReachableTime)
        }
        let lifetime = message.u16(at: 6)
        if lifetime == 0 {
            ipv6.routers.removeAll { $0.address == router }
        } else if !IPv6State.update(&ipv6.routers, IPv6Timed(address: router, prefixLength: 128,
                                                             until: now + .seconds(UInt64(lifetime))), limit: IPv6Limits.routers) {
            counters.nd.routersFull += 1
        }
        if let routerMAC, ipv6.neighbours.learn(router, mac: routerMAC, now: now) { counters.nd.cacheEvictions += 1 }
        var seen = 0    // prefix options used per advertisement, like the prefixes kept
        try? NDP.forEachOption(in: message, from: NDP.routerAdvertisementLength) { type, option in
            guard type == NDP.Option.prefixInformation, seen < IPv6Limits.prefixes, let p = PrefixInformation(option) else { return }
            seen += 1
            applyPrefix(p, now: now)
        }
    }

    private func applyPrefix(_ p: PrefixInformation, now: Instant) {
        let prefix = p.prefix.masked(prefixLength: p.prefixLength)
        guard !prefix.isLinkLocal, p.prefixLength <= 128, p.preferredLifetime <= p.validLifetime else {
            counters.nd.prefixesRefused += 1
            return
        }
        let validUntil = IPv6State.deadline(after: p.validLifetime, now: now)
        if p.onLink {
            if p.validLifetime == 0 {
                ipv6.prefixes.removeAll { $0.address == prefix && $0.prefixLength == p.prefixLength }
            } else if !IPv6State.update(&ipv6.prefixes, IPv6Timed(address: prefix, prefixLength: p.prefixLength, until: validUntil),
                                        limit: IPv6Limits.prefixes) {
                counters.nd.prefixesFull += 1
            }
        }
        // SLAAC (RFC 4862 5.5.3) needs a 64-bit interface identifier: prefixes of /64 only.
        guard p.autonomous, p.prefixLength == 64 else { return }
        let address = IPv6Address(prefix: prefix, mac: nic.macAddress)
        let preferredUntil = IPv6State.deadline(after: p.preferredLifetime, now: now)
        if let i = ipv6.addresses.firstIndex(where: { $0.address == address }) {
            guard ipv6.addresses[i].origin == .autoconfigured else { return }
            // The two-hour rule (5.5.3 e): an advertisement may lengthen a valid lifetime, or cut it,
            // but not below two hours, so a forged one cannot take the address away at once.
            let remaining = ipv6.addresses[i].validUntil.since(now)
            if validUntil > now + IPv6Limits.twoHours || validUntil > ipv6.addresses[i].validUntil {
                ipv6.addresses[i].validUntil = validUntil
            } else if remaining > IPv6Limits.twoHours {
                ipv6.addresses[i].validUntil = now + IPv6Limits.twoHours
            }
            ipv6.addresses[i].preferredUntil = preferredUntil
            if ipv6.addresses[i].state == .deprecated && preferredUntil > now { ipv6.addresses[i].state = .preferred }
            return
        }
        guard p.validLifetime > 0 else { return }
        if !ipv6.addTentative(address, prefixLength: 64, origin: .autoconfigured, validUntil: validUntil,
                              preferredUntil: preferredUntil, now: now) {
            counters.nd.addressesFull += 1
        }
    }

    /// Another node has `address` (RFC 4862 5.4.5): it is never used.
    private func duplicateDetected(_ address: IPv6Address, now: Instant) {
        guard let i = ipv6.addresses.firstIndex(where: { $0.address == address }) else { return }
        counters.nd.duplicateAddresses += 1
        ipv6.addresses[i].state = .duplicate
        ipv6.groupsChanged(now: now)
    }

    /// An MLDv2 query: answer with our groups after a random part of its maximum response delay.
    func scheduleQueryResponse(maximumDelayCode: UInt16, now: Instant) {
        // Codes from 32768 on are floating point (RFC 3810 5.1.3): long delays; cap them all.
        let delay = min(.milliseconds(UInt64(maximumDelayCode)), IPv6Limits.maxQueryResponseDelay)
        guard ipv6.reportsLeft == 0 else { return }
        ipv6.reportsLeft = 1
        ipv6.reportAnswersQuery = true
        ipv6.nextReport = now + ipv6.randomDelay(below: delay)
    }

    func sendNeighbourSolicitation(for target: IPv6Address, to destination: IPv6Address, now: Instant) {
        // DAD asks from the unspecified address, without an address option (RFC 4862 5.4.2).
        let source = ipv6.entry(target)?.state == .tentative ? IPv6Address.unspecified : ipv6.source(for: target)
        guard let source else { counters.ipv6.noRoute += 1; return }
        let option = source.isUnspecified ? nil : nic.macAddress
        var m = [UInt8](repeating: 0, count: NDP.targetMessageLength + (option == nil ? 0 : NDP.linkLayerOptionLength))
        m.withMutableByteView {
            NDP.writeTargetMessage(into: $0, type: ICMPv6Message.Kind.neighbourSolicitation, flags: 0, target: target,
                                   optionType: NDP.Option.sourceLinkLayer, mac: option)
        }
        if sendICMPv6(m, to: destination, source: source, hopLimit: NDP.hopLimit, now: now) { counters.nd.solicitationsSent += 1 }
    }

    /// An advertisement of `target` (ours) to `to`, from `target`, with our MAC.
    private func sendNeighbourAdvertisement(for target: IPv6Address, to: IPv6Address, flags: UInt8, now: Instant) {
        var m = [UInt8](repeating: 0, count: NDP.targetMessageLength + NDP.linkLayerOptionLength)
        let ours = nic.macAddress
        m.withMutableByteView {
            NDP.writeTargetMessage(into: $0, type: ICMPv6Message.Kind.neighbourAdvertisement, flags: flags, target: target,
                                   optionType: NDP.Option.targetLinkLayer, mac: ours)
        }
        if sendICMPv6(m, to: to, source: target, hopLimit: NDP.hopLimit, now: now) { counters.nd.advertisementsSent += 1 }
    }

    /// Every IPv6 timer due at `now`: resolutions, neighbour probes, DAD, lifetimes, router
    /// solicitations, MLD reports.
    func runIPv6Timers(now: Instant) {
        let (retry, failed) = ipv6.resolver.due(now: now)
        for address in retry { sendNeighbourSolicitation(for: address, to: address.solicitedNode, now: now) }
        for address in failed { counters.nd.resolutionFailed += UInt64(ipv6.waitQueue.take(for: address).count) }
        for address in ipv6.neighbours.due(now: now) { sendNeighbourSolicitation(for: address, to: address, now: now) }
        runAddressTimers(now: now)
        if ipv6.reportsLeft > 0, ipv6.nextReport <= now { sendMLDReport(now: now) }
        if ipv6.solicitationsLeft > 0, ipv6.nextSolicitation <= now {
            ipv6.solicitationsLeft -= 1
            ipv6.nextSolicitation = ipv6.solicitationsLeft > 0 ? now + IPv6Limits.solicitationInterval : .never
            sendRouterSolicitation(now: now)
        }
    }

    /// DAD steps and lifetimes of our addresses, prefixes and routers.
    private func runAddressTimers(now: Instant) {
        var changed = false
        for i in ipv6.addresses.indices {
            let e = ipv6.addresses[i]
            if e.state == .tentative, e.nextStep <= now {
                if e.solicitationsSent < IPv6Limits.dadTransmits {
                    ipv6.addresses[i].solicitationsSent += 1
                    ipv6.addresses[i].nextStep = now + IPv6Limits.retransTimer
                    sendNeighbourSolicitation(for: e.address, to: e.address.solicitedNode, now: now)
                } else {
                    // No one objected: the address is ours (RFC 4862 5.4). With the link-local one,
                    // routers can be asked (RFC 4861 6.3.7), after a random delay.
                    ipv6.addresses[i].state = now < e.preferredUntil ? .preferred : .deprecated
                    changed = true
                    if e.origin == .linkLocal {
                        ipv6.solicitationsLeft = IPv6Limits.solicitations
                        ipv6.nextSolicitation = now + ipv6.randomDelay(below: IPv6Limits.maxSolicitationDelay)
                    }
                }
            } else if e.state == .preferred, e.preferredUntil <= now {
                ipv6.addresses[i].state = .deprecated
                changed = true
            }
        }
        let before = ipv6.addresses.count
        ipv6.addresses.removeAll { $0.validUntil <= now }
        if ipv6.addresses.count != before { ipv6.groupsChanged(now: now) } else if changed { ipv6.generation += 1 }
        ipv6.prefixes.removeAll { $0.until <= now }
        ipv6.routers.removeAll { $0.until <= now }
    }

    private func sendRouterSolicitation(now: Instant) {
        let source = ipv6.source(for: .allRouters) ?? .unspecified
        let mac: MACAddress? = source.isUnspecified ? nil : nic.macAddress
        var m = [UInt8](repeating: 0, count: NDP.routerSolicitationLength + (mac == nil ? 0 : NDP.linkLayerOptionLength))
        m.withMutableByteView { NDP.writeRouterSolicitation(into: $0, mac: mac) }
        if sendICMPv6(m, to: .allRouters, source: source, hopLimit: NDP.hopLimit, now: now) { counters.nd.routerSolicitationsSent += 1 }
    }

    /// One MLDv2 report of every group we listen to (RFC 3810 5.2), from our link-local address or,
    /// before it is ours, from the unspecified address (5.2.13); hop limit 1 with a router alert.
    private func sendMLDReport(now: Instant) {
        ipv6.reportsLeft -= 1
        ipv6.nextReport = now + ipv6.randomDelay(below: IPv6Limits.mldReportInterval)
        let groups = ipv6.groups
        let source = ipv6.source(for: .allMLDv2Routers) ?? .unspecified
        let recordType = ipv6.reportAnswersQuery ? MLDv2.modeIsExclude : MLDv2.changeToExclude
        var m = [UInt8](repeating: 0, count: MLDv2.reportHeaderLength + MLDv2.recordLength * groups.count)
        m.withMutableByteView { MLDv2.writeReport(into: $0, groups: groups, recordType: recordType) }
        if sendICMPv6(m, to: .allMLDv2Routers, source: source, hopLimit: 1, routerAlert: true, now: now) { counters.nd.mldReportsSent += 1 }
    }
}
