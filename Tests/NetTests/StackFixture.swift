import Bytes
@testable import Net

/// One stack on a FrameQueueNIC at 192.168.1.10/24 (gateway .1), the peer at .2, and a virtual time.
final class StackFixture {
    static let ourIP = IPv4Address(192, 168, 1, 10)
    static let peerIP = IPv4Address(192, 168, 1, 2)
    static let gatewayIP = IPv4Address(192, 168, 1, 1)

    let nic: FrameQueueNIC
    let stack: Interface<FrameQueueNIC>
    var now = Instant.zero

    init(configured: Bool = true, mtu: Int = 1500) {
        nic = FrameQueueNIC(mac: Frames.ourMAC, mtu: mtu)
        stack = Interface(nic: nic)
        if configured {
            try! stack.configure(IPv4Configuration(address: StackFixture.ourIP, prefixLength: 24,
                                                   gateway: StackFixture.gatewayIP), now: now)
            // Let both gratuitous announcements go, so tests start from a quiet interface.
            now = now + ARPAnnouncer.interval
            stack.poll(now: now)
            _ = nic.takeSent()
        }
    }

    func advance(_ interval: Interval) { now = now + interval }

    /// Delivers frames and polls once; returns what the stack sent.
    @discardableResult
    func deliver(_ frames: [UInt8]...) -> [Decoded] {
        nic.inbox += frames
        stack.poll(now: now)
        return nic.takeSent().map { Decoded(bytes: $0) }
    }

    func poll() -> [Decoded] {
        stack.poll(now: now)
        return nic.takeSent().map { Decoded(bytes: $0) }
    }

    /// Teaches the stack the peer's MAC by having the peer ask for ours.
    func learnPeer(_ ip: IPv4Address = peerIP, mac: MACAddress = Frames.peerMAC) {
        deliver(Frames.arp(ARPPacket(operation: .request, senderMAC: mac, senderIP: ip,
                                     targetMAC: .zero, targetIP: StackFixture.ourIP)))
    }

    /// Sends a UDP datagram from the peer to us.
    @discardableResult
    func peerUDP(from sourcePort: UInt16 = 5000, to port: UInt16, payload: [UInt8],
                 destination: IPv4Address = ourIP, linkDestination: MACAddress = Frames.ourMAC,
                 source: IPv4Address = peerIP) -> [Decoded] {
        let udp = Frames.udp(source: Endpoint(source, sourcePort), destination: Endpoint(destination, port), payload: payload)
        let ip = Frames.ipv4(source: source, destination: destination, protocolNumber: IPProtocolNumber.udp, payload: udp)
        return deliver(Frames.ipFrame(ip, to: linkDestination))
    }
}
