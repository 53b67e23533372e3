import Bytes

extension Interface {
    /// ICMPv6 input (RFC 4443): echo answered, errors counted, neighbour discovery and MLD passed on.
    func receiveICMPv6(_ packet: IPv6Packet, now: Instant) {
        let message: ICMPv6Message
        do {
            message = try ICMPv6Message(parsing: packet.payload, source: packet.source, destination: packet.destination)
        } catch {
            if error == .badChecksum { counters.icmpv6.badChecksum += 1 } else { counters.icmpv6.truncated += 1 }
            return
        }
        let type = message.type
        switch type {
        case ICMPv6Message.Kind.echoRequest:
            counters.icmpv6.echoRequestsReceived += 1
            // Answered from the address asked (RFC 4443 4.2); never to a group, so no amplification.
            guard ipv6.isOurs(packet.destination) else {
                if packet.destination.isMulticast { counters.icmpv6.multicastEchoIgnored += 1 } else { counters.ipv6.notForUs += 1 }
                return
            }
            var reply = message.view.toArray()
            reply[0] = ICMPv6Message.Kind.echoReply
            if sendICMPv6(reply, to: packet.source, source: packet.destination, now: now) { counters.icmpv6.echoRepliesSent += 1 }
        case ICMPv6Message.Kind.echoReply:
            counters.icmpv6.echoRepliesReceived += 1
        case ICMPv6Message.Kind.destinationUnreachable...ICMPv6Message.Kind.parameterProblem:
            counters.icmpv6.errorsReceived += 1
            if type == ICMPv6Message.Kind.packetTooBig { receivePacketTooBig(message.view, now: now) }
        case ICMPv6Message.Kind.routerAdvertisement, ICMPv6Message.Kind.neighbourSolicitation,
             ICMPv6Message.Kind.neighbourAdvertisement:
            // RFC 4861 6.1, 7.1: hop limit 255 (not forwarded) and code 0, or silently discarded.
            guard packet.hopLimit == NDP.hopLimit, message.code == 0 else { counters.nd.invalid += 1; return }
            if type == ICMPv6Message.Kind.routerAdvertisement { receiveRouterAdvertisement(packet, message.view, now: now) }
            else if type == ICMPv6Message.Kind.neighbourSolicitation { receiveNeighbourSolicitation(packet, message.view, now: now) }
            else { receiveNeighbourAdvertisement(packet, message.view, now: now) }
        case ICMPv6Message.Kind.mldQuery:
            // RFC 3810 5.1.14: link-local source, hop limit 1, router alert; else ignored.
            guard packet.source.isLinkLocal, packet.hopLimit == 1, packet.routerAlert, message.view.count >= 24 else {
                counters.nd.invalid += 1
                return
            }
            counters.nd.mldQueriesReceived += 1
            scheduleQueryResponse(maximumDelayCode: message.view.u16(at: 4), now: now)
        default:
            counters.icmpv6.otherTypes += 1
        }
    }

    /// A packet too big (RFC 4443 3.2) goes to the upper layer whose packet it quotes, which checks the
    /// quote against its own state (RFC 5927). The quote must be of a packet from one of our addresses
    /// with its upper-layer header right after the fixed header (we send TCP with no extension
    /// headers) and at least 8 bytes of it; else it is counted and dropped.
    private func receivePacketTooBig(_ view: ByteView, now: Instant) {
        if let quoted = view.suffix(from: ICMPv6Message.headerLength), quoted.count >= IPv6Packet.headerLength + 8,
           let upper = quoted.suffix(from: IPv6Packet.headerLength) {
            let source = IPv6Address(reading: quoted, at: 8)
            for entry in ipv6Handlers where entry.nextHeader == quoted[6] && ipv6.isOurs(source) {
                entry.handler.packetTooBig(mtu: Int(view.u32(at: 4)), source: source,
                                           destination: IPv6Address(reading: quoted, at: 24), quoted: upper, now: now)
                return
            }
        }
        counters.icmpv6.packetTooBigIgnored += 1
    }

    /// Sends an ICMPv6 error about `offending` (its whole IPv6 packet), unless RFC 4443 2.4 (e) forbids
    /// it (the offender went to a group, or came from an address that is no single host) or the rate
    /// limit says no. It quotes as much as keeps the error within the minimum MTU, 1280 bytes.
    /// `toGroup`: the one exception (e.3) we meet, an unrecognized option of action 10 (RFC 8200 4.2),
    /// answered for a group we listen to too, from the source RFC 6724 picks.
    func sendICMPv6Error(type: UInt8, code: UInt8, parameter: UInt32, about offending: ByteView, toGroup: Bool = false,
                         now: Instant) {
        guard offending.count >= IPv6Packet.headerLength else { return }
        let source = IPv6Address(reading: offending, at: 8)
        let destination = IPv6Address(reading: offending, at: 24)
        let ours = ipv6.isOurs(destination)
        // The offender's source must be another single host: never a group, ::, loopback, or one of our
        // own addresses (forged; answering would resolve our own address). Received packets are checked
        // for that only after their extension headers, which is where this error can come from.
        guard ours || (toGroup && ipv6.listens(to: destination)), !source.isUnspecified, !source.isMulticast,
              !source.isLoopbackOrMapped, ipv6.entry(source) == nil else { return }
        guard ipv6.errorLimiter.take(now: now) else { counters.icmpv6.rateLimited += 1; return }
        let quoteLength = min(offending.count, InterfaceLimits.icmpv6ErrorMessage - IPv6Packet.headerLength - ICMPv6Message.headerLength)
        guard let quoted = offending.slice(0, quoteLength) else { return }
        var m = [UInt8](repeating: 0, count: ICMPv6Message.headerLength + quoteLength)
        m.withMutableByteView { ICMPv6Message.writeError(into: $0, type: type, code: code, parameter: parameter, quoting: quoted) }
        if sendICMPv6(m, to: source, source: ours ? destination : nil, now: now) { counters.icmpv6.errorsSent += 1 }
    }
}
