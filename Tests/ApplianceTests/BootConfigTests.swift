import Testing
import Bytes
@testable import Appliance

@Suite struct BootConfigTests {
    func parse(_ s: String) -> (config: BootConfig, problems: [BootConfig.Problem]) { BootConfig.parse(Array(s.utf8)) }

    @Test func defaultsMatchTheDesign() {
        let (c, p) = parse("")
        #expect(p.isEmpty)
        #expect(c.address == .fixed(address: IPv4Address(192, 100, 200, 100), prefixLength: 24))
        #expect(c.gateway == IPv4Address(192, 100, 200, 1))
        #expect(c.logLevel == .info)
        #expect(!c.selfTests.any)
    }

    /// The default gateway belongs to the default network: an address elsewhere given without gw=
    /// gets no gateway (it used to stay unconfigured: "gateway not on link"); gw= always wins.
    @Test func theDefaultGatewayAppliesOnlyToItsOwnNetwork() {
        let own = IPv4Address(192, 100, 200, 7), other = IPv4Address(10, 0, 0, 5)
        #expect(parse("").config.gateway(for: own, prefixLength: 24) == IPv4Address(192, 100, 200, 1))
        #expect(parse("ip=10.0.0.5/24").config.gateway(for: other, prefixLength: 24) == nil)
        #expect(parse("ip=10.0.0.5/8").config.gateway(for: other, prefixLength: 8) == nil)
        #expect(parse("").config.gateway(for: IPv4Address(192, 100, 201, 7), prefixLength: 16) == IPv4Address(192, 100, 200, 1))
        #expect(parse("gw=10.0.0.254").config.gateway(for: other, prefixLength: 24) == IPv4Address(10, 0, 0, 254))
        #expect(parse("gw=192.100.200.1").config.gateway(for: other, prefixLength: 24) == IPv4Address(192, 100, 200, 1),
                "an explicit gateway is kept, and refused by the interface if it is not on link")
        #expect(parse("gw=none").config.gateway(for: own, prefixLength: 24) == nil)
    }

    @Test func everyKey() {
        let (c, p) = parse("ip=10.0.2.15/16 gw=10.0.2.2 loglevel=debug http.domain=any selftest")
        #expect(p.isEmpty)
        #expect(c.address == .fixed(address: IPv4Address(10, 0, 2, 15), prefixLength: 16))
        #expect(c.gateway == IPv4Address(10, 0, 2, 2))
        #expect(c.logLevel == .debug)
        #expect(c.httpDomain == "any")
        #expect(c.selfTests.core && !c.selfTests.net)
        let devices = parse("selftest=net,disk").config.selfTests
        #expect(!devices.core && devices.net && devices.disk)
        let words = parse("selftest=net selftest=disk").config.selfTests
        #expect(!words.core && words.net && words.disk)
        #expect(parse("ip=dhcp").config.address == .dhcp)
        #expect(parse("backend=192.100.200.1:6379").config.backend == Endpoint(IPv4Address(192, 100, 200, 1), 6379))
        for bad in ["backend=1.2.3.4", "backend=1.2.3.4:0", "backend=1.2.3.4:65536", "backend=x:80", "backend"] {
            #expect(parse(bad).problems.count == 1, "\(bad)")
        }
        #expect(parse("gw=none").config.gateway == nil)
        #expect(!parse("").config.httpDotFiles)
        #expect(parse("http.dotfiles=allow").config.httpDotFiles)
        #expect(!parse("http.dotfiles=allow http.dotfiles=deny").config.httpDotFiles)
        for bad in ["http.dotfiles", "http.dotfiles=yes"] {
            #expect(parse(bad).problems.count == 1 && !parse(bad).config.httpDotFiles, "\(bad)")
        }
    }

    @Test func badWordsAreReportedAndIgnored() {
        let (c, p) = parse("ip=1.2.3.4 loglevel=loud color=blue gw=300.1.1.1 ip=1.2.3.4/33 selftest=1 selftest=net, http.domain=")
        #expect(p.map(\.word) == ["ip=1.2.3.4", "loglevel=loud", "color=blue", "gw=300.1.1.1", "ip=1.2.3.4/33", "selftest=1", "selftest=net,", "http.domain="])
        #expect(p[2].reason == "unknown key")
        #expect(c == BootConfig())     // nothing applied
    }

    @Test func profileRate() {
        #expect(parse("").config.profileHz == nil)
        #expect(parse("profile").config.profileHz == BootConfig.defaultProfileHz)
        #expect(parse("profile=997").config.profileHz == 997)
        #expect(parse("profile=20").config.profileHz == 20)
        #expect(parse("profile=10000").config.profileHz == 10_000)
        for bad in ["profile=19", "profile=10001", "profile=", "profile=1k", "profile=999999999999999999999"] {
            let (c, p) = parse(bad)
            #expect(p.count == 1 && c.profileHz == nil, "\(bad)")
        }
    }

    @Test func overlongLineIsCut() {
        let long = String(repeating: "a", count: BootConfig.maxLength + 10)
        let (_, p) = parse(long)
        #expect(p.first?.word == "(command line)")
    }

    @Test func appOptionsAreKeptForTheApp() {
        let (c, p) = parse("app.admin=ann:secret ip=dhcp app.admin=bob:pw app.x=")
        #expect(p.isEmpty)
        #expect(c.appOptions.map { String(decoding: $0.key, as: UTF8.self) } == ["admin", "admin", "x"])
        #expect(c.appOptions[1].value == Array("bob:pw".utf8))
        for bad in ["app.flag", "app.=1", "app"] { #expect(parse(bad).problems.count == 1, "\(bad)") }
        let many = (0...BootConfig.maxAppOptions).map { "app.k\($0)=v" }.joined(separator: " ")
        let (kept, problems) = parse(many)
        #expect(kept.appOptions.count == BootConfig.maxAppOptions && problems.count == 1)
    }

    @Test func cookieKeyIs64HexDigitsAndNeverEchoed() {
        let hexKey = "00112233445566778899aabbccddeeffFFEEDDCCBBAA99887766554433221100"
        let (c, p) = parse("cookie.key=\(hexKey)")
        #expect(p.isEmpty)
        #expect(c.cookieKey == [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF,
                                0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00])
        #expect(parse("ip=dhcp").config.cookieKey == nil)
        for bad in ["cookie.key", "cookie.key=", "cookie.key=\(hexKey.dropLast())", "cookie.key=\(hexKey)00",
                    "cookie.key=\(hexKey.dropLast())g"] {
            let (ignored, problems) = parse(bad)
            #expect(ignored.cookieKey == nil && problems.count == 1, "\(bad)")
            #expect(problems.first?.word == "cookie.key=...", "the key itself stays off the console")
        }
    }

    @Test func factoryAuthIsUserColonPasswordAndNeverEchoed() {
        #expect(parse("factory.auth=ops:pa:ss").config.factoryAuth == Array("ops:pa:ss".utf8))
        #expect(parse("ip=dhcp").config.factoryAuth == nil)
        for bad in ["factory.auth", "factory.auth=", "factory.auth=ops", "factory.auth=:pw", "factory.auth=ops:"] {
            let (ignored, problems) = parse(bad)
            #expect(ignored.factoryAuth == nil && problems.count == 1, "\(bad)")
            #expect(problems.first?.word == "factory.auth=...", "the password stays off the console")
        }
    }
}
