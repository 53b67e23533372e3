import Bytes

/// An echo reply that answered one of our echo requests (for a console `ping`).
public struct ICMPEchoReply: Equatable {
    public let source: IPv4Address
    public let identifier: UInt16
    public let sequence: UInt16
    public let data: [UInt8]
}

extension Interface {
    func receiveICMP(_ packet: IPv4Packet, now: Instant) {
        let message: ICMPMessage
        do {
            message = try ICMPMessage(parsing: packet.payload)
        } catch {
            if error == .badChecksum { counters.icmp.badChecksum += 1 } else { counters.icmp.truncated += 1 }
            return
        }
        switch message.type {
        case ICMPMessage.Kind.echoRequest:
            counters.icmp.echoRequestsReceived += 1
            guard !configuration.isBroadcast(packet.destination) else { counters.icmp.broadcastEchoIgnored += 1; return }
            let result = sendIPv4(to: packet.source, protocol: IPProtocolNumber.icmp, payloadLength: message.view.count,
                                  now: now) { reply, _ in ICMPMessage.writeEchoReply(into: reply, answering: message) }
            if result == .sent || result == .queuedForARP { counters.icmp.echoRepliesSent += 1 }
        case ICMPMessage.Kind.echoReply:
            counters.icmp.echoRepliesReceived += 1
            guard echoReplies.count < InterfaceLimits.maxQueuedEchoReplies else { counters.icmp.echoReplyQueueFull += 1; return }
            echoReplies.append(ICMPEchoReply(source: packet.source, identifier: message.identifier,
                                             sequence: message.sequence, data: message.body.toArray()))
        case ICMPMessage.Kind.destinationUnreachable:
            counters.icmp.unreachableReceived += 1
        default:
            counters.icmp.otherTypes += 1
        }
    }

    /// Sends an echo request carrying `data`.
    public func sendEchoRequest(to destination: IPv4Address, identifier: UInt16, sequence: UInt16, data: ByteView,
                                now: Instant) -> SendResult {
        let result = sendIPv4(to: destination, protocol: IPProtocolNumber.icmp,
                              payloadLength: ICMPMessage.headerLength + data.count, now: now) { message, _ in
            ICMPMessage.writeEchoRequest(into: message, identifier: identifier, sequence: sequence, data: data)
        }
        if result == .sent || result == .queuedForARP { counters.icmp.echoRequestsSent += 1 }
        return result
    }

    /// Takes the oldest echo reply received.
    public func takeEchoReply() -> ICMPEchoReply? {
        echoReplies.isEmpty ? nil : echoReplies.removeFirst()
    }

    /// Sends a destination unreachable about `packet`, unless RFC 1122 3.2.2 forbids it (the offending
    /// packet went to a broadcast, or came from an address that is not a single host) or the rate
    /// limit says no.
    func sendUnreachable(code: UInt8, about packet: IPv4Packet, now: Instant) {
        guard configuration.isConfigured, packet.destination == configuration.address,
              IPv4Configuration.isUsableUnicast(packet.source) else { return }
        guard icmpErrorLimiter.take(now: now) else { counters.icmp.rateLimited += 1; return }
        let quoteLength = min(packet.bytes.count, InterfaceLimits.icmpErrorQuote)
        guard let quoted = packet.bytes.slice(0, quoteLength) else { return }
        let result = sendIPv4(to: packet.source, protocol: IPProtocolNumber.icmp,
                              payloadLength: ICMPMessage.headerLength + quoteLength, now: now) { message, _ in
            ICMPMessage.writeDestinationUnreachable(into: message, code: code, quoting: quoted)
        }
        if result == .sent || result == .queuedForARP { counters.icmp.unreachableSent += 1 }
    }
}
