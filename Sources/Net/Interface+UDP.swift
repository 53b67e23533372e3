import Bytes

extension Interface {
    func receiveUDP(_ packet: IPv4Packet, checksumVouched: Bool, now: Instant) {
        let datagram: UDPDatagram
        do {
            datagram = try UDPDatagram(parsing: packet.payload, source: packet.source, destination: packet.destination,
                                       verifyChecksum: !checksumVouched)
        } catch {
            switch error {
            case .truncated: counters.udp.truncated += 1
            case .badChecksum: counters.udp.badChecksum += 1
            case .badHeader, .fragment, .unsupported: counters.udp.badHeader += 1
            }
            return
        }
        counters.udp.received += 1
        let source = Endpoint(packet.source, datagram.sourcePort)
        switch udpSockets.deliver(port: datagram.destinationPort, source: source, destination: packet.destination,
                                  payload: datagram.payload) {
        case .delivered:
            break
        case .queueFull:
            counters.udp.queueFull += 1
        case .noSocket:
            counters.udp.noSocket += 1
            sendUnreachable(code: ICMPMessage.UnreachableCode.portUnreachable, about: packet, now: now)
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

    /// Sends `payload` from `socket` to `destination`, with a checksum. Works unconfigured for
    /// broadcasts (a DHCP client's 0.0.0.0:68 -> 255.255.255.255:67).
    public func sendUDP(from socket: UDPSocket, to destination: Endpoint, payload: ByteView, now: Instant) -> SendResult {
        guard udpSockets.isOpen(socket) else { return .dropped(.socketClosed) }
        // UDP rides on IPv4 only so far: an IPv6 destination has no route (counted).
        guard let to = destination.address.ipv4 else { counters.ipv4.noRoute += 1; return .dropped(.noRoute) }
        let result = sendIPv4(to: to, protocol: IPProtocolNumber.udp,
                              payloadLength: UDPDatagram.headerLength + payload.count, now: now) { datagram, source in
            UDPDatagram.write(into: datagram, source: Endpoint(source, socket.port), destination: destination, payload: payload)
        }
        if result == .sent || result == .queuedForARP { counters.udp.sent += 1 }
        return result
    }
}
