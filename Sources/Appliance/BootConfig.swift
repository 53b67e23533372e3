import Bytes
import HTTP

/// How the appliance gets its IPv4 address.
public enum AddressMode: Equatable {
    case dhcp
    case fixed(address: IPv4Address, prefixLength: Int)
}

/// A static IPv6 address and its prefix length (`ip6=`).
public struct IPv6Interface: Equatable {
    public var address: IPv6Address
    public var prefixLength: Int
}

/// The typed configuration parsed from the kernel command line (`-append`). Every key is optional;
/// a malformed or unknown key is reported and ignored, never fatal: the appliance always boots.
public struct BootConfig: Equatable {
    public enum LogLevel: Equatable { case error, warn, info, debug }

    public var address: AddressMode = .fixed(address: IPv4Address(192, 100, 200, 100), prefixLength: 24)
    public var gateway: IPv4Address? = IPv4Address(192, 100, 200, 1)
    /// False until `gw=` is given: the default gateway then applies only to an address on its network.
    public var gatewayGiven = false
    /// `ip6=ADDR/PREFIX`: a static IPv6 address beside the link-local one (and SLAAC's).
    public var ipv6Address: IPv6Interface? = nil
    /// `gw6=ADDR`: a static default IPv6 router (routers' advertisements add others).
    public var ipv6Gateway: IPv6Address? = nil
    public var logLevel: LogLevel = .info
    /// `http.domain=`: kept as text here; the HTTP layer parses and validates it.
    public var httpDomain: String? = nil
    /// `http.dotfiles=allow|deny`: serve paths with a segment starting with "." (default deny: 404).
    public var httpDotFiles = false
    /// `backend=ADDR:PORT`: a TCP server the appliance probes (connects, sends a line, logs the reply)
    /// at boot and every `Appliance.backendProbeInterval`: the outgoing-connection example.
    public var backend: Endpoint? = nil
    /// `services=echo`: the demo services to start beside HTTP (none by default: every open port is
    /// attack surface). Toro's hello page is an app of its own now (`Scripts/build --app hello`).
    public var services = DemoServices()
    /// `syslog=ADDR[:PORT]` (port 514 by default): every log line also goes there as RFC 5424 over UDP.
    public var syslog: Endpoint? = nil
    /// `selftest` or `selftest=core,net,disk`: run in-kernel self-tests and exit (used by Scripts/test).
    public var selfTests = SelfTests()
    /// `profile` or `profile=HZ`: the kernel samples where the CPU spends its time, HZ times a second
    /// (read out at /factory/profile, symbolised by Scripts/profile). Off (nil) by default.
    public var profileHz: Int? = nil
    /// Sampling rates `profile=` accepts: the PIT's 16-bit divisor cannot go below ~18.2 Hz, and much
    /// above 10 kHz the sampling itself becomes a visible share of the CPU.
    public static let profileHzRange = 20...10_000
    public static let defaultProfileHz = 1000
    /// `shutdown.drain=SECONDS`: after a stop request, how long the appliance keeps serving while
    /// /factory/health answers 503, so load balancers move away first.
    public var shutdownDrain = Interval.seconds(2)
    /// `shutdown.grace=SECONDS`: then, how long connections already open may take to finish.
    public var shutdownGrace = Interval.seconds(10)
    /// Seconds either key accepts: an orchestrator's own stop timeout is minutes at most.
    public static let shutdownSecondsRange = 0...600
    /// `virtio_mmio.device=SIZE@BASE:IRQ`, once per device (QEMU microvm and Firecracker add them):
    /// the virtio-mmio windows to probe, in command-line order, none overlapping another.
    public var virtioMMIODevices: [VirtioMMIODevice] = []
    /// `app.KEY=VALUE`: options for the app linked into this appliance (`AppContext.option("KEY")`),
    /// in command-line order; the appliance itself never reads them.
    public var appOptions: [AppOption] = []
    /// Most `app.` options kept; more are reported and ignored.
    public static let maxAppOptions = 32
    /// `cookie.key=HEX` (64 hex digits): the key that seals the app's cookies (module Seal), so sessions
    /// survive a reboot; nil: a key drawn at boot. A malformed key is reported (never echoed) and ignored.
    public var cookieKey: [UInt8]? = nil
    /// `factory.auth=USER:PASSWORD`: the built-in pages (/factory/...) need these Basic credentials.
    public var factoryAuth: [UInt8]? = nil
    public static let cookieKeyBytes = 32

    public struct DemoServices: Equatable {
        /// Echo (RFC 862) on TCP and UDP port 7.
        public var echo = false
        public init() {}
    }

    public struct SelfTests: Equatable {
        /// CPU, memory, clocks, interrupts.
        public var core = false
        /// virtio-net against QEMU's user-mode network.
        public var net = false
        /// virtio-blk against a pattern disk.
        public var disk = false
        public var any: Bool { core || net || disk }
        public init() {}
    }

    public init() {}

    /// A problem with one command-line word, for the console.
    public struct Problem: Equatable {
        public var word: String
        public var reason: String
    }

    /// Longest command line read; the rest is ignored (and reported).
    public static let maxLength = 4096

    /// Parses space-separated `key=value` words.
    public static func parse(_ line: [UInt8]) -> (config: BootConfig, problems: [Problem]) {
        var config = BootConfig()
        var problems: [Problem] = []
        var bytes = line
        if bytes.count > maxLength {
            bytes = Array(bytes[0..<maxLength])
            problems.append(Problem(word: "(command line)", reason: "longer than \(maxLength) bytes; the rest is ignored"))
        }
        for word in bytes.split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 10 }) {
            let text = String(decoding: word, as: UTF8.self)
            let key: ArraySlice<UInt8>
            let value: ArraySlice<UInt8>?
            if let eq = word.firstIndex(of: UInt8(ascii: "=")) {
                key = word[word.startIndex..<eq]
                value = word[(eq + 1)...]
            } else {
                key = word
                value = nil
            }
            if let reason = config.apply(key: Array(key), value: value.map { Array($0) }) {
                // A secret's value stays off the console, even a mistyped one.
                problems.append(Problem(word: Key(Array(key)) == .cookieKey ? "cookie.key=..." : Key(Array(key)) == .factoryAuth ? "factory.auth=..." : text, reason: reason))
            }
        }
        return (config, problems)
    }

    /// The gateway to use with `address`: the default one only if `address/prefixLength` reaches it
    /// directly (`ip=10.0.0.5/24` alone must not stay unconfigured for want of 192.100.200.1).
    public func gateway(for address: IPv4Address, prefixLength: Int) -> IPv4Address? {
        guard let gateway, !gatewayGiven else { return gateway }
        let mask = IPv4Address.mask(prefixLength: prefixLength)
        return gateway.value & mask == address.value & mask ? gateway : nil
    }

    /// Applies one word; returns why it was rejected, or nil.
    /// Keys and values are compared as bytes: String comparison would pull Unicode normalisation tables
    /// into the kernel for nothing.
    private mutating func apply(key: [UInt8], value: [UInt8]?) -> String? {
        let appPrefix = Array("app.".utf8)
        if key.count > appPrefix.count && key.starts(with: appPrefix) {
            guard let value else { return "expected app.KEY=VALUE" }
            guard appOptions.count < BootConfig.maxAppOptions else { return "more than \(BootConfig.maxAppOptions) app. options" }
            appOptions.append(AppOption(key: Array(key.dropFirst(appPrefix.count)), value: value))
            return nil
        }
        switch Key(key) {
        case .ip:
            guard let v = value else { return "expected ip=dhcp or ip=ADDRESS/PREFIX" }
            if v == Array("dhcp".utf8) { address = .dhcp; return nil }
            guard let parsed = BootConfig.parsePrefix(v) else { return "expected ip=dhcp or ip=ADDRESS/PREFIX" }
            address = .fixed(address: parsed.address, prefixLength: parsed.prefixLength)
            return nil
        case .gw:
            guard let v = value else { return "expected gw=ADDRESS" }
            if v == Array("none".utf8) { gateway = nil; gatewayGiven = true; return nil }
            guard let a = v.withByteView({ IPv4Address(parsing: $0) }) else { return "expected gw=ADDRESS or gw=none" }
            gateway = a
            gatewayGiven = true
            return nil
        case .ip6:
            guard let v = value, let slash = v.firstIndex(of: UInt8(ascii: "/")),
                  let n = BootConfig.parseDecimal(v[(slash + 1)...], maxDigits: 3), n <= 128,
                  let a = Array(v[..<slash]).withByteView({ IPv6Address(parsing: $0) }),
                  !a.isMulticast, !a.isUnspecified, !a.isLoopbackOrMapped else {
                return "expected ip6=ADDRESS/PREFIX (an IPv6 unicast address)"
            }
            ipv6Address = IPv6Interface(address: a, prefixLength: n)
            return nil
        case .gw6:
            guard let v = value, let a = v.withByteView({ IPv6Address(parsing: $0) }), !a.isMulticast, !a.isUnspecified else {
                return "expected gw6=ADDRESS (an IPv6 unicast address)"
            }
            ipv6Gateway = a
            return nil
        case .loglevel:
            let levels: [(String, LogLevel)] = [("error", .error), ("warn", .warn), ("info", .info), ("debug", .debug)]
            guard let v = value, let match = levels.first(where: { Array($0.0.utf8) == v }) else {
                return "expected loglevel=error|warn|info|debug"
            }
            logLevel = match.1
            return nil
        case .httpDomain:
            guard let v = value, !v.isEmpty else { return "expected http.domain=any, a prefix, or a comma list" }
            httpDomain = String(decoding: v, as: UTF8.self)
            return nil
        case .httpDotFiles:
            switch value {
            case Array("allow".utf8)?: httpDotFiles = true
            case Array("deny".utf8)?: httpDotFiles = false
            default: return "expected http.dotfiles=allow or http.dotfiles=deny"
            }
            return nil
        case .backend:
            guard let v = value, let endpoint = BootConfig.parseEndpoint(v) else { return "expected backend=ADDRESS:PORT" }
            backend = endpoint
            return nil
        case .services:
            guard let v = value else { return "expected services=echo" }
            var chosen = DemoServices()
            for name in v.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
                switch Array(name) {
                case Array("echo".utf8): chosen.echo = true
                default: return "expected services=echo (hello is an app now: Scripts/build --app hello)"
                }
            }
            services = chosen
            return nil
        case .syslog:
            guard let v = value, let endpoint = BootConfig.parseCollector(v) else {
                return "expected syslog=ADDRESS or syslog=ADDRESS:PORT (IPv6: [ADDRESS]:PORT)"
            }
            syslog = endpoint
            return nil
        case .selftest:
            guard let v = value else { selfTests.core = true; return nil }
            var chosen = selfTests      // several selftest= words add up
            for name in v.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                switch Array(name) {
                case Array("core".utf8): chosen.core = true
                case Array("net".utf8): chosen.net = true
                case Array("disk".utf8): chosen.disk = true
                default: return "expected selftest or selftest=core,net,disk"
                }
            }
            selfTests = chosen
            return nil
        case .profile:
            guard let v = value else { profileHz = BootConfig.defaultProfileHz; return nil }
            guard let hz = BootConfig.parseDecimal(v[...], maxDigits: 5), BootConfig.profileHzRange.contains(hz) else {
                return "expected profile or profile=HZ with HZ in 20...10000"     // profileHzRange
            }
            profileHz = hz
            return nil
        case .shutdownDrain, .shutdownGrace:
            guard let v = value, let seconds = BootConfig.parseDecimal(v[...], maxDigits: 3),
                  BootConfig.shutdownSecondsRange.contains(seconds) else {
                return "expected SECONDS in 0...600"     // shutdownSecondsRange
            }
            if Key(key) == .shutdownDrain { shutdownDrain = .seconds(UInt64(seconds)) } else { shutdownGrace = .seconds(UInt64(seconds)) }
            return nil
        case .virtioMMIODevice:
            guard let v = value else { return VirtioMMIODevice.Malformed.syntax.reason }
            let device: VirtioMMIODevice
            switch VirtioMMIODevice.parse(v) {
            case .success(let d): device = d
            case .failure(let e): return e.reason
            }
            guard virtioMMIODevices.count < VirtioMMIODevice.maxDevices else {
                return "more than \(VirtioMMIODevice.maxDevices) virtio-mmio devices"
            }
            if let clash = virtioMMIODevices.firstIndex(where: { $0.overlaps(device) }) {
                return "overlaps virtio_mmio.device entry \(clash + 1)"
            }
            virtioMMIODevices.append(device)
            return nil
        case .cookieKey:
            guard let v = value, v.count == 2 * BootConfig.cookieKeyBytes else { return "expected cookie.key= and 64 hex digits" }
            var bytes: [UInt8] = []
            for i in stride(from: 0, to: v.count, by: 2) {
                guard let hi = Hex.value(of: v[i]), let lo = Hex.value(of: v[i + 1]) else { return "expected cookie.key= and 64 hex digits" }
                bytes.append(hi << 4 | lo)
            }
            cookieKey = bytes
            return nil
        case .factoryAuth:
            guard let v = value, BasicAuth(realm: "", userColonPassword: v) != nil else { return "expected factory.auth=USER:PASSWORD" }
            factoryAuth = v
            return nil
        case nil:
            return "unknown key"
        }
    }

    private enum Key {
        case ip, gw, ip6, gw6, loglevel, httpDomain, httpDotFiles, backend, services, syslog, selftest, profile, shutdownDrain, shutdownGrace,
             virtioMMIODevice, cookieKey, factoryAuth

        init?(_ bytes: [UInt8]) {
            let names: [(String, Key)] = [("ip", .ip), ("gw", .gw), ("ip6", .ip6), ("gw6", .gw6), ("loglevel", .loglevel),
                                          ("http.domain", .httpDomain), ("http.dotfiles", .httpDotFiles),
                                          ("backend", .backend), ("services", .services), ("syslog", .syslog),
                                          ("selftest", .selftest), ("profile", .profile), ("shutdown.drain", .shutdownDrain),
                                          ("shutdown.grace", .shutdownGrace), ("virtio_mmio.device", .virtioMMIODevice),
                                          ("cookie.key", .cookieKey), ("factory.auth", .factoryAuth)]
            guard let match = names.first(where: { Array($0.0.utf8) == bytes }) else { return nil }
            self = match.1
        }
    }

    /// `A.B.C.D:PORT` with PORT in 1...65535.
    public static func parseEndpoint(_ text: [UInt8]) -> Endpoint? {
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        guard let port = parseDecimal(text[(colon + 1)...], maxDigits: 5), port >= 1, port <= 65535, let a = Array(text[..<colon]).withByteView({ IPv4Address(parsing: $0) }) else { return nil }
        return Endpoint(a, UInt16(port))
    }

    /// A UDP collector: `A.B.C.D[:PORT]`, `[IPV6][:PORT]` or a bare `IPV6`, port 514 when not given.
    /// An IPv6 address must be one a datagram can go to (not ::, ::1 or IPv4-mapped).
    static func parseCollector(_ text: [UInt8]) -> Endpoint? {
        if let v4 = parseEndpoint(text) ?? text.withByteView({ IPv4Address(parsing: $0) }).map({ Endpoint($0, 514) }) {
            return v4
        }
        var port = 514
        var range = 0..<text.count
        if text.first == UInt8(ascii: "[") {
            guard let close = text.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            if close + 1 < text.count {
                guard text[close + 1] == UInt8(ascii: ":"), let p = parseDecimal(text[(close + 2)...], maxDigits: 5),
                      p >= 1, p <= 65535 else { return nil }
                port = p
            }
            range = 1..<close
        }
        guard let a = text.withByteView({ $0.slice(range.lowerBound, range.count).flatMap { IPv6Address(parsing: $0) } }),
              !a.isUnspecified, !a.isLoopbackOrMapped else { return nil }
        return Endpoint(a, UInt16(port))
    }

    /// `A.B.C.D/N` with N in 0...32. A bare address is rejected, so a typo never silently picks a netmask.
    public static func parsePrefix(_ text: [UInt8]) -> (address: IPv4Address, prefixLength: Int)? {
        guard let slash = text.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        guard let n = parseDecimal(text[(slash + 1)...], maxDigits: 2), n <= 32, let a = Array(text[..<slash]).withByteView({ IPv4Address(parsing: $0) }) else { return nil }
        return (a, n)
    }

    /// 1 to `maxDigits` ASCII digits (no sign, no spaces), or nil.
    static func parseDecimal(_ digits: ArraySlice<UInt8>, maxDigits: Int) -> Int? {
        guard !digits.isEmpty, digits.count <= maxDigits, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 48) }
    }
}
