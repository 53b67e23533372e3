import Bytes
import Net
import DHCP

/// Connects the DHCP client state machine to the interface: its UDP socket on port 68, its ARP probes,
/// and the address configuration it grants or withdraws. The client itself does no I/O; this drains
/// its actions after every call into it.
final class DHCPDriver<NIC: NetworkInterface> {
    static var clientPort: UInt16 { 68 }
    static var serverPort: UInt16 { 67 }

    let client: DHCPClient
    private let socket: UDPSocket
    private let log: (BootConfig.LogLevel, String) -> Void
    private var probing: IPv4Address?
    /// Seeds each ARP probe's random schedule.
    private var random: SplitMix64
    /// Called after the address changes (or goes away), so connections on the old address are reset.
    var onAddressChange: (IPv4Address?) -> Void = { _ in }
    private(set) var sendFailures: UInt64 = 0

    init(interface: Interface<NIC>, seed: UInt64, hostName: String, now: Instant,
         log: @escaping (BootConfig.LogLevel, String) -> Void) throws(UDPSocketTable.BindError) {
        socket = try interface.bindUDP(port: DHCPDriver.clientPort)
        client = DHCPClient(mac: interface.macAddress, hostName: hostName, seed: seed)
        self.log = log
        random = SplitMix64(seed: seed ^ 0xA5A5_5A5A_C3C3_3C3C)
        client.start(now: now)
        drain(interface: interface, now: now)
    }

    func poll(interface: Interface<NIC>, now: Instant) {
        while let datagram = interface.receiveUDP(socket) {
            // DHCPv4 rides on IPv4 only: the port is bound for both families.
            guard datagram.source.port == DHCPDriver.serverPort, datagram.source.address.isIPv4 else { continue }
            datagram.payload.withByteView { client.receive($0, now: now) }
        }
        if let address = probing, let status = interface.probe?.status, status != .probing {
            probing = nil
            interface.cancelARPProbe()
            if case .conflict = status { log(.warn, String { $0.put("dhcp: "); $0.putAddress(address); $0.put(" is already in use on the link (ARP probe)") }) }
            client.probeResult(conflict: status != .clear, now: now)
        }
        client.poll(now: now)
        drain(interface: interface, now: now)
        finishRelease(interface: interface, now: now)
    }

    func nextDeadline() -> Instant { client.nextDeadline() }

    /// Gives the lease back to its server (DHCPRELEASE, RFC 2131 §4.4.6), withdraws the address and
    /// stops the client: for a clean shutdown, so the server may hand the address out again at once.
    /// The RELEASE is unicast from the leased address, and the server's MAC is usually unknown (its
    /// replies needed no ARP): then the RELEASE waits for ARP, and the address — which ARP answers
    /// and the waiting packet need — stays until it has left or ARP gave up (`releasing`).
    func release(interface: Interface<NIC>, now: Instant) {
        client.release(now: now)
        drain(interface: interface, now: now)
        finishRelease(interface: interface, now: now)
    }

    /// A RELEASE is waiting for the server's MAC; the address is withdrawn once it is not.
    var releasing: Bool { releaseWaitingFor != nil }
    private var releaseWaitingFor: IPv4Address?
    /// RELEASEs that never left: the server's MAC did not resolve, or no transmit buffer was free.
    private(set) var releaseFailures: UInt64 = 0

    private func finishRelease(interface: Interface<NIC>, now: Instant) {
        guard let server = releaseWaitingFor else { return }
        let resolution = interface.resolution(of: server, now: now)
        if resolution == .pending { return }
        releaseWaitingFor = nil
        releaseLeft(resolution == .resolved, to: server, interface: interface, now: now)
    }

    private func releaseLeft(_ sent: Bool, to server: IPv4Address, interface: Interface<NIC>, now: Instant) {
        if sent {
            log(.info, String { $0.put("dhcp: RELEASE sent to "); $0.putAddress(server) })
        } else {
            releaseFailures += 1
            log(.warn, String { $0.put("dhcp: RELEASE to "); $0.putAddress(server)
                                $0.put(" not sent (no ARP answer or no transmit buffer)") })
        }
        withdraw(.released, interface: interface, now: now)
    }

    private func drain(interface: Interface<NIC>, now: Instant) {
        var unicast: (server: IPv4Address, result: SendResult)?     // the last one: a RELEASE's fate
        while let action = client.nextAction() {
            switch action {
            case .send(let bytes, let destination):
                let to: Endpoint
                switch destination {
                case .broadcast: to = Endpoint(.broadcast, DHCPDriver.serverPort)
                case .server(let server): to = Endpoint(server, DHCPDriver.serverPort)
                }
                let result = bytes.withByteView { interface.sendUDP(from: socket, to: to, payload: $0, now: now) }
                if result != .sent && result != .queuedForARP { sendFailures += 1 }
                if case .server(let server) = destination { unicast = (server, result) }
            case .probe(let address):
                probing = address
                interface.startARPProbe(for: address, now: now, seed: random.next())
            case .configure(let lease):
                let config = IPv4Configuration(address: lease.address, prefixLength: lease.prefixLength, gateway: lease.router)
                let previous = interface.configuration.address
                do {
                    try interface.configure(config, now: now)
                    if previous != lease.address { onAddressChange(lease.address) }
                } catch {
                    log(.error, "dhcp: the lease for \(lease.address.text)/\(lease.prefixLength) is unusable here: \(error)")
                }
            case .deconfigure(.released) where unicast != nil:
                // Withdrawing now would drop a RELEASE waiting for ARP, and ARP answers would be ignored.
                guard let last = unicast else { break }
                if last.result == .queuedForARP { releaseWaitingFor = last.server }
                else { releaseLeft(last.result == .sent, to: last.server, interface: interface, now: now) }
            case .deconfigure(let reason):
                withdraw(reason, interface: interface, now: now)
            case .log(let line):
                log(.info, line)
            }
        }
    }

    private func withdraw(_ reason: DHCPDeconfigureReason, interface: Interface<NIC>, now: Instant) {
        log(.warn, "dhcp: address withdrawn: \(reason.text)")
        try? interface.configure(.unconfigured, now: now)
        onAddressChange(nil)
    }
}
