import Bytes
import Net
import TCP
import DHCP
import Ext2
import Services
import HTTP

/// The appliance's wiring, shared by the kernel and the hosted runner: the network interface with its
/// configuration from the boot command line (static or DHCP), TCP over it, the service registry with the
/// HTTP server, the app linked into the image and the echo demo service, and the ext2 document root when a disk is attached.
/// One `poll(now:)` drives everything; the caller sleeps until `nextDeadline()` or a device interrupt.
public final class Appliance<NIC: NetworkInterface> {
    public typealias Logger = (BootConfig.LogLevel, String) -> Void

    public let config: BootConfig
    public let interface: Interface<NIC>
    public let tcp: TCPLayer
    public let registry: ServiceRegistry<TCPTransport>
    public let http: HTTPServer
    private let transport: TCPTransport
    let glue: TCPOverIP<NIC>
    let udpEcho: UDPEchoService<NIC>?
    let syslog: SyslogSender<NIC>?
    /// Keeps the demo services to HTTP's service domain.
    private let domainGate: DomainGate
    var dhcp: DHCPDriver<NIC>?
    /// The mounted disk (also `http.fileSystem`), kept for its counters.
    private var documentRoot: Ext2DocumentRoot?
    private let disk: DiskMount?
    let log: Logger
    /// Where access-log entries go (the kernel: unformatted into its console ring); nil: `log`.
    private let accessLog: ((AccessLogEntry) -> Void)?
    /// The clean stop (`requestShutdown`), timed by `shutdown.drain=` and `shutdown.grace=`.
    var stopping: ShutdownSequence
    private let seed: UInt64
    private let entropy: [UInt8]
    private let started: Instant
    private let clock: Clock
    /// The wall clock at `started`, in seconds: log times are this plus the monotonic time since.
    private let wallAtStart: UInt64
    private var lastPoll: Instant

    /// The host name sent to DHCP servers.
    public static var hostName: String { "swift-appliance" }

    /// `seed` feeds everything that must not be predictable from outside (DHCP transaction ids, TCP
    /// initial sequence numbers): the kernel mixes the TSC and the RTC, the hosted runner the OS.
    /// `entropy`: secret seed material for the app's keys and nonces (`AppContext.entropy`), beside `seed`.
    /// `memoryBudget`: the heap the appliance runs in (the kernel passes its heap capacity), which
    /// bounds TCP's buffer memory; nil on the hosted runner, where the process has plenty.
    /// `memoryPressure` says when memory is too short to take on another connection: while it holds,
    /// TCP drops new SYNs (counted) and the connections already open finish. The kernel answers it from
    /// its heap; the hosted runner has the OS's memory and never reports pressure.
    public init(config: BootConfig, nic: NIC, disk: BlockDevice?, clock: Clock, wallClock: WallClock,
                seed: UInt64, entropy: [UInt8] = [], app: Application = .standard, memoryBudget: Int? = nil, memoryPressure: @escaping () -> Bool = { false },
                log: @escaping Logger, accessLog: ((AccessLogEntry) -> Void)? = nil) {
        let now = clock.now()
        self.config = config
        self.log = log
        self.accessLog = accessLog
        self.seed = seed
        self.entropy = entropy
        stopping = ShutdownSequence(drain: config.shutdownDrain, grace: config.shutdownGrace)
        started = now
        lastPoll = now
        self.clock = clock
        wallAtStart = wallClock.unixSeconds()
        interface = Interface(nic: nic)
        glue = TCPOverIP(interface: interface)
        let tcpConfiguration = TCPSizing.configuration(seed: seed, memoryBudget: memoryBudget)
        tcp = TCPLayer(configuration: tcpConfiguration, output: glue)
        glue.tcp = tcp
        tcp.memoryPressure = memoryPressure
        let interface = self.interface
        transport = TCPTransport(tcp: tcp, localAddress: { interface.configuration.address })
        registry = ServiceRegistry(transport: transport)
        http = HTTPServer(configuration: HTTPSizing.configuration(memoryBudget: memoryBudget), wallClock: wallClock)
        domainGate = DomainGate { [http] in http.configuration.domain }
        self.disk = disk.map { DiskMount(device: $0, log: log) }
        if config.services.echo {
            do {
                udpEcho = try UDPEchoService(interface: interface)
            } catch {
                udpEcho = nil
                log(.error, "udp echo: cannot bind port \(UDPEchoService<NIC>.port)")
            }
        } else {
            udpEcho = nil
        }
        var syslog: SyslogSender<NIC>? = nil
        if let collector = config.syslog {
            do {
                syslog = try SyslogSender(interface: interface, collector: collector)
            } catch {
                log(.error, "syslog: cannot bind port \(SyslogSender<NIC>.sourcePort)")
            }
        }
        self.syslog = syslog
        do {
            try interface.register(glue, forProtocol: IPProtocolNumber.tcp)
            try interface.registerIPv6(glue, forNextHeader: IPProtocolNumber.tcp)
        } catch {
            log(.error, "tcp: cannot attach to IP: \(error)")
        }
        log(.info, String { $0.put("net: interface "); $0.putText(nic.macAddress.text); $0.put(", MTU ")
                            $0.putDecimal(UInt64(nic.mtu)) })
        if let syslog {
            log(.info, String { $0.put("syslog: every log line to "); $0.putText(syslog.collector.text)
                                $0.put(" (RFC 5424 over UDP, facility local0)") })
        }
        configureHTTP()
        applyAddressConfiguration(now: now)      // first: services may connect out from doInit
        interface.startIPv6(manual: config.ipv6Address.map { ($0.address, $0.prefixLength) }, gateway: config.ipv6Gateway,
                            now: now, seed: seed ^ 0x6970_7636)
        registerServices(app, now: now)
    }

    private func registerServices(_ app: Application, now: Instant) {
        var seedBytes: [UInt8] = []
        for b in 0..<8 { seedBytes.append(UInt8(truncatingIfNeeded: seed >> (8 * UInt64(b)))) }
        let installed = app.install(http: http, options: config.appOptions, cookieKey: config.cookieKey,
                                    entropy: entropy + seedBytes) { [log] in log(.info, "\(app.name): " + $0) }
        // The app's own services and the demo services answer the same service domain as HTTP.
        var services = (installed.http.map { [$0] } ?? []) + installed.own.map { domainGate.guarding($0) }
        var started = ["app \(app.name)" + (installed.http != nil ? " with http on 80" : "")]
        // The demo services only when asked for (`services=`).
        if config.services.echo {
            services.append(domainGate.guarding(EchoService.make()))
            started.append("echo on \(EchoService.defaultPort) (TCP and UDP)")
        }
        http.helpText.append("  services=echo         the echo demo service beside HTTP (now: \(started.count == 1 ? "off" : "on"))")
        if let backend = config.backend {
            let request = Array("PING\r\n".utf8)
            let probe = BackendProbe(BackendProbe.Config(backend: backend, request: request, every: Appliance.backendProbeInterval)) {
                [log] outcome in log(.info, Appliance.describe(outcome, backend))
            }
            services.append(probe.service)
        }
        for service in services {
            do {
                try registry.register(service, now: now)
            } catch {
                log(.error, "services: cannot register \(service.name): \(error)")
            }
        }
        log(.info, "services: " + started.joined(separator: ", "))
    }

    private func configureHTTP() {
        http.configuration.serveDotFiles = config.httpDotFiles
        if let credentials = config.factoryAuth, let auth = BasicAuth(realm: "factory", userColonPassword: credentials) {
            http.protect("/factory", with: auth)
        }
        if let text = config.httpDomain {
            if let domain = ServiceDomain.parse(text) {
                http.configuration.domain = domain
            } else {
                log(.warn, "http: ignoring http.domain=\(text): expected any, A.B.C.D/N, X:X::/N or a comma list")
            }
        }
        // One Common Log Format line per request at loglevel=info (the default); loglevel=warn turns
        // it off. The kernel's log is a ring of records formatted when read, so an entry costs a copy.
        if config.logLevel == .info || config.logLevel == .debug {
            http.accessLog = accessLog ?? { [log] entry in log(.info, String(decoding: entry.line, as: UTF8.self)) }
        }
        http.errorLog = { [log] in log(.error, $0) }
        http.addStatusProvider("appliance") { self.statusMetrics }      // a cycle, harmless: the appliance lives as long as the machine
    }

    /// Without `http.domain=`, the HTTP service answers the appliance's own network (the Daylight
    /// toolkit's default); that network is known only once an address is configured. Its IPv6 side is
    /// the link: link-local peers and those in the on-link prefixes routers advertise.
    private func addressChanged(to address: IPv4Address?) {
        if let old = lastAddress, old != address { tcp.resetConnections(boundTo: IPAddress(old)) }
        lastAddress = address
        if config.httpDomain == nil, let address {
            let prefix = interface.configuration.prefixLength
            let network = IPv4Address(address.value & IPv4Address.mask(prefixLength: prefix))
            http.configuration.domain = ServiceDomain(prefixes: [ServiceDomain.Prefix(network, prefix)]) { [interface] in
                interface.ipv6.isOnLink($0)
            }
        }
    }
    private var lastAddress: IPv4Address?
    private var ipv6Reported: UInt64 = 0
    /// States of the IPv6 addresses last logged, so only changes are logged.
    private var ipv6Logged: [IPv6AddressEntry] = []

    /// Logs every IPv6 address that appeared, changed state or went since the last report.
    private func reportIPv6Addresses() {
        ipv6Reported = interface.ipv6.generation
        let now = interface.ipv6.addresses
        for e in now where e.state != .tentative && !ipv6Logged.contains(where: { $0.address == e.address && $0.state == e.state }) {
            log(e.state == .duplicate ? .warn : .info, Appliance.describe(e, after: "net: IPv6 "))
        }
        for e in ipv6Logged where !now.contains(where: { $0.address == e.address }) {
            log(.info, Appliance.describe(e, after: "net: IPv6 ", gone: true))
        }
        ipv6Logged = now
    }

    /// `lead` then "fd00::1/64 (SLAAC) preferred", or "fd00::1 expired" when `gone`: bytes, with names
    /// from tables indexed by the enums' raw values (String building costs kernel bytes per use).
    static func describe(_ e: IPv6AddressEntry, after lead: StaticString, gone: Bool = false) -> String {
        let origins: [StaticString] = ["link-local", "ip6=", "SLAAC"]
        let states: [StaticString] = ["tentative", "preferred", "deprecated", "duplicate on the link: not used"]
        var out: [UInt8] = []
        out.put(lead)
        out.putAddress(e.address)
        if gone {
            out.put(" expired")
        } else {
            out.put("/"); out.putDecimal(UInt64(e.prefixLength)); out.put(" (")
            out.put(origins[e.origin.rawValue]); out.put(") "); out.put(states[e.state.rawValue])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func applyAddressConfiguration(now: Instant) {
        switch config.address {
        case .fixed(let address, let prefixLength):
            let gateway = config.gateway(for: address, prefixLength: prefixLength)
            let ip = IPv4Configuration(address: address, prefixLength: prefixLength, gateway: gateway)
            do {
                try interface.configure(ip, now: now)
                let gatewayGiven = config.gatewayGiven
                log(.info, String { out in
                    out.put("net: address "); out.putAddress(address); out.put("/"); out.putDecimal(UInt64(prefixLength))
                    if let gateway {
                        out.put(", gateway "); out.putAddress(gateway)
                    } else if !gatewayGiven {
                        out.put(", no gateway (set gw= to reach other networks)")
                    }
                })
                addressChanged(to: address)
            } catch {
                log(.error, "net: cannot use \(address.text)/\(prefixLength) with gateway \(gateway?.text ?? "none"): \(error); staying unconfigured")
            }
        case .dhcp:
            do {
                let driver = try DHCPDriver(interface: interface, seed: seed, hostName: Appliance.hostName, now: now, log: log)
                driver.onAddressChange = { address in self.addressChanged(to: address) }   // lives as long as the machine
                dhcp = driver
                log(.info, "net: address by DHCP; discovering")
            } catch {
                log(.error, "net: cannot bind the DHCP client port: \(error)")
            }
        }
    }

    /// Runs everything that is due at `now`: frames in, timers, DHCP, disk completions, service
    /// callbacks, and everything they queued out.
    public func poll(now: Instant) {
        http.sampleHistory(now: now)    // first: the state the last pass left (a comparison most passes)
        lastPoll = now
        // Everything already received goes in before TCP runs its timers: after a stall (a busy host,
        // a descheduled vCPU) the ACKs answering our segments sit in the NIC queue, and timers run
        // first would fire retransmission timeouts those ACKs have made moot. Measured on the hosted
        // runner, lossless link, 100 echo connections in flight, stopped 0.6 s: 28 spurious timeouts
        // with one 32-frame batch per poll. Bounded, so a flood cannot starve the timers.
        interface.poll(now: now)
        var batches = 1
        while interface.receiveBacklog && batches < Appliance.maximumReceiveBatchesPerPoll {
            interface.poll(now: now)
            batches += 1
        }
        dhcp?.poll(interface: interface, now: now)
        udpEcho?.poll(interface: interface, now: now)
        if let disk, let volume = disk.poll() {
            let root = Ext2DocumentRoot(volume: volume, cache: disk.cache, log: log)
            documentRoot = root
            http.fileSystem = root
        }
        // Receiving only changed state; the services act on it, then TCP's one emit pass writes every
        // segment: the ACKs this turn's segments called for ride on the answers the services queued.
        registry.poll(now: now)
        http.poll(now: now)
        tcp.poll(now: now)
        syslog?.poll(interface: interface, now: now)
        interface.flush()
        if interface.ipv6.generation != ipv6Reported { reportIPv6Addresses() }
        advanceShutdown(now: now)
        dumpCountersIfDue(now: now)
    }

    /// Receive batches (`InterfaceLimits.receiveBatch` frames each) one `poll` takes in before the
    /// timers run: 16 x 32 = 512 frames, more than a virtio-net receive ring or a tap queue holds.
    public static var maximumReceiveBatchesPerPoll: Int { 16 }

    /// The earliest instant at which `poll` has work: `.zero` if it has work now, `.never` when only a
    /// device event can create work.
    public func nextDeadline() -> Instant {
        if udpEcho?.hasBacklog(interface: interface) == true || syslog?.hasBacklog == true { return .zero }
        var deadline = min(interface.nextDeadline(), tcp.nextDeadline())
        deadline = min(deadline, registry.nextDeadline())   // HTTP's deadlines are its connections' alarms
        if let dhcp { deadline = min(deadline, dhcp.nextDeadline()) }
        deadline = min(deadline, stopping.nextDeadline)
        return min(deadline, nextDebugDump)
    }

    /// How often `backend=` is probed again.
    public static var backendProbeInterval: Interval { .seconds(30) }

    static func describe(_ outcome: BackendProbe.Outcome, _ backend: Endpoint) -> String {
        let what: String
        switch outcome {
        case .reply(let line): what = "replied \"" + String(decoding: line.filter { $0 != 10 && $0 != 13 }, as: UTF8.self) + "\""
        case .connectFailed: what = "cannot connect"
        case .timedOut: what = "no reply line in time"
        case .closedWithoutReply: what = "closed without replying"
        case .replyTooLong: what = "reply line too long"
        }
        return "backend " + backend.text + ": " + what
    }

    /// Queues one log line for the syslog collector, if `syslog=` names one (the kernel's log calls
    /// this for every line it keeps, access-log lines with `access`). `loggedAt`: when the line was
    /// logged, for lines sent later (the boot's, kept in the console ring until syslog exists); now
    /// by default.
    public func forwardToSyslog(level: BootConfig.LogLevel, access: Bool, message: [UInt8], loggedAt: Instant? = nil) {
        guard let syslog else { return }
        let at = loggedAt ?? clock.now()
        let micros = wallAtStart &* 1_000_000 &+ at.nanoseconds / 1000 &- started.nanoseconds / 1000
        let address = interface.configuration.address
        if syslogHost.address != address { syslogHost = (address, address == .any ? [] : Array(address.text.utf8)) }
        syslog.enqueue(Syslog5424.format(level: level, access: access, unixMicroseconds: micros, host: syslogHost.text, message: message,
                                         facility: SyslogSender<NIC>.facility, maximumMessageBytes: SyslogSender<NIC>.maximumMessageBytes))
    }

    /// HOSTNAME for syslog: the address as text, made again only when it changes.
    private var syslogHost: (address: IPv4Address, text: [UInt8]) = (.any, [])

    /// While draining, /factory/health answers 503 so load balancers move away before the appliance
    /// stops (set by whatever shuts it down).
    public var draining: Bool {
        get { http.health == .draining }
        set { http.health = newValue ? .draining : .serving }
    }

    /// Adds a section to /factory/etc (the kernel adds its heap and drivers, the hosted runner its tap).
    public func addStatus(_ title: String, _ metrics: @escaping () -> Metrics) {
        http.addStatusProvider(title, metrics)
    }

    /// At loglevel=debug every counter is printed this often (and never otherwise).
    public static var debugDumpInterval: Interval { .seconds(60) }
    private var nextDebugDump = Instant.never

    private func dumpCountersIfDue(now: Instant) {
        guard config.logLevel == .debug else { return }
        if nextDebugDump == .never { nextDebugDump = now + Appliance.debugDumpInterval; return }
        guard now >= nextDebugDump else { return }
        nextDebugDump = now + Appliance.debugDumpInterval
        for line in statusMetrics.lines { log(.debug, line) }
    }

    /// Everything the appliance counts, for the console, /factory/etc and /factory/metrics.
    public var statusMetrics: Metrics {
        var m = Metrics()
        m.gauge("uptime_seconds", lastPoll.since(started).nanoseconds / 1_000_000_000, help: "Seconds since the appliance started")
        let ipv4 = interface.configuration
        m.note(String { $0.put("net.address "); $0.putAddress(ipv4.address); $0.put("/"); $0.putDecimal(UInt64(ipv4.prefixLength)) })
        for e in interface.ipv6.addresses { m.note(Appliance.describe(e, after: "net.ipv6 ")) }
        for r in interface.ipv6.routers { m.note("net.ipv6_router " + r.address.text) }
        m.append(interface.counters.metrics)
        m.gauge("nd.neighbours", UInt64(interface.ipv6.neighbours.count), help: "IPv6 neighbour cache entries")
        m.append(tcp.counters.metrics)
        m.counter("tcp.source_mismatches", glue.sourceMismatches,
                  help: "TCP segments refused because their source was not the interface's address")
        // Gauges next to the counters, so a test or an attack's aftermath can be checked against a baseline.
        let limits = tcp.configuration
        m.gauge("tcp.connections_open", UInt64(tcp.connectionCount), help: "Open TCP connections", exportName: "tcp_connections")
        m.gauge("tcp.connections_peak", UInt64(tcp.peakConnectionCount), help: "Most TCP connections open at once")
        m.gauge("tcp.time_wait_entries", UInt64(tcp.timeWaitCount))
        m.gauge("tcp.buffer_bytes_in_use", UInt64(tcp.memoryInUse))
        m.gauge("tcp.limit.connections", UInt64(limits.maximumConnections))
        m.gauge("tcp.limit.buffer_bytes", UInt64(limits.maximumMemory))
        m.gauge("tcp.limit.connection_buffer_bytes", UInt64(limits.sendBufferSize + limits.receiveBufferSize))
        m.gauge("tcp.limit.initial_connection_buffer_bytes",
                UInt64(min(limits.initialSendBufferSize, limits.sendBufferSize)
                       + min(limits.initialReceiveBufferSize, limits.receiveBufferSize)))
        m.gauge("tcp.limit.connections_per_source", UInt64(limits.maximumConnectionsPerSource))
        m.gauge("tcp.limit.half_open_per_source", UInt64(limits.maximumHalfOpenPerSource))
        m.gauge("tcp.limit.new_connections_per_source_per_second", UInt64(limits.newConnectionsPerSourcePerSecond))
        m.gauge("tcp.limit.new_connection_burst_per_source", UInt64(limits.newConnectionBurstPerSource))
        m.append(registry.counters.metrics)
        m.gauge("services.connections_open", UInt64(registry.connectionCount))
        if let udpEcho {
            m.counter("udp_echo.echoed", udpEcho.echoed)
            m.counter("udp_echo.reply_failures", udpEcho.replyFailures)
            m.counter("udp_echo.refused", udpEcho.refused, help: "UDP echo datagrams refused (privileged source port or not sent to our own address)")
        }
        m.counter("services.refused_domain", domainGate.refused, help: "Demo-service connections closed at accept: outside the service domain")
        if let documentRoot {
            m.counter("disk.files_corrupt", documentRoot.corruptFiles, help: "Files whose reading failed on a damaged image")
            m.counter("disk.not_world_readable", documentRoot.notWorldReadable, help: "Requests for files or directories others may not read")
        }
        if let syslog { m.append(syslog.metrics) }
        if let dhcp {   // split as bytes: Character-level String work would pull Unicode tables into the kernel
            for line in dhcp.client.status(now: lastPoll).utf8.split(separator: 10) { m.note(String(decoding: line, as: UTF8.self)) }
            m.append(dhcp.client.counters.metrics)
            m.counter("dhcp.send_failures", dhcp.sendFailures, help: "DHCP messages the interface could not send")
            m.counter("dhcp.release_failures", dhcp.releaseFailures,
                      help: "DHCP RELEASEs at shutdown that never left (the server's MAC did not resolve)")
        }
        return m
    }
}
