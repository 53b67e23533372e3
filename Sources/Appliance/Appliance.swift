import Bytes
import Net
import DHCP

/// The appliance's wiring, shared by the kernel and the hosted runner: one network interface with its
/// configuration from the boot command line, the built-in services, and one `poll(now:)` that drives
/// them all. The caller owns the loop: it calls `poll`, then sleeps until `nextDeadline()` or until the
/// device has work.
public final class Appliance<NIC: NetworkInterface> {
    public typealias Logger = (BootConfig.LogLevel, String) -> Void

    public let config: BootConfig
    public let interface: Interface<NIC>
    private let udpEcho: UDPEchoService<NIC>?
    private var dhcp: DHCPDriver<NIC>?
    private let log: Logger
    private let seed: UInt64

    /// `seed` feeds everything that must not be predictable from outside (DHCP transaction ids, TCP
    /// initial sequence numbers): the kernel mixes the TSC and the RTC, the hosted runner the OS.
    public init(config: BootConfig, nic: NIC, now: Instant, seed: UInt64, log: @escaping Logger) {
        self.config = config
        self.log = log
        self.seed = seed
        interface = Interface(nic: nic)
        do {
            udpEcho = try UDPEchoService(interface: interface)
        } catch {
            udpEcho = nil
            log(.error, "udp echo: cannot bind port \(UDPEchoService<NIC>.port)")
        }
        log(.info, "net: interface \(nic.macAddress.text), MTU \(nic.mtu)")
        applyAddressConfiguration(now: now)
    }

    private func applyAddressConfiguration(now: Instant) {
        switch config.address {
        case .fixed(let address, let prefixLength):
            let ip = IPv4Configuration(address: address, prefixLength: prefixLength, gateway: config.gateway)
            do {
                try interface.configure(ip, now: now)
                let via = config.gateway.map { ", gateway \($0.text)" } ?? ""
                log(.info, "net: address \(address.text)/\(prefixLength)\(via)")
            } catch {
                log(.error, "net: cannot use \(address.text)/\(prefixLength) with gateway \(config.gateway?.text ?? "none"): \(error); staying unconfigured")
            }
        case .dhcp:
            do {
                dhcp = try DHCPDriver(interface: interface, seed: seed, hostName: Appliance.hostName, now: now, log: log)
                log(.info, "net: address by DHCP; discovering")
            } catch {
                log(.error, "net: cannot bind the DHCP client port: \(error)")
            }
        }
    }

    /// Runs everything that is due at `now`.
    /// The host name sent to DHCP servers.
    public static var hostName: String { "swift-appliance" }

    private var lastPoll = Instant.zero

    public func poll(now: Instant) {
        lastPoll = now
        interface.poll(now: now)
        dhcp?.poll(interface: interface, now: now)
        udpEcho?.poll(interface: interface, now: now)
        interface.flush()
    }

    /// The earliest instant at which `poll` has work, `.zero` if it has work now, `.never` when only a
    /// device event can create work.
    public func nextDeadline() -> Instant {
        if udpEcho?.hasBacklog(interface: interface) == true { return .zero }
        return min(interface.nextDeadline(), dhcp?.nextDeadline() ?? .never)
    }

    /// Status for the console and /factory/etc.
    public var statusLines: [String] {
        var lines = ["net.address \(interface.configuration.address.text)/\(interface.configuration.prefixLength)"]
        lines += interface.counters.lines
        if let udpEcho { lines.append("udp_echo.echoed \(udpEcho.echoed)") }
        if let dhcp { lines.append("dhcp.status \(dhcp.client.status(now: lastPoll))") }
        return lines
    }
}
