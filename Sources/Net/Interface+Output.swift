import Bytes

extension Interface {
    /// Sends an IPv4 packet of `payloadLength` payload bytes to `destination`. When the next hop's MAC
    /// is known, `fill` writes the payload straight into the NIC's transmit buffer; otherwise into a
    /// copy that waits in the ARP queue. `fill` is told the source address chosen (ours, or 0.0.0.0
    /// while unconfigured) for pseudo-header checksums. Drops are counted before returning.
    ///
    /// With `offload` (only for a NIC whose `transmitOffloads.checksum` is set) `fill` leaves the
    /// pseudo-header sum in the transport checksum field and the NIC finishes it; with a `segmentSize`
    /// the packet may be as large as the NIC's `segmentationLimit`, and the NIC cuts it.
    ///
    /// With `lent`, the payload's last `lent.count` bytes are those, by reference (see
    /// `NetworkInterface.transmit(length:offload:payload:_:)`), and `fill` is lent only the bytes before.
    public func sendIPv4(to destination: IPv4Address, protocol protocolNumber: UInt8, payloadLength: Int,
                         offload: TransportOffload? = nil, lent: LentBytes? = nil, now: Instant,
                         fill: (_ payload: MutableByteView, _ source: IPv4Address) -> Void) -> SendResult {
        let segmented = (offload?.segmentSize ?? 0) > 0
        let limit = segmented ? nic.transmitOffloads.segmentationLimit : min(nic.mtu, IPv4Packet.maximumLength)
        guard payloadLength >= 0, IPv4Packet.minimumHeaderLength + payloadLength <= limit else {
            counters.ipv4.tooLarge += 1
            return .dropped(.tooLarge)
        }
        guard let hop = configuration.nextHop(for: destination) else {
            counters.ipv4.noRoute += 1
            return .dropped(.noRoute)
        }
        let source = configuration.address
        switch hop {
        case .broadcast:
            return emitIPv4(to: .broadcast, source: source, destination: destination, protocolNumber: protocolNumber,
                            payloadLength: payloadLength, offload: offload, lent: lent, fill: fill)
        case .neighbour(let nextHop):
            if let mac = arpCache.lookup(nextHop, now: now) {
                if arpCache.expiresSoon(nextHop, now: now), resolver.start(IPv6Address(mapping: nextHop), now: now) == .sendRequest {
                    sendARPRequest(for: nextHop)
                }
                return emitIPv4(to: mac, source: source, destination: destination, protocolNumber: protocolNumber,
                                payloadLength: payloadLength, offload: offload, lent: lent, fill: fill)
            }
            return queueForResolution(nextHop: nextHop, source: source, destination: destination,
                                      protocolNumber: protocolNumber, payloadLength: payloadLength, offload: offload,
                                      lent: lent, now: now, fill: fill)
        }
    }

    private func queueForResolution(nextHop: IPv4Address, source: IPv4Address, destination: IPv4Address,
                                    protocolNumber: UInt8, payloadLength: Int, offload: TransportOffload?,
                                    lent: LentBytes?, now: Instant,
                                    fill: (MutableByteView, IPv4Address) -> Void) -> SendResult {
        guard waitQueue.canHold(payloadLength: payloadLength) else {
            counters.arp.queueFull += 1
            return .dropped(.arpQueueFull)
        }
        switch resolver.start(IPv6Address(mapping: nextHop), now: now) {
        case .full:
            counters.arp.pendingFull += 1
            return .dropped(.arpPendingFull)
        case .sendRequest:
            sendARPRequest(for: nextHop)
        case .alreadyPending:
            break   // the resolver's schedule decides when to ask again
        }
        // The packet waits in a copy of its own: a lent payload's owner is not kept that long.
        var payload = [UInt8](repeating: 0, count: payloadLength)
        payload.withMutableByteView { view in LentBytes.fill(view, endingWith: lent) { fill($0, source) } }
        waitQueue.enqueue(ARPWaitQueue.Packet(nextHop: IPv6Address(mapping: nextHop), source: IPv6Address(mapping: source),
                                              destination: IPv6Address(mapping: destination),
                                              protocolNumber: protocolNumber, payload: payload, offload: offload))
        return .queuedForARP
    }

    /// Writes Ethernet and IPv4 headers and lets `fill` write the payload (all but `lent`'s bytes), in
    /// one transmit buffer.
    func emitIPv4(to mac: MACAddress, source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8,
                  payloadLength: Int, offload: TransportOffload?, lent: LentBytes? = nil,
                  fill: (MutableByteView, IPv4Address) -> Void) -> SendResult {
        let identification = nextIdentification
        let headerLength = IPv4Packet.minimumHeaderLength
        let filled = payloadLength - (lent?.count ?? 0)     // worked out here: the closure captures no `lent`
        // The NIC numbers the segments it cuts from here on (as Linux's GSO does), so skip past them.
        nextIdentification &+= UInt16(truncatingIfNeeded: offload?.packetCount(payloadLength: payloadLength) ?? 1)
        let sent = transmitFrame(to: mac, etherType: EtherType.ipv4, payloadLength: headerLength + payloadLength,
                                 offload: offload.map { FrameOffload($0, ipHeaderLength: headerLength) }, lent: lent) { ip in
            IPv4Packet.writeHeader(into: ip, source: source, destination: destination, protocolNumber: protocolNumber,
                                   payloadLength: payloadLength, identification: identification)
            guard let payload = ip.slice(headerLength, filled) else { preconditionFailure("IPv4 payload slice") }
            fill(payload, source)
        }
        guard sent else { return .dropped(.txBufferUnavailable) }
        counters.ipv4.sent += 1
        return .sent
    }

    /// Borrows a NIC transmit buffer for one frame, writes the Ethernet header (and zero padding), and
    /// lets `fill` write the `payloadLength`-byte payload, less `lent`'s bytes at its end, which the NIC
    /// takes by reference or copies itself. False, counted, when no buffer is free.
    func transmitFrame(to destination: MACAddress, etherType: UInt16, payloadLength: Int,
                       offload: FrameOffload? = nil, lent: LentBytes? = nil, fill: (MutableByteView) -> Void) -> Bool {
        let length = EthernetFrame.length(payloadLength: payloadLength)
        let lentCount = lent?.count ?? 0
        // Lent bytes end the frame, so it is never short enough to need padding after them.
        precondition(lentCount == 0 || length == EthernetFrame.headerLength + payloadLength, "lent payload in a padded frame")
        let filled = payloadLength - lentCount
        let source = nic.macAddress
        let sent = nic.transmit(length: length, offload: offload, payload: lent) { frame in
            // A buffer of another length would be a driver bug, not bad input.
            precondition(frame.count == length - lentCount, "NIC lent a transmit buffer of the wrong length")
            EthernetFrame.writeHeader(into: frame, destination: destination, source: source,
                                      etherType: etherType, payloadLength: filled)
            guard let payload = frame.slice(EthernetFrame.headerLength, filled) else { return }
            fill(payload)
        }
        if sent {
            counters.ethernet.txFrames += 1
            transmitPending = true
        } else {
            counters.ethernet.txBufferUnavailable += 1
        }
        return sent
    }
}
