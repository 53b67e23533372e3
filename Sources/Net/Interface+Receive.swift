import Bytes

extension Interface {
    /// Ethernet demultiplexing: our MAC, broadcast, or an IPv6 group we listen to; then ARP, IPv4 or IPv6. `checksumVouched`: the NIC
    /// verified the TCP or UDP checksum (see `NetworkInterface.receive`).
    func receiveFrame(_ view: ByteView, checksumVouched: Bool = false, now: Instant) {
        counters.ethernet.rxFrames += 1
        let frame: EthernetFrame
        do { frame = try EthernetFrame(parsing: view) } catch { counters.ethernet.truncated += 1; return }
        let destination = frame.destination
        guard destination == nic.macAddress || destination.isBroadcast || listensToIPv6Group(destination) else {
            counters.ethernet.notForUs += 1
            return
        }
        switch frame.etherType {
        case EtherType.arp: receiveARP(frame.payload, now: now)
        case EtherType.ipv4: receiveIPv4(frame.payload, checksumVouched: checksumVouched, now: now)
        case EtherType.ipv6: receiveIPv6(frame.payload, checksumVouched: checksumVouched, now: now)
        default: counters.ethernet.unknownEtherType += 1
        }
    }

    /// IPv4 validation and demultiplexing to ICMP, UDP or a registered handler.
    func receiveIPv4(_ view: ByteView, checksumVouched: Bool, now: Instant) {
        let packet: IPv4Packet
        do {
            packet = try IPv4Packet(parsing: view)
        } catch {
            switch error {
            case .truncated: counters.ipv4.truncated += 1
            case .badChecksum: counters.ipv4.badChecksum += 1
            case .fragment: counters.ipv4.fragments += 1
            case .badHeader, .unsupported: counters.ipv4.badHeader += 1
            }
            return
        }
        let source = packet.source
        // No host sends from a broadcast, multicast or reserved address (224/4, 240/4), from "this
        // network" (0/8) or loopback (127/8) (RFC 1812 5.3.7 martians), and a packet "from us" is a
        // spoof or a loop.
        let firstOctet = source.value >> 24
        guard firstOctet != 0, firstOctet != 127, source.value >> 28 < 0xE, source != configuration.subnetBroadcast,
              !(configuration.isConfigured && source == configuration.address) else {
            counters.ipv4.badSource += 1
            return
        }
        let protocolNumber = packet.protocolNumber
        // Unconfigured, a DHCP client must see the server's unicast offer to the address it will get.
        let forUs = configuration.accepts(packet.destination)
            || !configuration.isConfigured && protocolNumber == IPProtocolNumber.udp
        guard forUs else { counters.ipv4.notForUs += 1; return }
        counters.ipv4.received += 1
        switch protocolNumber {
        case IPProtocolNumber.icmp: receiveICMP(packet, now: now)
        case IPProtocolNumber.udp: receiveUDP(packet, checksumVouched: checksumVouched, now: now)
        default: deliverToHandler(packet, checksumVouched: checksumVouched, now: now)
        }
    }

    /// Registered protocols (TCP) see only unicast to our address: they are connection-oriented.
    private func deliverToHandler(_ packet: IPv4Packet, checksumVouched: Bool, now: Instant) {
        guard let handler = registeredHandler(for: packet.protocolNumber) else {
            counters.ipv4.unknownProtocol += 1
            sendUnreachable(code: ICMPMessage.UnreachableCode.protocolUnreachable, about: packet, now: now)
            return
        }
        guard packet.destination == configuration.address else { counters.ipv4.notForUs += 1; return }
        handler.receive(source: packet.source, destination: packet.destination, payload: packet.payload,
                        checksumVouched: checksumVouched, now: now)
    }

    /// 33:33 and the low 32 bits of all-nodes or of one of our solicited-node groups (RFC 2464 7).
    private func listensToIPv6Group(_ mac: MACAddress) -> Bool {
        guard ipv6Enabled, mac.value >> 32 == 0x3333 else { return false }
        let low = mac.value & 0xFFFF_FFFF
        return low == 1 || ipv6.addresses.contains { $0.address.solicitedNode.low & 0xFFFF_FFFF == low }
    }
}
