import Bytes

extension Interface {
    /// UDP over IPv4; a datagram for a port no socket holds draws an ICMP port unreachable.
    func receiveUDP(_ packet: IPv4Packet, checksumVouched: Bool, now: Instant) {
        guard deliverUDP(packet.payload, source: IPAddress(packet.source), destination: IPAddress(packet.destination),
                         checksumVouched: checksumVouched) else { return }
        sendUnreachable(code: ICMPMessage.UnreachableCode.portUnreachable, about: packet, now: now)
    }

    /// UDP over IPv6 (only to one of our usable unicast addresses); a datagram for a port no socket
    /// holds draws an ICMPv6 port unreachable (RFC 4443 3.1, code 4), rate-limited with the other errors.
    func receiveUDP(_ packet: IPv6Packet, checksumVouched: Bool, now: Instant) {
        guard deliverUDP(packet.payload, source: IPAddress(packet.source), destination: IPAddress(packet.destination),
                         checksumVouched: checksumVouched) else { return }
        sendICMPv6Error(type: ICMPv6Message.Kind.destinationUnreachable, code: ICMPv6Message.UnreachableCode.portUnreachable,
                        parameter: 0, about: packet.bytes, now: now)
    }

    /// Both families' UDP input: parses, counts, and queues the datagram on the socket bound to its
    /// port. True when no socket holds that port (the caller answers with its family's unreachable).
    private func deliverUDP(_ payload: ByteView, source: IPAddress, destination: IPAddress, checksumVouched: Bool) -> Bool {
        let datagram: UDPDatagram
        do {
            datagram = try UDPDatagram(parsing: payload, source: source, destination: destination,
                                       verifyChecksum: !checksumVouched)
        } catch {
            switch error {
            case .truncated: counters.udp.truncated += 1
            case .badChecksum: counters.udp.badChecksum += 1
            case .badHeader, .fragment, .unsupported: counters.udp.badHeader += 1
            }
            return false
        }
        counters.udp.received += 1
        switch udpSockets.deliver(port: datagram.destinationPort, source: Endpoint(source, datagram.sourcePort),
                                  destination: destination, payload: datagram.payload) {
        case .delivered:
            return false
        case .queueFull:
            counters.udp.queueFull += 1
            return false
        case .noSocket:
            counters.udp.noSocket += 1
            return true
        }
    }

    /// Binds a UDP socket to `port` on every address of this interface (broadcasts included).
    public func bindUDP(port: UInt16) throws(UDPSocketTable.BindError) -> UDPSocket {
        try udpSockets.bind(port: port)
    }

    /// Closes `socket`; queued datagrams are discarded.
    public func closeUDP(_ socket: UDPSocket) { udpSockets.close(socket) }

    /// Takes the oldest datagram queued on `socket`.
    public func receiveUDP(_ socket: UDPSocket) -> UDPReceivedDatagram? { udpSockets.receive(socket) }

    /// Datagrams waiting on `socket`.
    public func queuedUDPCount(_ socket: UDPSocket) -> Int { udpSockets.queuedCount(socket) }

    /// Sends `payload` from `socket` to `destination` (either family), with a checksum. Works
    /// unconfigured for IPv4 broadcasts (a DHCP client's 0.0.0.0:68 -> 255.255.255.255:67). Over IPv6
    /// the source is chosen by RFC 6724 for the destination, and the datagram is built in a buffer of its
    /// own first, to leave by ICMPv6's path (one frame-writing routine in the kernel for both).
    public func sendUDP(from socket: UDPSocket, to destination: Endpoint, payload: ByteView, now: Instant) -> SendResult {
        guard udpSockets.isOpen(socket) else { return .dropped(.socketClosed) }
        let length = UDPDatagram.headerLength + payload.count
        let result: SendResult
        if let to = destination.address.ipv4 {
            result = sendIPv4(to: to, protocol: IPProtocolNumber.udp, payloadLength: length, now: now) { datagram, source in
                UDPDatagram.write(into: datagram, source: Endpoint(source, socket.port), destination: destination, payload: payload)
            }
        } else {
            var datagram = [UInt8](repeating: 0, count: length)
            datagram.withMutableByteView {
                UDPDatagram.writeUnchecksummed(into: $0, sourcePort: socket.port, destinationPort: destination.port, payload: payload)
            }
            result = sendIPv6Message(datagram, nextHeader: IPProtocolNumber.udp, to: destination.address.bits, source: nil, now: now)
        }
        if result == .sent || result == .queuedForARP { counters.udp.sent += 1 }
        return result
    }

    /// Whether `address` is this interface's own unicast address: the configured IPv4 one or a usable
    /// IPv6 one (not a broadcast, a group, or an address still on trial).
    public func isOwnUnicast(_ address: IPAddress) -> Bool {
        if let v4 = address.ipv4 { return configuration.isConfigured && v4 == configuration.address }
        return ipv6.isOurs(address.bits)
    }
}
