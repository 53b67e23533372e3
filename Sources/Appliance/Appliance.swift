import Bytes
import Net

/// The appliance's wiring, shared by the kernel and the hosted runner: one network interface with its
/// configuration from the boot command line, the built-in services, and one `poll(now:)` that drives
/// them all. The caller owns the loop: it calls `poll`, then sleeps until `nextDeadline()` or until the
/// device has work.
public final class Appliance<NIC: NetworkInterface> {
    public typealias Logger = (BootConfig.LogLevel, String) -> Void

    public let config: BootConfig
    public let interface: Interface<NIC>
    private let udpEcho: UDPEchoService<NIC>?
    private let log: Logger

    public init(config: BootConfig, nic: NIC, now: Instant, log: @escaping Logger) {
        self.config = config
        self.log = log
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
            log(.warn, "net: ip=dhcp is not wired yet; staying unconfigured")
        }
    }

    /// Runs everything that is due at `now`.
    public func poll(now: Instant) {
        interface.poll(now: now)
        udpEcho?.poll(interface: interface, now: now)
        interface.flush()
    }

    /// The earliest instant at which `poll` has work, `.zero` if it has work now, `.never` when only a
    /// device event can create work.
    public func nextDeadline() -> Instant {
        if udpEcho?.hasBacklog(interface: interface) == true { return .zero }
        return interface.nextDeadline()
    }

    /// Status for the console and /factory/etc.
    public var statusLines: [String] {
        var lines = ["net.address \(interface.configuration.address.text)/\(interface.configuration.prefixLength)"]
        lines += interface.counters.lines
        if let udpEcho { lines.append("udp_echo.echoed \(udpEcho.echoed)") }
        return lines
    }
}
