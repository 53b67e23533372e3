import Testing
import Bytes
import Net
import TCP
import Services
import TestSupport
import HTTP
@testable import Appliance

/// The demo services are off unless `services=` asks for them, stay inside the service domain, and UDP
/// echo answers only unicast datagrams from ordinary ports (issue 16).
@Suite struct DemoServiceTests {
    /// The appliance at 10.0.0.1 (`ip=` plus `extra` on its command line) and a client host at 10.0.0.2.
    final class Pair {
        let clock = VirtualClock()
        let appliance: Appliance<WireNIC>
        let client: OffloadHost
        var step = 0

        init(_ extra: String, app: Application = .standard, clientIPv6: Bool = false) {
            client = OffloadHost(index: 2, offloads: .none, ipv6: clientIPv6)
            let nic = WireNIC(mac: MACAddress(0x02_00_00_00_00_01), offloads: .none)
            let config = BootConfig.parse(Array("ip=10.0.0.1/24 gw=none \(extra)".utf8)).config
            appliance = Appliance(config: config, nic: nic, disk: nil, clock: clock, wallClock: clock, seed: 1,
                                  app: app, log: { _, _ in })
            nic.peer = client.nic
            client.nic.peer = nic
        }

        func run(milliseconds: Int) {
            for _ in 0..<milliseconds {
                clock.advance(by: .milliseconds(1))
                appliance.poll(now: clock.now())
                client.turn(now: clock.now())
                while client.tcp.nextChanged() != nil {}
            }
        }

        /// Connects to `port`; the state after a second.
        func tcpState(port: UInt16) -> TCPState? {
            let handle = try! client.tcp.connect(from: IPAddress(client.address), to: Endpoint(IPv4Address(10, 0, 0, 1), port), now: clock.now())
            run(milliseconds: 1000)
            return client.tcp.state(handle)
        }

        /// Sends one UDP datagram to port 7 from `sourcePort` (to `destination`); how many came back.
        func udpEchoes(from sourcePort: UInt16, to destination: IPAddress = IPAddress(IPv4Address(10, 0, 0, 1))) -> Int {
            let socket = try! client.interface.bindUDP(port: sourcePort)
            _ = Array("ping".utf8).withByteView {
                client.interface.sendUDP(from: socket, to: Endpoint(destination, 7), payload: $0, now: clock.now())
            }
            client.interface.flush()
            run(milliseconds: 200)
            var echoes = 0
            while client.interface.receiveUDP(socket) != nil { echoes += 1 }
            return echoes
        }
    }

    @Test func servicesKeyParses() {
        #expect(BootConfig().services == BootConfig.DemoServices())
        let echo = BootConfig.parse(Array("services=echo".utf8))
        #expect(echo.config.services.echo && echo.problems.isEmpty)
        #expect(BootConfig.parse(Array("services=ssh".utf8)).problems.count == 1)
        #expect(BootConfig.parse(Array("services=echo,hello".utf8)).problems.count == 1)     // hello is an app now
    }

    @Test func aDefaultBootOpensOnlyHTTP() {
        let pair = Pair("")
        #expect(pair.tcpState(port: 80) == .established)
        #expect(pair.tcpState(port: 7) == .closed)         // reset: nothing listens
        #expect(pair.tcpState(port: 8081) == .closed)
        #expect(pair.udpEchoes(from: 40000) == 0)
    }

    @Test func servicesKeyStartsTheDemos() {
        let pair = Pair("services=echo")
        #expect(pair.tcpState(port: 7) == .established)
        #expect(pair.udpEchoes(from: 40000) == 1)
    }

    @Test func udpEchoRefusesServicePortsAndBroadcasts() {
        let pair = Pair("services=echo")
        #expect(pair.udpEchoes(from: 7) == 0)               // another echo service: no loop
        #expect(pair.udpEchoes(from: 1023) == 0)
        #expect(pair.udpEchoes(from: 40001, to: IPAddress(IPv4Address(10, 0, 0, 255))) == 0)
        #expect(pair.appliance.statusMetrics.lines.contains("udp_echo.refused 3"))
        #expect(pair.udpEchoes(from: 1024) == 1)
    }

    /// Every UDP service listens on both families, as TCP's do: echo answers over IPv6 (from the
    /// address asked) under the same rules, and a closed port draws an ICMPv6 port unreachable.
    @Test func udpEchoAnswersOverIPv6Too() {
        let pair = Pair("services=echo", clientIPv6: true)
        pair.run(milliseconds: 3000)     // both link-local addresses pass duplicate address detection
        let appliance = IPAddress(IPv6Address(prefix: .linkLocalPrefix, mac: MACAddress(0x02_00_00_00_00_01)))
        #expect(pair.udpEchoes(from: 40000, to: appliance) == 1)
        #expect(pair.udpEchoes(from: 1023, to: appliance) == 0)
        #expect(pair.appliance.statusMetrics.lines.contains("udp_echo.refused 1"))
        #expect(pair.appliance.statusMetrics.lines.contains("udp_echo.echoed 1"))
        let closed = try! pair.client.interface.bindUDP(port: 40002)
        _ = [1].withByteView { pair.client.interface.sendUDP(from: closed, to: Endpoint(appliance, 9), payload: $0, now: pair.clock.now()) }
        pair.run(milliseconds: 100)
        #expect(pair.client.interface.counters.icmpv6.errorsReceived == 1)
    }

    @Test func demoServicesKeepToTheServiceDomain() {
        let pair = Pair("services=echo http.domain=192.168.0.0/16")
        let handle = try! pair.client.tcp.connect(from: IPAddress(pair.client.address), to: Endpoint(IPv4Address(10, 0, 0, 1), 7),
                                                  now: pair.clock.now())
        pair.run(milliseconds: 1000)
        _ = Array("hello".utf8).withByteView { try? pair.client.tcp.send(handle, $0) }
        pair.run(milliseconds: 1000)
        #expect(pair.client.tcp.available(handle) == 0)      // nothing echoed
        #expect(pair.appliance.statusMetrics.lines.contains("services.refused_domain 1"))
    }
}
